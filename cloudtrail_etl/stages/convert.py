"""Stage `convert`: every listed file read once, its records typed into the table's columns and written, by day,
into the run's staging folder. The counts come from observed metrics of that one pass (no second read)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F

from cloudtrail_etl import transform as T
from cloudtrail_etl.days import proc_ymd
from cloudtrail_etl.discovery import DayInput
from cloudtrail_etl.errors import OutputNotWritable, describe
from cloudtrail_etl.progress import say
from cloudtrail_etl.session import quiet_task_failures
from cloudtrail_etl.stages.context import RunContext
from cloudtrail_etl.writer import write_days

UNMAPPED = "unmapped"  # a table's column of what its schema does not know, where the source has one


@dataclasses.dataclass(frozen=True)
class Converted:
    """What the pass read and wrote into staging. Day codes are YYYYMMDD; dates in the report's keys YYYY-MM-DD."""

    documents: int  # files that gave a document (a row of read_files)
    problems: str  # "path\treason" lines of the files the source found unusable
    events_read: int
    events_quarantined: int
    quarantined_files: tuple[str, ...]  # the files that hold quarantined records, as Spark named them
    events_in_day: dict[str, int]  # day code -> events placed in the day (duplicates included)
    rows_written: dict[str, int]  # day code -> rows staged
    rows_with_unmapped: int
    events_for_other_days: dict[str, int]  # YYYY-MM-DD -> events of days outside the run
    late_events: dict[str, int]  # of those, the days before the first delivered late
    checked_files: frozenset[str] = frozenset()  # read (or refused) by the source's checked_read, URIs as listed


def check_writable(ctx: RunContext) -> None:
    """Fail fast, before any Spark work, when the output side cannot be written: write and delete a marker.

    Not mkdirs on the table root: on S3 that is HEAD and LIST probes of the root and its parents, which need
    more permissions than the job otherwise does (deploy/README.md)."""
    marker = f"{ctx.staging_run}/_writable"
    try:
        ctx.storage.write_text(marker, ctx.run_id)
        ctx.storage.delete(marker)
    except Exception as exc:
        raise OutputNotWritable(f"cannot write to {ctx.staging_run}: {describe(exc)}") from exc


def convert(ctx: RunContext, run_input: DayInput) -> Converted:
    """Convert the run's files into staging: the source's fast read where it has one, checked after the write,
    else (or when the check or the read fails) the exact read."""
    check_writable(ctx)
    file_metrics, events, written, checked_files = _write_staged_days(ctx, run_input)
    codes, window = ctx.plan.day_codes, ctx.plan.other_days_window()
    other_days = _other_days(events, [proc_ymd(day) for day in window])
    previous = window[1].isoformat()
    late = {day: n for day, n in other_days.items() if day < previous}
    if int(events["late_previous"]):
        late[previous] = int(events["late_previous"])
    return Converted(
        documents=int(file_metrics["documents"]),
        problems=file_metrics["problems"],
        events_read=int(events["events_read"]),
        events_quarantined=int(events["quarantined"]),
        quarantined_files=tuple(path for path in events["quarantined_files"].split("\n") if path),
        events_in_day={code: int(events[f"in_{code}"]) for code in codes},
        rows_written={code: int(written[f"rows_{code}"]) for code in codes},
        rows_with_unmapped=int(written["with_unmapped"]),
        events_for_other_days=other_days,
        late_events=late,
        checked_files=checked_files,
    )


def union(first: DataFrame | None, second: DataFrame | None) -> DataFrame | None:
    """Records of two reads as one DataFrame (by column name); either may be None (no such files)."""
    if first is None or second is None:
        return first if second is None else second
    return first.unionByName(second, allowMissingColumns=True)


def _write_staged_days(ctx: RunContext, run_input: DayInput) -> tuple[dict, dict, dict, frozenset[str]]:
    """The file, event and written-row metrics of the pass that wrote the staged days, and the files the source
    checked on the driver first (checked_read), whose records join either read."""
    spark, source = ctx.spark, ctx.source
    checked = source.checked_read(spark, run_input, ctx.s3_client)
    checked_files = frozenset(set(checked.read) | {uri for uri, _ in checked.bad}) if checked else frozenset()
    checked_records = checked.records if checked else None
    checked_problems = "\n".join(f"{uri}\t{reason}" for uri, reason in checked.bad) if checked else ""
    fast = source.fast_records(spark, run_input, ctx.s3_client)
    if fast is not None:
        try:
            with quiet_task_failures(spark):  # a failure here is said in one line below, then read again
                events, written = _write_records(ctx, union(fast.records, checked_records), run_input.total_bytes)
            problem = fast.check()
        except Exception as exc:  # a file the fast read cannot handle (a corrupt gzip): the exact read can
            problem = f"the fast read failed ({describe(exc)})"
        if problem is None:
            documents = sum(1 for f in run_input.files if f.size > 0)
            return {"documents": documents, "problems": checked_problems}, events, written, checked_files
        say(f"{problem}: reading every file whole, each by its own header")
        ctx.storage.delete(ctx.staged_table)
    file_stats = Observation("files")
    files = source.read_files(spark, run_input.folders, run_input.delivered_since).observe(
        file_stats,
        F.count(F.lit(1)).alias("documents"),
        # Observed metrics come back as scalars: the (rare) problem files travel as one tab/newline text.
        F.concat_ws(
            "\n",
            F.collect_list(F.when(F.col(T.FILE_PROBLEM).isNotNull(), F.concat_ws("\t", T.SOURCE_FILE, T.FILE_PROBLEM))),
        ).alias("problems"),
    )
    records = union(source.records(files), checked_records)
    events, written = _write_records(ctx, records, run_input.total_bytes)
    read = file_stats.get
    problems = "\n".join(filter(None, [read["problems"], checked_problems]))
    documents = int(read["documents"]) + len(checked_files)
    return {"documents": documents, "problems": problems}, events, written, checked_files


def _count_by_day(codes: Sequence[str], condition, prefix: str) -> list:
    """One observed count per day (Observation has no group-by): cheap comparisons of a short text."""
    return [T.count_where(condition & (F.col(T.PROC_YMD) == F.lit(code))).alias(f"{prefix}{code}") for code in codes]


def _write_records(ctx: RunContext, records: DataFrame, input_bytes: int) -> tuple[dict, dict]:
    """Count the records (observed metrics of the one pass), keep the run's days, drop duplicate deliveries where the
    source has a record id, and write the days into staging. The event and written-row metrics."""
    plan, source = ctx.plan, ctx.source
    codes = plan.day_codes
    event_stats, written_stats = Observation("events"), Observation("written")
    placed = F.col(T.QUARANTINE_REASON).isNull()
    near = [proc_ymd(day) for day in plan.other_days_window()]
    events = records.observe(
        event_stats,
        F.count(F.lit(1)).alias("events_read"),
        T.count_where(~placed).alias("quarantined"),
        # Names only, as one text: the quarantine pass then re-reads just these files, not the whole input.
        F.concat_ws("\n", F.collect_set(F.when(~placed, F.col(T.SOURCE_FILE)))).alias("quarantined_files"),
        *_count_by_day(codes, placed, "in_"),
        *_count_by_day(near, placed, "near_"),
        # The day before the first is expected in the first folder (its last hour); from later folders it is late.
        T.count_where(
            placed & (F.col(T.PROC_YMD) == F.lit(near[1])) & ~T.in_utc_folder(F.col(T.SOURCE_FILE), plan.folder_days[0])
        ).alias("late_previous"),
        # Days further away (deliveries over a day late) are rare: their codes travel as one text.
        F.concat_ws(",", F.collect_list(F.when(placed & ~F.col(T.PROC_YMD).isin(*codes, *near), T.PROC_YMD))).alias(
            "far"
        ),
    )
    in_days = T.keep_days(events, plan.first_day, plan.last_day)
    record_id, key = source.record_id(), source.distribution_key()
    if key is not None:
        # Each (day, bucket of the key) is a task of its own: every copy of a record meets its others, and only
        # the kept rows are typed (the shuffle carries each record as the source read it, benchmarks/profile.md).
        parallelism = ctx.spark.sparkContext.defaultParallelism
        buckets = plan.buckets_per_day(input_bytes, parallelism, source.shuffle_bytes_per_folder_byte)
        rows = T.cluster_by_day(in_days, plan.days, buckets, key)
        if record_id is not None:
            rows = T.drop_duplicate_deliveries(rows, record_id, within=[T.SLOT])
        say(f"converting {len(codes)} day(s) in {len(codes) * buckets} tasks")
    else:
        # No shuffle: each reading task writes its rows, sorted, into their days.
        rows = in_days
        say(f"converting {len(codes)} day(s)")
    # `unmapped` (null when a record holds nothing the schema does not know): the signal to extend the schema.
    table = source.to_table(rows)
    table = table.observe(
        written_stats,
        T.count_where(F.col(UNMAPPED).isNotNull() if UNMAPPED in table.columns else F.lit(False)).alias(
            "with_unmapped"
        ),
        *_count_by_day(codes, F.lit(True), "rows_"),
    )
    write_days(
        table,
        ctx.staged_table,
        source.output_schema(),
        source.sort_columns,
        source.bloom_filter_columns,
        source.row_group_bytes,
        source.plain_columns,
    )
    return event_stats.get, written_stats.get


def _other_days(events: dict, near: Sequence[str]) -> dict[str, int]:
    counts = {code: int(events[f"near_{code}"]) for code in near}
    for code in filter(None, events["far"].split(",")):
        counts[code] = counts.get(code, 0) + 1
    return {f"{code[:4]}-{code[4:6]}-{code[6:]}": n for code, n in sorted(counts.items()) if n}
