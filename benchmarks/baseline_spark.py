"""A straightforward PySpark conversion of one KST day, the way a first hand-written job usually looks.

Why it exists: it is the yardstick for our job. It is honest (the same input, the same day, every event of the
day written) but does less work than our job: no dedup by eventID, no accounting of bad files, no `unmapped`
column, no quarantine, no atomic publish. Payloads are MapType(string, string), the default line-mode JSON reader,
explode, a flatten that walks df.dtypes, string date arithmetic, and write.partitionBy.

    python benchmarks/baseline_spark.py --input CORPUS --output OUT --date 2026-01-02
"""

from __future__ import annotations

# Run as a script (`python benchmarks/X.py`): its folder is on sys.path.
from comparator import day_paths, local_session, parse_args
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, MapType, StringType, StructField, StructType

from cloudtrail_etl.sources.cloudtrail.schema import record_schema

PAYLOADS = {
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "serviceEventDetails",
    "edgeDeviceDetails",
    "insightDetails",
}


def file_schema() -> StructType:
    """{"Records": [record]}: payloads as map<string,string>, eventTime as the string it is in the JSON."""
    fields = []
    for field in record_schema():
        if field.name in PAYLOADS:
            field = StructField(field.name, MapType(StringType(), StringType()))
        elif field.name == "eventTime":
            field = StructField(field.name, StringType())
        fields.append(field)
    return StructType([StructField("Records", ArrayType(StructType(fields)))])


def flatten(df: DataFrame) -> DataFrame:
    """Replace every struct column by its children, named parent_child, until no struct is left."""
    structs = [name for name, dtype in df.dtypes if dtype.startswith("struct")]
    if not structs:
        return df.toDF(*[name.lower() for name in df.columns])
    columns = [F.col(f"`{name}`") for name, dtype in df.dtypes if not dtype.startswith("struct")]
    for parent in structs:
        for child in df.select(f"`{parent}`.*").columns:
            columns.append(F.col(f"`{parent}`.`{child}`").alias(f"{parent}_{child}"))
    return flatten(df.select(columns))


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    day = args.day
    spark = local_session("baseline")
    paths = day_paths(args.input, day)
    raw = spark.read.schema(file_schema()).json(paths)
    events = flatten(raw.select(F.explode("Records").alias("r")).select("r.*"))
    events = events.withColumn("eventtime_kst", F.expr("to_timestamp(eventtime) + INTERVAL 9 HOURS"))
    events = events.withColumn("proc_ymd", F.date_format("eventtime_kst", "yyyyMMdd"))
    events = events.filter(F.col("proc_ymd") == day.strftime("%Y%m%d"))
    events.write.mode("overwrite").partitionBy("proc_ymd").parquet(args.output)
    spark.stop()


if __name__ == "__main__":
    main()
