"""Stage `volume`: what each written day holds per delivery stream (CloudTrail: account and region; flow logs: also
the flow log id) and KST hour, and which streams that delivered on the day before are silent on it.

Read from the written days' own Parquet files, a few narrow columns (column pruning: dictionary-encoded, sorted),
never from the input again. The day before is the table's previous partition as it is after the run's publish: the
run's own version when the run wrote it, else what the table held. Observed metrics cannot do this in the write
itself: an aggregate per stream needs the streams known before the write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pyspark.sql import functions as F

from cloudtrail_etl.days import proc_ymd
from cloudtrail_etl.errors import describe
from cloudtrail_etl.progress import say
from cloudtrail_etl.report import WRITTEN, DayReport
from cloudtrail_etl.stages.context import RunContext
from cloudtrail_etl.transform import PROC_YMD

HOURS = 24
_DAY, _HOUR, _ROWS = "_day", "_hour", "_rows"

Stream = tuple[Any, ...]  # the values of the source's stream columns, in their order


def describe_written_days(ctx: RunContext, days: Sequence[DayReport]) -> None:
    """Fills `volume` and `streams` of each written day, with one small Spark job over the written days and the days
    before them that the table holds. A read that fails leaves them null and says so on stderr: the day is written
    whatever its description."""
    written = [d for d in days if d.status == WRITTEN]
    if not written:
        return
    keys = [key for key, _ in ctx.source.stream_columns]
    written_codes = {_code(d.target_date) for d in written}
    before = {d.target_date: dt.date.fromisoformat(d.target_date) - dt.timedelta(days=1) for d in written}
    # The day before, when the run did not write it: as the table holds it, if it does.
    others = sorted({day for day in before.values() if proc_ymd(day) not in written_codes})
    others = [day for day in others if ctx.storage.exists(ctx.day_path(day))]
    try:
        volume = day_volume(ctx, [d.output_path for d in written] + [ctx.day_path(day) for day in others])
    except Exception as exc:
        say(f"could not count the written days' rows per stream and hour ({describe(exc)})")
        return
    in_table = written_codes | {proc_ymd(day) for day in others}
    for day in written:
        present = volume.get(_code(day.target_date), {})
        day.volume = volume_entries(keys, present)
        reference = proc_ymd(before[day.target_date])
        streams_before = set(volume.get(reference, {})) if reference in in_table else None
        day.streams = streams_summary(keys, set(present), streams_before, before[day.target_date])
        silent = day.streams["silent"]
        if silent:
            named = ", ".join("/".join(str(value) for value in stream.values()) for stream in silent[:5])
            more = f" and {len(silent) - 5} more" if len(silent) > 5 else ""
            say(f"day {day.target_date}: {len(silent)} stream(s) with rows on {before[day.target_date]} have none: "
                f"{named}{more}")  # fmt: skip


def _code(target_date: str) -> str:
    return target_date.replace("-", "")


def day_volume(ctx: RunContext, paths: Sequence[str]) -> dict[str, dict[Stream, list[int]]]:
    """Day code -> stream -> rows per KST hour (index 24: rows without an hour), of the day folders at `paths`: the
    stream and time columns only, the day from the folder (a partition column, not a value per row)."""
    source = ctx.source
    keys = [key for key, _ in source.stream_columns]
    rows = ctx.spark.read.option("basePath", ctx.output).schema(source.output_schema()).parquet(*paths)
    counts = rows.groupBy(
        F.col(PROC_YMD).cast("string").alias(_DAY),
        *[F.col(f"`{column}`").alias(key) for key, column in source.stream_columns],
        F.hour(F.col(f"`{source.hour_column}`")).alias(_HOUR),
    ).agg(F.count(F.lit(1)).alias(_ROWS))
    found: dict[str, dict[Stream, list[int]]] = {}
    for row in counts.collect():  # at most streams x 25 rows per day
        hours = found.setdefault(row[_DAY], {}).setdefault(tuple(row[key] for key in keys), [0] * (HOURS + 1))
        hours[HOURS if row[_HOUR] is None else row[_HOUR]] += int(row[_ROWS])
    return found


def _order(stream: Stream) -> tuple:
    return tuple("" if value is None else str(value) for value in stream)


def volume_entries(keys: Sequence[str], streams: dict[Stream, list[int]]) -> list[dict[str, Any]]:
    """The report's `volume` of one day: per stream, its rows and its rows per KST hour 00..23, by stream."""
    return [
        {**dict(zip(keys, stream)), "rows": sum(hours), "hours": hours[:HOURS]}
        for stream, hours in sorted(streams.items(), key=lambda item: _order(item[0]))
    ]


def streams_summary(
    keys: Sequence[str], present: set[Stream], reference: set[Stream] | None, day_before: dt.date
) -> dict[str, Any]:
    """The report's `streams` of one day: how many streams have rows, and those that had rows on the day before
    and none on this day (none without a day before in the table)."""
    silent = sorted(reference - present, key=_order) if reference is not None else []
    return {
        "present": len(present),
        "silent": [dict(zip(keys, stream)) for stream in silent],
        "reference_day": day_before.isoformat() if reference is not None else None,
    }
