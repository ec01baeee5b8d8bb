"""One run: discover a KST day's files, convert them, write the day, account for every event."""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from urllib.parse import unquote, urlparse

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import MapType, StringType

from cloudtrail_etl import transform as T
from cloudtrail_etl.config import JobConfig
from cloudtrail_etl.days import proc_ymd
from cloudtrail_etl.discovery import DayInput, discover_day, is_s3
from cloudtrail_etl.errors import BadInputFiles, JobError, NoInputFiles, OutputNotWritable, describe, error_causes
from cloudtrail_etl.reader import REASON_UNREADABLE, REASON_ZERO_BYTES, read_delivery_files
from cloudtrail_etl.report import BadFile, RunReport
from cloudtrail_etl.schema import record_schema
from cloudtrail_etl.storage import Storage
from cloudtrail_etl.writer import publish, write_parquet

MAX_LISTED_BAD_FILES = 1000


def _absolute(uri: str) -> str:
    return uri if urlparse(uri).scheme else os.path.abspath(uri)


def _same_file_key(uri: str) -> str:
    """Compare Spark's file URIs with listed ones: drop the scheme's local prefix and URL escaping."""
    uri = unquote(uri)
    if uri.startswith("file:"):
        uri = "/" + uri[len("file:") :].lstrip("/")
    return uri


def place_events(files: DataFrame) -> DataFrame:
    """Every record of the files with its instant, KST day and quarantine reason (pure: no I/O, no actions)."""
    return T.add_proc_ymd(T.place_in_time(T.explode_records(files)))


def to_table(events_of_day: DataFrame) -> DataFrame:
    """The table's columns, in order: the flattened record, eventtime_kst, unmapped (proc_ymd is the folder)."""
    return T.flatten_structs(events_of_day.select(f"{T.EVENT}.*", T.EVENTTIME_KST, T.UNMAPPED))


class Job:
    """Holds what one run needs; `run()` returns the report or raises a JobError after filling it in."""

    def __init__(self, spark: SparkSession, config: JobConfig, s3_client=None):
        self.spark = spark
        self.config = config
        self.s3_client = s3_client
        self.storage = Storage(spark)
        self.output = _absolute(config.output)
        self.run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
        self.report = RunReport(
            target_date=config.day.isoformat(),
            input=config.input,
            output_path=f"{self.output.rstrip('/')}/proc_ymd={proc_ymd(config.day)}",
            spark_version=spark.version,
        )

    def run(self) -> RunReport:
        started = time.monotonic()
        try:
            self._run()
            self.report.status = "succeeded"
            return self.report
        except Exception as exc:
            self.report.status = "failed"
            self.report.error = describe(exc)
            if not isinstance(exc, JobError):
                self.report.error_causes = error_causes(exc)
            raise
        finally:
            self.report.duration_s = round(time.monotonic() - started, 2)

    def _run(self) -> None:
        config, report = self.config, self.report
        if config.catalog_table or config.crawler:
            from cloudtrail_etl.aws import require_region

            require_region(config.region)  # before any work, not after the day was written
        if self.s3_client is None and is_s3(config.input):
            from cloudtrail_etl.aws import client

            self.s3_client = client("s3", config.region)
        day_input = discover_day(_absolute(config.input), config.day, config.accounts, config.regions, self.s3_client)
        report.input_folders = len(day_input.folders)
        report.input_files = len(day_input.files)
        report.input_bytes = day_input.total_bytes
        report.files_delivered_before_day = len(day_input.skipped)
        if not day_input.files:
            if config.require_input:
                early = f" ({len(day_input.skipped)} delivered before the day began)" if day_input.skipped else ""
                raise NoInputFiles(f"no CloudTrail files for KST day {config.day} under {config.input}{early}")
            return
        self._convert(day_input)

    def _convert(self, day_input: DayInput) -> None:
        config, report = self.config, self.report
        day_code = proc_ymd(config.day)
        staging_run = f"{_absolute(config.staging_root).rstrip('/')}/{self.run_id}"
        staged_day = f"{staging_run}/proc_ymd={day_code}"

        file_stats, event_stats, written_stats = Observation("files"), Observation("events"), Observation("written")
        files = read_delivery_files(self.spark, day_input.folders, delivered_since=day_input.delivered_since).observe(
            file_stats,
            F.count(F.lit(1)).alias("documents"),
            # Observed metrics come back as scalars: the (rare) problem files travel as one tab/newline text.
            F.concat_ws(
                "\n",
                F.collect_list(
                    F.when(F.col("file_problem").isNotNull(), F.concat_ws("\t", T.SOURCE_FILE, "file_problem"))
                ),
            ).alias("problems"),
        )
        events = place_events(files).observe(
            event_stats,
            F.count(F.lit(1)).alias("events_read"),
            F.count_if(F.col(T.QUARANTINE_REASON).isNotNull()).alias("quarantined"),
            F.count_if(F.col(T.QUARANTINE_REASON).isNull() & (F.col(T.PROC_YMD) == day_code)).alias("in_day"),
            # Names only, as one text: the quarantine pass then re-reads just these files, not the whole input.
            F.concat_ws(
                "\n", F.collect_set(F.when(F.col(T.QUARANTINE_REASON).isNotNull(), F.col(T.SOURCE_FILE)))
            ).alias("quarantined_files"),
        )
        # Only the day's records, one per eventID, are typed field by field: the dedup shuffle carries each record as
        # its top-level map rather than the typed row (99-127 CPU s a run instead of 106-172, benchmarks/profile.md).
        day_events = T.drop_duplicate_deliveries(T.keep_day(events, config.day), T.record_event_id())
        table = to_table(T.type_records(day_events, record_schema()))
        table = table.observe(
            written_stats,
            F.count(F.lit(1)).alias("rows"),
            F.count_if(F.col(T.UNMAPPED).isNotNull()).alias("with_unmapped"),
        )
        self._check_writable(staging_run)
        write_parquet(table, staged_day)

        file_metrics, event_metrics, written = file_stats.get, event_stats.get, written_stats.get
        report.events_read = int(event_metrics["events_read"])
        report.events_quarantined = int(event_metrics["quarantined"])
        report.events_in_day = int(event_metrics["in_day"])
        report.rows_written = int(written["rows"])
        report.rows_with_unmapped = int(written["with_unmapped"])
        report.duplicates_dropped = report.events_in_day - report.rows_written
        report.events_outside_day = report.events_read - report.events_in_day - report.events_quarantined

        report.bad_files = self._bad_files(day_input, int(file_metrics["documents"]), file_metrics["problems"])
        if report.bad_files and not config.skip_bad_files:
            self.storage.delete(staging_run)
            names = ", ".join(f"{b.path} ({b.reason})" for b in report.bad_files[:5])
            more = f" and {len(report.bad_files) - 5} more" if len(report.bad_files) > 5 else ""
            raise BadInputFiles(
                f"{len(report.bad_files)} unreadable file(s): {names}{more}; "
                "the day was not written (use --skip-bad-files to write the good events)"
            )
        if report.events_quarantined:
            self._write_quarantine(day_input, event_metrics["quarantined_files"])
        publish(self.storage, staged_day, report.output_path, f"{staging_run}/replaced")
        self.storage.delete(staging_run)
        files_written = self.storage.list_files(report.output_path)
        report.output_files = len(files_written)
        report.output_bytes = sum(size for _, size in files_written)
        if report.rows_with_unmapped:
            report.unmapped_fields = self._unmapped_fields()
        if config.catalog_table or config.crawler:
            # Imported only when asked for: a run without a catalog step needs no boto3 on the cluster's Python.
            from cloudtrail_etl.catalog import publish_day

            report.catalog = publish_day(config)

    def _check_writable(self, staging_run: str) -> None:
        """Fail fast, before any Spark work, when the output side cannot be written: write and delete a marker.

        Not mkdirs on the table root: on S3 that is HEAD and LIST probes of the root and its parents, which need
        more permissions than the job otherwise does (deploy/README.md)."""
        marker = f"{staging_run}/_writable"
        try:
            self.storage.write_text(marker, self.run_id)
            self.storage.delete(marker)
        except Exception as exc:
            raise OutputNotWritable(f"cannot write to {staging_run}: {describe(exc)}") from exc

    def _bad_files(self, day_input: DayInput, documents: int, problems: str) -> list[BadFile]:
        """Files listed but not usable: zero bytes, not JSON, no Records, or not decompressible (never read)."""
        bad = [BadFile(f.uri, REASON_ZERO_BYTES) for f in day_input.files if f.size == 0]
        for line in filter(None, problems.split("\n")):
            path, reason = line.split("\t", 1)
            bad.append(BadFile(_same_file_key(path), reason))
        expected = sum(1 for f in day_input.files if f.size > 0)
        if documents < expected:
            # Some non-empty files produced no document at all. Find which, with a read of the file names only.
            documents_of = read_delivery_files(self.spark, day_input.folders, delivered_since=day_input.delivered_since)
            read = {_same_file_key(row[0]) for row in documents_of.select(T.SOURCE_FILE).distinct().collect()}
            bad += [
                BadFile(f.uri, REASON_UNREADABLE)
                for f in day_input.files
                if f.size > 0 and _same_file_key(f.uri) not in read
            ]
        return sorted(bad, key=lambda b: b.path)[:MAX_LISTED_BAD_FILES]

    def _write_quarantine(self, day_input: DayInput, quarantined_files: str) -> None:
        """Records that cannot be placed in a day, raw, with the reason: outside the table root.

        A second read, of the (few) files that held such records only, with the names as they were listed."""
        wanted = {_same_file_key(path) for path in quarantined_files.split("\n") if path}
        files = [f.uri for f in day_input.files if _same_file_key(f.uri) in wanted]
        root = _absolute(self.config.quarantine_root).rstrip("/")
        target = f"{root}/proc_ymd={proc_ymd(self.config.day)}"  # replaced on a re-run, like the day itself
        events = place_events(read_delivery_files(self.spark, files, exact_text=True))
        rows = events.filter(F.col(T.QUARANTINE_REASON).isNotNull()).select(
            F.col(T.SOURCE_FILE).alias("source_file"),
            F.col(T.RECORD_INDEX).alias("record_index"),
            F.col(T.QUARANTINE_REASON).alias("reason"),
            F.col(T.RECORD_TEXT).alias("record"),
        )
        rows.write.mode("overwrite").option("compression", "gzip").json(target)
        counts = rows.sparkSession.read.schema("reason string").json(target).groupBy("reason").count().collect()
        self.report.quarantine_reasons = {row["reason"]: int(row["count"]) for row in counts}
        self.report.quarantine_path = target

    def _unmapped_fields(self) -> dict[str, int]:
        """Paths of fields the schema does not know (schema drift), counted over the rows written."""
        written = self.spark.read.parquet(self.report.output_path).select(T.UNMAPPED)
        keys = written.select(F.explode(F.map_keys(F.from_json(T.UNMAPPED, MapType(StringType(), StringType())))))
        return {row[0]: int(row[1]) for row in keys.groupBy("col").count().orderBy("col").collect()}


def run_job(spark: SparkSession, config: JobConfig, s3_client=None) -> RunReport:
    return Job(spark, config, s3_client).run()


__all__ = ["Job", "place_events", "run_job", "to_table"]
