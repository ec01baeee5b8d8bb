"""Stage `verify digests` (--verify-digests): the run's days' log files checked against CloudTrail's digest files
(integrity/). Its problems fail the run with exit 10 after the days were written: their events are still worth
having."""

from __future__ import annotations

import dataclasses
from typing import Any

from cloudtrail_etl.aws import resolve_region
from cloudtrail_etl.progress import say
from cloudtrail_etl.stages.context import RunContext, absolute


@dataclasses.dataclass(frozen=True)
class Verified:
    integrity: dict[str, Any]  # the report's integrity (integrity/report.py)
    problems: list[str]  # one line each; none: the digests vouch for every file


def verify_digests(ctx: RunContext, public_keys: Any) -> Verified:
    from cloudtrail_etl.integrity.verify import verify_days

    say("verifying the days' log files against their digest files")
    config = ctx.config
    region = config.region or resolve_region()
    integrity = verify_days(
        ctx.spark, absolute(config.input), ctx.plan.days, config.accounts, config.regions,
        public_keys=public_keys, s3_client=ctx.s3_client,
        executor_s3_config={"region_name": region} if region else None,
    )  # fmt: skip
    return Verified(integrity.to_dict(), integrity.problem_lines())
