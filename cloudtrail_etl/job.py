"""One run of any log source, as a sequence of stages (stages/): recover, list, convert, check, publish, volume,
catalog, verify digests, report.

What differs between sources (where the files are, how a file becomes typed rows, the table's columns) is the
source's (sources/); everything here is shared. A range of days is one Spark application and one read of each
delivery file: the days are written together into staging and each is then swapped into the table on its own, with
the guarantees of a single-day run (plan.py).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from pyspark.sql import SparkSession

from cloudtrail_etl.config import JobConfig
from cloudtrail_etl.discovery import DayInput, kinds_of
from cloudtrail_etl.errors import JobError, describe, error_causes
from cloudtrail_etl.report import MAX_LISTED_BAD_FILES, NO_INPUT, NOT_WRITTEN, WRITTEN, DayReport, RunReport
from cloudtrail_etl.sources import LogSource, get_source
from cloudtrail_etl.stages.catalog import catalog_days
from cloudtrail_etl.stages.check import check
from cloudtrail_etl.stages.clock import StageClock
from cloudtrail_etl.stages.context import RunContext, absolute
from cloudtrail_etl.stages.convert import convert
from cloudtrail_etl.stages.digests import verify_digests
from cloudtrail_etl.stages.listing import list_input, no_input_error
from cloudtrail_etl.stages.outcome import kept_days_errors, raise_deferred
from cloudtrail_etl.stages.publish_days import publish_days, unmapped_fields
from cloudtrail_etl.stages.recover import open_table, prepare
from cloudtrail_etl.stages.volume import describe_written_days

_absolute = absolute  # cli.py's name for it


class Job:
    """One run: `run()` returns the report, or raises a JobError after filling it in."""

    def __init__(self, spark: SparkSession, config: JobConfig, s3_client=None):
        self.spark = spark
        self.config = config
        self.source: LogSource = get_source(config.source)
        run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
        self.ctx = RunContext.create(spark, config, self.source, run_id, s3_client)
        self.run_id = run_id
        self.deferred: list[JobError] = []  # failures that let the rest of the run go on, raised at its end
        self.integrity_problems: list[str] = []
        self.publisher: Any = None  # the table's lock, recovery and journaled swaps (publish.py), from recover on
        days = config.plan.days
        self.report = RunReport(
            source=self.source.name,
            target_date=days[0].isoformat(),
            last_date=days[-1].isoformat() if len(days) > 1 else None,
            late_days=config.plan.late_days,
            input=config.input,
            output_path=self.ctx.day_path(days[0]) if len(days) == 1 else self.ctx.output,
            spark_version=spark.version,
            reader=self.source.reader_name(spark),
            days=[DayReport(day.isoformat(), self.ctx.day_path(day)) for day in days],
        )

    def run(self) -> RunReport:
        started = time.monotonic()
        clock = StageClock(self.spark, self.run_id)
        report = self.report
        try:
            self._run(clock)
            clock.open("report")
            raise_deferred([*kept_days_errors(report), *self.deferred], self.integrity_problems)
            report.status = "succeeded"
            return report
        except Exception as exc:
            clock.open("report")
            report.status = "failed"
            report.error = describe(exc)
            if not isinstance(exc, JobError):
                report.error_causes = error_causes(exc)
            for day_report in report.days:
                if day_report.status == "running":
                    day_report.status = NOT_WRITTEN
            raise
        finally:
            if self.publisher is not None:  # HOOK 3 (crash-safety): release the table's lock, also on failure
                self.publisher.release()
            clock.close()
            report.stages = clock.stages
            report.duration_s = round(time.monotonic() - started, 2)

    def _run(self, clock: StageClock) -> None:
        config, report = self.config, self.report
        with clock.stage("recover"):
            self.ctx = prepare(self.ctx)
            self.publisher = open_table(self.ctx)
            # HOOK 1 (crash-safety): the table's lock, then whatever crashed runs left, before anything is read.
            report.recovered = self.publisher.begin(config.wait_for_lock_s)
        with clock.stage("list"):
            listed = list_input(self.ctx)
            run_input = listed.run_input
            report.input_folders = run_input.folder_count
            report.input_files = len(run_input.files)
            report.input_bytes = run_input.total_bytes
            report.files_delivered_before_day = len(run_input.skipped)
            if run_input.not_read:
                report.files_not_read = kinds_of(run_input.not_read)
                report.file_not_read_example = run_input.not_read[0].uri
            for day_report, day in zip(report.days, config.plan.days):
                day_report.input_files = listed.files_per_day[day]
            if not run_input.files:
                for day_report in report.days:
                    day_report.status = NO_INPUT
                if config.require_input:
                    raise no_input_error(self.ctx, run_input)
        if run_input.files:
            self._write_days(clock, run_input)
        if config.verify_digests:  # also when no log file is left: the digests then say which were deleted
            with clock.stage("verify digests"):
                verified = verify_digests(self.ctx, listed.public_keys)
                report.integrity, self.integrity_problems = verified.integrity, verified.problems

    def _write_days(self, clock: StageClock, run_input: DayInput) -> None:
        ctx, report = self.ctx, self.report
        with clock.stage("convert", spark_cpu=True):
            converted = convert(ctx, run_input)
            report.events_read = converted.events_read
            report.events_quarantined = converted.events_quarantined
            report.events_for_other_days = converted.events_for_other_days
            report.late_events = converted.late_events
            report.rows_with_unmapped = converted.rows_with_unmapped
            for day_report, code in zip(report.days, ctx.plan.day_codes):
                day_report.events_in_day = converted.events_in_day[code]
                day_report.rows_written = converted.rows_written[code]
                day_report.duplicates_dropped = day_report.events_in_day - day_report.rows_written
        with clock.stage("check"):
            checked = check(ctx, run_input, converted)
            report.bad_files, report.bad_file_count = checked.bad_files[:MAX_LISTED_BAD_FILES], len(checked.bad_files)
            if converted.events_quarantined:
                report.quarantine_reasons = checked.quarantine_reasons
            for day_report, code in zip(report.days, ctx.plan.day_codes):
                day_report.events_quarantined = checked.quarantined.get(code, 0)
        with clock.stage("publish"):
            report.quarantine_path = publish_days(ctx, self.publisher, report.days, checked)
            report.add_up_days()
            written = [d for d in report.days if d.status == WRITTEN]
            if report.rows_with_unmapped and written:
                report.unmapped_fields = unmapped_fields(ctx, [d.output_path for d in written])
        with clock.stage("volume"):
            describe_written_days(ctx, report.days)
        with clock.stage("catalog"):
            report.catalog, failed = catalog_days(ctx, [d.target_date.replace("-", "") for d in written])
            if failed is not None:
                self.deferred.append(failed)
            # HOOK 2b (crash-safety): the staging folder and its journal go last, after the catalog step; kept when
            # anything above failed, for the next run's recovery.
            self.publisher.finish()


def run_job(spark: SparkSession, config: JobConfig, s3_client=None) -> RunReport:
    return Job(spark, config, s3_client).run()


__all__ = ["Job", "run_job"]
