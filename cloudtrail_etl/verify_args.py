"""Options of `cloudtrail-etl verify` (a module of its own, so that `run`'s options stay untouched)."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from collections.abc import Sequence

from cloudtrail_etl.days import parse_day, yesterday_kst
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


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def verify_parser(prog: str = "cloudtrail-etl verify") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, allow_abbrev=False, description="Check KST days of CloudTrail log files against their digests."
    )
    parser.add_argument("--input", required=True, help="location holding AWSLogs/ (directory or s3://bucket/prefix)")
    parser.add_argument("--date", help="KST day, YYYY-MM-DD or YYYYMMDD (default: yesterday in KST)")
    parser.add_argument("--from", dest="first", help="first KST day of a range (with --to, both inclusive)")
    parser.add_argument("--to", dest="last", help="last KST day of a range")
    parser.add_argument("--accounts", type=_csv, default=(), help="comma-separated account ids (default: all)")
    parser.add_argument("--regions", type=_csv, default=(), help="comma-separated regions (default: all)")
    parser.add_argument(
        "--public-keys", help="JSON printed by `aws cloudtrail list-public-keys` (default: ask CloudTrail)"
    )
    parser.add_argument("--report", help="also write the JSON report to this path (local or s3://)")

    def fail(message: str):
        raise UsageError(message)

    parser.error = fail  # type: ignore[method-assign]
    return parser


def _day(text: str, option: str) -> dt.date:
    try:
        return parse_day(text)
    except ValueError as exc:
        raise UsageError(str(exc).replace("--date", option)) from None


def parse_verify_args(argv: Sequence[str], prog: str = "cloudtrail-etl verify") -> VerifyConfig:
    """Parse `verify` options; raise UsageError with one readable line."""
    ns = verify_parser(prog).parse_args(list(argv))
    if ns.date and (ns.first or ns.last):
        raise UsageError("use either --date or --from/--to, not both")
    if bool(ns.first) != bool(ns.last):
        raise UsageError("--from and --to go together")
    if ns.first:
        first, last = _day(ns.first, "--from"), _day(ns.last, "--to")
        if last < first:
            raise UsageError(f"--to {ns.last} is before --from {ns.first}")
        count = (last - first).days + 1
        if count > MAX_DAYS:
            raise UsageError(f"--from/--to spans {count} days; verify at most {MAX_DAYS} at a time")
        days = tuple(first + dt.timedelta(days=n) for n in range(count))
    else:
        days = (_day(ns.date, "--date") if ns.date else yesterday_kst(),)
    return VerifyConfig(
        input=ns.input,
        days=days,
        accounts=tuple(ns.accounts),
        regions=tuple(ns.regions),
        public_keys=ns.public_keys,
        report=ns.report,
    )
