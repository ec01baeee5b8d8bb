"""What the hand-written comparators (baseline_spark.py, blog_spark.py) share: their command line, a local Spark
session set up as on Glue and EMR, and the input paths of a KST day. Only how they parse and flatten differs."""

from __future__ import annotations

import argparse
import datetime as dt
import os

from pyspark.sql import SparkSession


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--input", required=True, help="the folder holding AWSLogs/")
    parser.add_argument("--output", required=True)
    parser.add_argument("--date", required=True, help="KST day, YYYY-MM-DD")
    args = parser.parse_args()
    args.day = dt.date.fromisoformat(args.date)
    return args


def local_session(name: str) -> SparkSession:
    return (
        SparkSession.builder.appName(name)
        .master(os.environ.get("CLOUDTRAIL_ETL_MASTER", "local[2]"))
        .config("spark.driver.memory", "2g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")  # as on Glue and EMR
        .getOrCreate()
    )


def day_paths(input_root: str, day: dt.date) -> list[str]:
    """KST day D sits in the UTC delivery folders D-1 and D, of every account and region."""
    folders = [day - dt.timedelta(days=1), day]
    return [f"{input_root}/AWSLogs/*/CloudTrail/*/{folder:%Y/%m/%d}/*.json.gz" for folder in folders]
