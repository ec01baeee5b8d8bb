"""Options of `cloudtrail-etl verify` (a module of its own, so that `run`'s options stay untouched)."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from collections.abc import Sequence

from cloudtrail_etl.config import check_filters, csv_list, parse_days
from cloudtrail_etl.errors import UsageError

MAX_DAYS = 366


@dataclasses.dataclass(frozen=True)
class VerifyConfig:
    input: str
    days: tuple[dt.date, ...]
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    public_keys: str | None = None
    report: str | None = None


def verify_parser(prog: str = "cloudtrail-etl verify") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, allow_abbrev=False, description="Check KST days of CloudTrail log files against their digests."
    )
    parser.add_argument("--input", required=True, help="location holding AWSLogs/ (directory or s3://bucket/prefix)")
    parser.add_argument("--date", help="KST day, YYYY-MM-DD or YYYYMMDD (default: yesterday in KST)")
    parser.add_argument("--from", dest="first", help="first KST day of a range, inclusive (--to defaults to yesterday)")
    parser.add_argument("--to", dest="last", help="last KST day of a range")
    parser.add_argument("--accounts", type=csv_list, default=(), help="comma-separated account ids (default: all)")
    parser.add_argument("--regions", type=csv_list, default=(), help="comma-separated regions (default: all)")
    parser.add_argument(
        "--public-keys", help="JSON printed by `aws cloudtrail list-public-keys` (default: ask CloudTrail)"
    )
    parser.add_argument("--report", help="also write the JSON report to this path (local or s3://)")

    def fail(message: str):
        raise UsageError(message)

    parser.error = fail  # type: ignore[method-assign]
    return parser


def parse_verify_args(argv: Sequence[str], prog: str = "cloudtrail-etl verify") -> VerifyConfig:
    """Parse `verify` options; raise UsageError with one readable line."""
    ns = verify_parser(prog).parse_args(list(argv))
    try:
        first, last = parse_days(ns.date, ns.first, ns.last)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    check_filters(ns.accounts, ns.regions)
    count = ((last or first) - first).days + 1
    if count > MAX_DAYS:
        raise UsageError(f"--from/--to spans {count} days; verify at most {MAX_DAYS} at a time")
    days = tuple(first + dt.timedelta(days=n) for n in range(count))
    return VerifyConfig(
        input=ns.input,
        days=days,
        accounts=tuple(ns.accounts),
        regions=tuple(ns.regions),
        public_keys=ns.public_keys,
        report=ns.report,
    )
