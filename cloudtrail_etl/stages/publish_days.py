"""Stage `publish`: each staged day that may be written is swapped into the table (one journaled publish, publish.py);
every other day is left as it was, and its report says why."""

from __future__ import annotations

from typing import Any

from pyspark.sql import functions as F

from cloudtrail_etl.days import proc_ymd
from cloudtrail_etl.discovery import is_s3
from cloudtrail_etl.progress import say
from cloudtrail_etl.report import KEPT_BAD_FILES, KEPT_FEWER_ROWS, NO_EVENTS, NO_INPUT, WRITTEN, DayReport
from cloudtrail_etl.stages.check import Checked
from cloudtrail_etl.stages.context import RunContext
from cloudtrail_etl.stages.convert import UNMAPPED
from cloudtrail_etl.transform import PROC_YMD


def publish_days(ctx: RunContext, publisher: Any, days: list[DayReport], checked: Checked) -> str | None:
    """Sets each day's status (WRITTEN once its swap is done) and output files; returns the report's
    quarantine_path (None when no quarantine folder was swapped in)."""
    quarantine_root = ctx.quarantine_root.rstrip("/")
    quarantine_path = None
    swaps, swapped_day = [], {}
    for day_report, day in zip(days, ctx.plan.days):
        code = proc_ymd(day)
        day_report.rows_before = checked.rows_before.get(day_report.output_path)
        if not day_report.events_in_day:
            day_report.status = NO_EVENTS if day_report.input_files else NO_INPUT
        elif code in checked.blocked:
            day_report.status = KEPT_BAD_FILES
        elif day_report.rows_before is not None and day_report.rows_written < day_report.rows_before:
            day_report.status = KEPT_FEWER_ROWS
        else:
            staged = ctx.day_path(day, ctx.staged_table)
            swaps.append(_swap(ctx, publisher, f"{PROC_YMD}={code}", staged, day_report.output_path, code))
            swapped_day[day_report.output_path] = day_report
        # Quarantined records are kept whatever became of the day: they belong to no day's rows.
        staged_quarantine = ctx.day_path(day, ctx.staged_quarantine)
        if day_report.events_quarantined and ctx.storage.exists(staged_quarantine):
            target = ctx.day_path(day, quarantine_root)  # replaced on a re-run, like the day itself
            swaps.append(_swap(ctx, publisher, f"quarantine {PROC_YMD}={code}", staged_quarantine, target))
            quarantine_path = target if len(days) == 1 else quarantine_root

    def swapped(target: str) -> None:
        day_report = swapped_day.get(target)
        if day_report is not None:  # a day (not a quarantine folder) is in the table
            day_report.status = WRITTEN
            files = ctx.storage.list_files(target)
            day_report.output_files = len(files)
            day_report.output_bytes = sum(size for _, size in files)

    # HOOK 2a (crash-safety): one journaled publish of every folder the run replaces.
    codes = [d.target_date.replace("-", "") for d in swapped_day.values()]
    publisher.publish(swaps, _catalog_step(ctx, codes), on_done=swapped)
    for day_report in days:
        say(
            f"day {day_report.target_date}: {day_report.status}, {day_report.rows_written} rows "
            f"({day_report.duplicates_dropped} duplicates dropped)"
        )
    return quarantine_path


def _swap(ctx: RunContext, publisher: Any, label: str, staged: str, target: str, code: str | None = None):
    """A folder to replace; with --catalog-table on S3, the day's partition is repointed during its swap."""
    from cloudtrail_etl.publish import partition_of, plan_swap

    config = ctx.config
    partition = None
    if code and config.catalog_table and is_s3(target):
        from cloudtrail_etl.catalog import partition_location, partition_location_now

        database, table = config.catalog_table.split(".", 1)
        glue = publisher.glue(config.region)
        if partition_location_now(glue, database, table, [code]):  # a new day has no partition to repoint yet
            location = partition_location(config.output, code)
            partition = partition_of(location, staged, [code], database, table, config.region)
    return plan_swap(publisher.files, label, staged, target, partition)


def _catalog_step(ctx: RunContext, day_codes: list[str]):
    if not day_codes or not (ctx.config.catalog_table or ctx.config.crawler):
        return None
    from cloudtrail_etl.catalog import catalog_step

    return catalog_step(ctx.config, day_codes)


def unmapped_fields(ctx: RunContext, day_paths: list[str]) -> dict[str, int]:
    """Paths of fields the schema does not know (schema drift), counted over the rows written."""
    written = ctx.spark.read.schema(ctx.source.output_schema()).parquet(*day_paths)
    keys = written.select(F.explode(ctx.source.unmapped_keys(F.col(UNMAPPED))))
    return {row[0]: int(row[1]) for row in keys.groupBy("col").count().orderBy("col").collect()}
