"""A straightforward PySpark conversion of one KST day of VPC flow logs, the way a first hand-written job looks.

Why it exists: the yardstick for our flow-log source (issue 17). It reads the two UTC folders of the day with
Spark's CSV reader (space separator, the header, `-` as null), casts the fields to Athena's types, adds the KST
times, keeps the day and writes `partitionBy("proc_ymd")`. It does less than our job: one format assumed (the
first file's header names the columns for every file), no accounting of lines or bad files, no quarantine, no
atomic publish.

    python benchmarks/vpcflow_spark.py --input CORPUS --output OUT --date 2026-01-02
"""

from __future__ import annotations

import datetime as dt

# Run as a script (`python benchmarks/X.py`): its folder is on sys.path.
from comparator import local_session, parse_args
from pyspark.sql import functions as F

INTS = ("version", "srcport", "dstport", "tcp_flags", "traffic_path")
BIGINTS = ("protocol", "packets", "bytes", "start", "end")


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    day = args.day
    spark = local_session("vpcflow-baseline")
    folders = [day - dt.timedelta(days=1), day]
    paths = [f"{args.input}/AWSLogs/*/vpcflowlogs/*/{folder:%Y/%m/%d}/*.log.gz" for folder in folders]
    raw = spark.read.option("header", True).option("sep", " ").option("nullValue", "-").csv(paths)
    flows = raw.toDF(*[name.replace("-", "_") for name in raw.columns])
    for name in flows.columns:
        if name in INTS or name in BIGINTS:
            flows = flows.withColumn(name, F.col(name).cast("int" if name in INTS else "bigint"))
    flows = flows.withColumn("start_kst", F.expr("timestamp_seconds(start) + INTERVAL 9 HOURS"))
    flows = flows.withColumn("end_kst", F.expr("timestamp_seconds(`end`) + INTERVAL 9 HOURS"))
    flows = flows.withColumn("proc_ymd", F.date_format("start_kst", "yyyyMMdd"))
    flows = flows.filter(F.col("proc_ymd") == day.strftime("%Y%m%d"))
    flows.write.mode("overwrite").partitionBy("proc_ymd").parquet(args.output)
    spark.stop()


if __name__ == "__main__":
    main()
