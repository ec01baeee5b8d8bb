"""What every stage of a run may read: the Spark session, the settings, the source, the day plan and the run's
folders. Nothing in it changes during a run (the S3 client is set once, by the recover stage)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from typing import Any
from urllib.parse import unquote, urlparse

from pyspark.sql import SparkSession

from cloudtrail_etl.config import JobConfig
from cloudtrail_etl.days import proc_ymd
from cloudtrail_etl.plan import RunPlan
from cloudtrail_etl.sources import LogSource
from cloudtrail_etl.storage import Storage
from cloudtrail_etl.transform import PROC_YMD

MIB = 1024 * 1024


def absolute(uri: str) -> str:
    return uri if urlparse(uri).scheme else os.path.abspath(uri)


def same_file_key(uri: str) -> str:
    """Compare Spark's file URIs with listed ones: drop the scheme's local prefix and URL escaping."""
    uri = unquote(uri)
    if uri.startswith("file:"):
        uri = "/" + uri[len("file:") :].lstrip("/")
    return uri


@dataclasses.dataclass(frozen=True)
class RunContext:
    spark: SparkSession
    config: JobConfig
    source: LogSource
    plan: RunPlan
    storage: Storage
    run_id: str
    output: str  # the table root, absolute, no trailing slash
    staging_root: str
    quarantine_root: str
    s3_client: Any = None  # boto3's, for listing S3 input

    @classmethod
    def create(cls, spark: SparkSession, config: JobConfig, source: LogSource, run_id: str, s3_client=None):
        return cls(
            spark=spark,
            config=config,
            source=source,
            plan=config.plan,
            storage=Storage(spark),
            run_id=run_id,
            output=absolute(config.output).rstrip("/"),
            staging_root=absolute(config.staging_root),
            quarantine_root=absolute(config.quarantine_root),
            s3_client=s3_client,
        )

    @property
    def staging_run(self) -> str:
        return f"{self.staging_root.rstrip('/')}/{self.run_id}"

    @property
    def staged_table(self) -> str:
        return f"{self.staging_run}/table"

    @property
    def staged_quarantine(self) -> str:
        return f"{self.staging_run}/quarantine"

    @property
    def span(self) -> str:
        """The run's days as messages name them: D or F..L."""
        plan = self.plan
        return f"{plan.first_day}" + (f"..{plan.last_day}" if plan.last_day != plan.first_day else "")

    def day_path(self, day: dt.date, root: str | None = None) -> str:
        return f"{root or self.output}/{PROC_YMD}={proc_ymd(day)}"
