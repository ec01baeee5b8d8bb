"""Stage `list`: the delivery files of the run's UTC folders, and which of the run's days each one can hold."""

from __future__ import annotations

import dataclasses
import datetime as dt

from cloudtrail_etl.discovery import DayInput, not_read_summary
from cloudtrail_etl.errors import NoInputFiles
from cloudtrail_etl.progress import say
from cloudtrail_etl.stages.context import MIB, RunContext, absolute


@dataclasses.dataclass(frozen=True)
class Listed:
    run_input: DayInput
    files_per_day: dict[dt.date, int]  # the files each day's own single-day run would read
    public_keys: object = None  # --public-keys, loaded (integrity/keys.py), or None


def list_input(ctx: RunContext) -> Listed:
    config, plan = ctx.config, ctx.plan
    say(f"listing {len(plan.folder_days)} UTC folders per account and region for KST {ctx.span} under {config.input}")
    run_input = ctx.source.discover(
        absolute(config.input), plan.folder_days, plan.delivered_since, config.accounts, config.regions, ctx.s3_client
    )
    reading = {day: 0 for day in plan.days}
    for f in run_input.files:
        for day in plan.days_reading(f):
            reading[day] += 1
    total_mib = run_input.total_bytes / MIB
    say(f"found {len(run_input.files)} files ({total_mib:.1f} MiB) in {run_input.folder_count} folders")
    if run_input.not_read:  # never a bare "found 0 files" over folders full of something else
        say(not_read_summary(run_input.not_read))
    return Listed(run_input, reading, public_keys(config.public_keys))  # a bad --public-keys fails before any work


def public_keys(path: str | None):
    if not path:
        return None
    from cloudtrail_etl.integrity.keys import load_public_keys_file

    return load_public_keys_file(path)


def no_input_error(ctx: RunContext, run_input: DayInput) -> NoInputFiles:
    skipped = run_input.skipped
    early = f" ({len(skipped)} delivered before the day began)" if skipped else ""
    others = f"; {not_read_summary(run_input.not_read)}" if run_input.not_read else ""
    return NoInputFiles(f"no {ctx.source.title} files for KST {ctx.span} under {ctx.config.input}{early}{others}")
