"""A straightforward PySpark conversion of one KST day of VPC flow logs delivered as Parquet.

Why it exists: the yardstick for our Parquet flow-log read (issue 24). It reads the day's two UTC folders with
`spark.read.parquet` (one schema: Spark takes the first file's), casts to Athena's types (INT32 `protocol` to
bigint), adds the KST times, keeps the day and writes `partitionBy("proc_ymd")`. It does less than our job: no
schema per file, no accounting of rows or bad files, no quarantine, no atomic publish.

    python benchmarks/vpcflow_parquet_spark.py --input CORPUS --output OUT --date 2026-01-02
"""

from __future__ import annotations

import datetime as dt

# Run as a script (`python benchmarks/X.py`): its folder is on sys.path.
from comparator import local_session, parse_args
from pyspark.sql import functions as F

BIGINTS = ("protocol", "packets", "bytes", "start", "end")


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    day = args.day
    spark = local_session("vpcflow-parquet-baseline")
    folders = [day - dt.timedelta(days=1), day]
    paths = [f"{args.input}/AWSLogs/*/vpcflowlogs/*/{folder:%Y/%m/%d}/*.log.parquet" for folder in folders]
    flows = spark.read.parquet(*paths)
    for name in BIGINTS:
        flows = flows.withColumn(name, F.col(name).cast("bigint"))
    flows = flows.withColumn("start_kst", F.expr("timestamp_seconds(start) + INTERVAL 9 HOURS"))
    flows = flows.withColumn("end_kst", F.expr("timestamp_seconds(`end`) + INTERVAL 9 HOURS"))
    flows = flows.withColumn("proc_ymd", F.date_format("start_kst", "yyyyMMdd"))
    flows = flows.filter(F.col("proc_ymd") == day.strftime("%Y%m%d"))
    flows.write.mode("overwrite").partitionBy("proc_ymd").parquet(args.output)
    spark.stop()


if __name__ == "__main__":
    main()
