"""Stage `catalog` (--catalog-table / --crawler): the written days' partitions made visible to Athena, then the
run's staging folder removed. A catalog failure does not undo the days: it is the run's exit 7, raised at its end."""

from __future__ import annotations

from typing import Any

from cloudtrail_etl.errors import CatalogFailed
from cloudtrail_etl.progress import say
from cloudtrail_etl.stages.context import RunContext


def catalog_days(ctx: RunContext, day_codes: list[str]) -> tuple[dict[str, Any], CatalogFailed | None]:
    """The report's catalog of the written days (YYYYMMDD codes), and the failure to raise at the end, if any."""
    config = ctx.config
    if not day_codes or not (config.catalog_table or config.crawler):
        return {}, None
    # Imported only when asked for: a run without a catalog step needs no boto3 on the cluster's Python.
    from cloudtrail_etl.catalog import publish_days

    say(f"{len(day_codes)} partition(s)")
    try:
        return publish_days(config, day_codes), None
    except CatalogFailed as exc:
        return {}, exc
