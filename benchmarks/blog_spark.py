"""The PySpark blog's job this project grew from: an explicit schema of about 25 fields, one KST day at a time.

Why it exists: it is the job a team starts from, so the second yardstick beside the full-schema baseline. It reads
fewer fields (a typical blog's pick: identity, event, source, error, payloads, resources), so it parses and writes
less than the baseline and our job; fields outside the schema are dropped silently, duplicate deliveries stay as
extra rows. The default line-mode JSON reader, payloads as MapType(string, string), explode Records, a recursive
flatten of structs into lowercase parent_child columns, eventtime_kst = eventTime + 9 hours, proc_ymd by
date_format, a filter to the day and write.partitionBy("proc_ymd"). The same local[2] settings as the baseline.

    python benchmarks/blog_spark.py --input CORPUS --output OUT --date 2026-01-02
"""

from __future__ import annotations

# Run as a script (`python benchmarks/X.py`): its folder is on sys.path.
from comparator import day_paths, local_session, parse_args
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)


def _strings(*names: str) -> list[StructField]:
    return [StructField(name, StringType()) for name in names]


def _payload(name: str) -> StructField:
    return StructField(name, MapType(StringType(), StringType()))


SESSION_ISSUER = StructType(_strings("type", "principalId", "arn", "accountId", "userName"))
SESSION_CONTEXT = StructType(
    [
        StructField("attributes", StructType(_strings("mfaAuthenticated", "creationDate"))),
        StructField("sessionIssuer", SESSION_ISSUER),
    ]
)
USER_IDENTITY = StructType(
    [
        *_strings("type", "principalId", "arn", "accountId", "accessKeyId", "userName"),
        StructField("sessionContext", SESSION_CONTEXT),
        StructField("invokedBy", StringType()),
    ]
)
RECORD = StructType(
    [
        StructField("eventVersion", StringType()),
        StructField("userIdentity", USER_IDENTITY),
        StructField("eventTime", TimestampType()),
        *_strings("eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent", "errorCode", "errorMessage"),
        _payload("requestParameters"),
        _payload("responseElements"),
        _payload("additionalEventData"),
        _payload("serviceEventDetails"),
        *_strings("requestID", "eventID", "eventType", "recipientAccountId"),
        StructField("readOnly", BooleanType()),
        StructField("resources", ArrayType(StructType(_strings("ARN", "accountId", "type")))),
        StructField("managementEvent", BooleanType()),
        StructField("eventCategory", StringType()),
    ]
)
FILE_SCHEMA = StructType([StructField("Records", ArrayType(RECORD))])


def leaf_paths(data_type: DataType, prefix: str = "") -> list[str]:
    """Dotted paths of every non-struct field, descending into structs (arrays and maps stay whole)."""
    if not isinstance(data_type, StructType):
        return [prefix]
    paths = []
    for field in data_type.fields:
        paths += leaf_paths(field.dataType, f"{prefix}.{field.name}" if prefix else field.name)
    return paths


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    day = args.day
    spark = local_session("blog")
    paths = day_paths(args.input, day)
    raw = spark.read.schema(FILE_SCHEMA).json(paths)
    records = raw.select(F.explode("Records").alias("r")).select("r.*")
    events = records.select([F.col(path).alias(path.replace(".", "_").lower()) for path in leaf_paths(records.schema)])
    events = events.withColumn("eventtime_kst", F.col("eventtime") + F.expr("INTERVAL 9 HOURS"))
    events = events.withColumn("proc_ymd", F.date_format("eventtime_kst", "yyyyMMdd"))
    events = events.filter(F.col("proc_ymd") == day.strftime("%Y%m%d"))
    events.write.mode("overwrite").partitionBy("proc_ymd").parquet(args.output)
    spark.stop()


if __name__ == "__main__":
    main()
