"""Stage `check`: what may keep a staged day out of the table. Files listed but not read (a day whose own run would
read one is not replaced, unless --skip-bad-files), records that belong to no day (staged, raw, for the
quarantine), and the rows the table holds now for each day (a day never shrinks, unless --allow-fewer-rows)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from pyspark.sql import functions as F

from cloudtrail_etl import transform as T
from cloudtrail_etl.days import proc_ymd
from cloudtrail_etl.discovery import DayInput, InputFile
from cloudtrail_etl.report import REASON_UNREADABLE, REASON_ZERO_BYTES, BadFile
from cloudtrail_etl.stages.context import RunContext, same_file_key
from cloudtrail_etl.stages.convert import Converted, union


@dataclasses.dataclass(frozen=True)
class Checked:
    bad_files: list[BadFile]  # every one, by path
    blocked: dict[str, list[str]]  # day code -> the unreadable files its single-day run would read
    quarantined: dict[str, int]  # day code -> records staged for its quarantine
    quarantine_reasons: dict[str, int]
    rows_before: dict[str, int]  # day folder -> rows the table holds for it now (days it holds only)


def check(ctx: RunContext, run_input: DayInput, converted: Converted) -> Checked:
    bad = bad_files(ctx, run_input, converted.documents, converted.problems, converted.checked_files)
    blocked = {} if ctx.config.skip_bad_files else days_blocked(ctx, run_input, bad)
    quarantined, reasons = {}, {}
    if converted.events_quarantined:
        quarantined, reasons = stage_quarantine(ctx, run_input, converted.quarantined_files, converted.checked_files)
    ready = [
        ctx.day_path(day)
        for day in ctx.plan.days
        if converted.events_in_day[proc_ymd(day)] and proc_ymd(day) not in blocked
    ]
    rows = {} if ctx.config.allow_fewer_rows else rows_before(ctx, ready)
    return Checked(bad, blocked, quarantined, reasons, rows)


def bad_files(
    ctx: RunContext, run_input: DayInput, documents: int, problems: str, checked_files: frozenset[str] = frozenset()
) -> list[BadFile]:
    """Files listed but not usable: zero bytes, unusable content (the source says why), or not decompressible."""
    bad = [BadFile(f.uri, REASON_ZERO_BYTES) for f in run_input.files if f.size == 0]
    for line in filter(None, problems.split("\n")):
        path, reason = line.split("\t", 1)
        bad.append(BadFile(same_file_key(path), reason))
    expected = sum(1 for f in run_input.files if f.size > 0)
    if documents < expected:
        # Some non-empty files produced no document at all. Find which, with a read of the file names only.
        documents_of = ctx.source.read_files(ctx.spark, run_input.folders, run_input.delivered_since)
        read = {same_file_key(row[0]) for row in documents_of.select(T.SOURCE_FILE).distinct().collect()}
        read |= {same_file_key(uri) for uri in checked_files}
        unread = [f for f in run_input.files if f.size > 0 and same_file_key(f.uri) not in read]
        bad += [BadFile(f.uri, REASON_UNREADABLE) for f in unread]
    return sorted(bad, key=lambda b: b.path)


def days_blocked(ctx: RunContext, run_input: DayInput, bad: list[BadFile]) -> dict[str, list[str]]:
    """Day code -> the unreadable files its own single-day run would read: such a day is not replaced."""
    listed: dict[str, InputFile] = {same_file_key(f.uri): f for f in run_input.files}
    blocked: dict[str, list[str]] = {}
    for bad_file in bad:
        found = listed.get(same_file_key(bad_file.path))
        days = ctx.plan.days_reading(found) if found else ctx.plan.days
        for day in days:
            blocked.setdefault(proc_ymd(day), []).append(f"{bad_file.path} ({bad_file.reason})")
    return blocked


def stage_quarantine(
    ctx: RunContext,
    run_input: DayInput,
    quarantined_files: tuple[str, ...],
    checked_files: frozenset[str] = frozenset(),
) -> tuple[dict[str, int], dict[str, int]]:
    """Records that cannot be placed in a day, raw, with the reason, under the first run day that reads their
    file. A second read, of the (few) files that held such records only, with the names as they were listed.
    Returns the records staged per day code and per reason."""
    plan, spark = ctx.plan, ctx.spark
    wanted = {same_file_key(path) for path in quarantined_files}
    by_day: dict[dt.date, list[str]] = {}
    for f in run_input.files:
        if same_file_key(f.uri) in wanted:
            days = plan.days_reading(f) or plan.days
            by_day.setdefault(days[0], []).append(f.uri)
    per_day: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for day in plan.days:
        if day not in by_day:
            continue
        events = _quarantine_records(ctx, run_input, by_day[day], checked_files)
        rows = events.filter(F.col(T.QUARANTINE_REASON).isNotNull()).select(
            F.col(T.SOURCE_FILE).alias("source_file"),
            F.col(T.RECORD_INDEX).alias("record_index"),
            F.col(T.QUARANTINE_REASON).alias("reason"),
            F.col(T.RECORD_TEXT).alias("record"),
        )
        staged = ctx.day_path(day, ctx.staged_quarantine)
        rows.write.mode("overwrite").option("compression", "gzip").json(staged)
        counts = spark.read.schema("reason string").json(staged).groupBy("reason").count().collect()
        for row in counts:
            reasons[row["reason"]] = reasons.get(row["reason"], 0) + int(row["count"])
            per_day[proc_ymd(day)] = per_day.get(proc_ymd(day), 0) + int(row["count"])
    return per_day, reasons


def _quarantine_records(ctx: RunContext, run_input: DayInput, uris: list[str], checked_files: frozenset[str]):
    """The records of these files with their text: checked files by checked_read, the others by read_files."""
    source, spark = ctx.source, ctx.spark
    checked = [uri for uri in uris if uri in checked_files]
    others = [uri for uri in uris if uri not in checked_files]
    records = source.records(source.read_files(spark, others, exact_text=True)) if others else None
    if checked:
        wanted = set(checked)
        chosen = DayInput((), tuple(f for f in run_input.files if f.uri in wanted))
        again = source.checked_read(spark, chosen, ctx.s3_client, exact_text=True)
        records = union(records, again.records if again else None)
    return records


def rows_before(ctx: RunContext, day_paths: list[str]) -> dict[str, int]:
    """Rows the table holds now for these day folders (row counts from the Parquet footers, one small Spark job)."""
    existing = [path for path in day_paths if ctx.storage.exists(path)]
    if not existing:
        return {}
    folder = F.regexp_extract(F.col("_metadata.file_path"), rf"{T.PROC_YMD}=([0-9]{{8}})", 1)
    counts = ctx.spark.read.schema(ctx.source.output_schema()).parquet(*existing)
    counts = counts.groupBy(folder.alias("d")).count()
    found = {row["d"]: int(row["count"]) for row in counts.collect()}
    return {path: found.get(path.rsplit("=", 1)[-1], 0) for path in existing}
