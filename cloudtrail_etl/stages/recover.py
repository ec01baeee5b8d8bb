"""Stage `recover`: before anything is read or changed, the table's lock, then whatever crashed runs left."""

from __future__ import annotations

import dataclasses
from typing import Any

from cloudtrail_etl.discovery import is_s3
from cloudtrail_etl.stages.context import RunContext


def prepare(ctx: RunContext) -> RunContext:
    """Settings that would fail late, checked first (a catalog run needs a region), and the S3 client of the input."""
    config = ctx.config
    if config.catalog_table or config.crawler:
        from cloudtrail_etl.aws import require_region

        require_region(config.region)  # before any work, not after the days were written
    if ctx.s3_client is None and is_s3(config.input):
        from cloudtrail_etl.aws import client

        return dataclasses.replace(ctx, s3_client=client("s3", config.region))
    return ctx


def open_table(ctx: RunContext) -> Any:
    """The run's publisher (publish.py) on the table; `begin` it to take the lock and recover."""
    from cloudtrail_etl.publish import open_publisher

    return open_publisher(ctx.storage, ctx.output, ctx.staging_root, ctx.quarantine_root, ctx.run_id, ctx.config.region)
