"""The Spark session and the settings the job relies on, wherever it runs."""

from __future__ import annotations

import os
import shutil

from pyspark.sql import SparkSession

from cloudtrail_etl.errors import JavaMissing

# SQL settings applied at run time, so they hold under spark-submit, on EMR and on Glue alike.
JOB_SQL_CONF = {
    # A JSON object with a repeated key must not fail the run: the last value wins, as in most JSON readers.
    "spark.sql.mapKeyDedupPolicy": "LAST_WIN",
    # INT64 timestamps carry min/max statistics that engines use to skip row groups.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    # After the dedup shuffle, partitions of ~128 MiB (shuffle bytes) become output files of ~15-20 MiB of zstd
    # Parquet: a day of a busy trail is a handful of files, an organization trail more, never thousands.
    "spark.sql.adaptive.advisoryPartitionSizeInBytes": "128m",
}


# Java options of the JVM this job starts itself (local runs; spark-submit, EMR and Glue start their own).
# HotSpot's C2 compiler spent 70 of 190 CPU seconds of a 435K-event run on two cores compiling Spark's generated
# code and Spark itself, much of it for methods that are not hot enough to pay the compile back. Raising the C2
# thresholds (C1 code runs meanwhile) cut that run from 92 s to 69 s and a 1.7M-event run from 131 s to 117 s
# (benchmarks/profile.md). Compiling with C1 only was faster on the small run (60 s) and far slower on the big
# one (166 s). CLOUDTRAIL_ETL_DRIVER_JAVA_OPTIONS replaces them ("" for the JVM's defaults).
LOCAL_JAVA_OPTIONS = (
    "-XX:Tier4InvocationThreshold=50000 -XX:Tier4MinInvocationThreshold=20000 "
    "-XX:Tier4CompileThreshold=60000 -XX:Tier4BackEdgeThreshold=400000"
)


def check_java() -> None:
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    raise JavaMissing(
        "Java 17 is required: install a JDK (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
    )


def get_spark(app_name: str = "cloudtrail-etl") -> SparkSession:
    """Reuse the runtime's session (spark-submit, EMR, Glue); locally start one on all cores."""
    builder = SparkSession.builder.appName(app_name)
    launched_by_spark_submit = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit, EMR, Glue
    if not launched_by_spark_submit:
        builder = (
            builder.master(os.environ.get("CLOUDTRAIL_ETL_MASTER", "local[*]"))
            .config("spark.driver.memory", os.environ.get("CLOUDTRAIL_ETL_DRIVER_MEMORY", "2g"))
            .config(
                "spark.driver.extraJavaOptions",
                os.environ.get("CLOUDTRAIL_ETL_DRIVER_JAVA_OPTIONS", LOCAL_JAVA_OPTIONS),
            )
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.ui.enabled", "false")
        )
    spark = builder.getOrCreate()
    apply_job_conf(spark)
    return spark


def apply_job_conf(spark: SparkSession) -> None:
    for key, value in JOB_SQL_CONF.items():
        spark.conf.set(key, value)
