"""Job options: one parser shared by the CLI, spark-submit and the Glue entry script."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import difflib
import re
from collections.abc import Sequence

from cloudtrail_etl.days import parse_day, yesterday_kst
from cloudtrail_etl.discovery import ACCOUNT_ID, REGION_NAME
from cloudtrail_etl.errors import UsageError
from cloudtrail_etl.plan import RunPlan
from cloudtrail_etl.sources import DEFAULT_SOURCE, source_names

# Arguments that AWS Glue adds to every run. They are accepted and ignored; anything else unknown is an error.
_GLUE_OWN_EXACT = {
    "--TempDir",
    "--RedshiftTempDir",
    "--scriptLocation",
    "--class",
    "--conf",
    "--debug",
    "--mode",
    "--extra-py-files",
    "--extra-jars",
    "--extra-files",
    "--additional-python-modules",
    "--python-modules-installer-option",
    "--user-jars-first",
    "--datalake-formats",
    "--encryption-type",
    "--spark-event-logs-path",
    "--auto-scale-within-microbatch",
    "--executor-cores",
    "--disable-proxy-v2",
    "--customer-driver-env-vars",
    "--customer-executor-env-vars",
}
_GLUE_OWN_PREFIXES = (
    "--JOB_",
    "--job-",
    "--enable-",
    "--continuous-log-",
    "--glue-",
    "--security_configuration",
)


@dataclasses.dataclass(frozen=True)
class JobConfig:
    input: str
    output: str
    day: dt.date  # the first (or only) KST day
    report: str | None = None
    quarantine: str | None = None
    skip_bad_files: bool = False
    require_input: bool = False
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    crawler: str | None = None
    create_crawler: bool = False
    crawler_role: str | None = None
    crawler_database: str | None = None
    catalog_table: str | None = None
    wait: bool = False
    wait_timeout_s: int = 1800
    region: str | None = None
    traceback: bool = False
    last_day: dt.date | None = None  # --to; None for a single day
    late_days: int = 0
    allow_fewer_rows: bool = False
    verify_digests: bool = False
    public_keys: str | None = None
    source: str = DEFAULT_SOURCE  # the log type: cloudtrail, vpcflow (sources/)
    wait_for_lock_s: float = 0.0  # --wait-for-lock: how long to wait for another run's lock on the table
    metrics_namespace: str | None = None  # --metrics-namespace: put the run's figures to CloudWatch (metrics.py)
    metrics_per_stream: bool = False  # --metrics-per-stream: also rows written per account/region/flow log
    metrics_table: str | None = None  # --metrics-table: the Table dimension (default: metrics.table_dimension)

    @property
    def plan(self) -> RunPlan:
        return RunPlan(self.day, self.last_day or self.day, self.late_days)

    @property
    def quarantine_root(self) -> str:
        """Outside the table root, so neither Athena nor a crawler of the table ever reads it."""
        return self.quarantine or self.output.rstrip("/") + "_quarantine"

    @property
    def staging_root(self) -> str:
        return self.output.rstrip("/") + "_staging"


def _error_exit(parser: argparse.ArgumentParser):
    def fail(message: str):
        raise UsageError(message)

    parser.error = fail  # type: ignore[method-assign]
    return parser


def csv_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _flag(text: str) -> bool:
    """Flags also take a value, because Glue passes every job argument as `--key value` (value may be empty)."""
    value = text.strip().lower()
    if value in ("", "true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")


# The optional value shows as [true|false] in --help, not as the option's name in capitals.
_FLAG = {"nargs": "?", "const": True, "default": False, "type": _flag, "metavar": "true|false"}


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more seconds, not {text!r}")
    return value


def add_source_option(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--source",
        choices=source_names(),
        default=DEFAULT_SOURCE,
        help=f"the log type to read (default {DEFAULT_SOURCE}): CloudTrail, or VPC Flow Logs delivered to S3",
    )
    return parser


def add_run_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    add_source_option(parser)
    parser.add_argument("--input", required=True, help="location holding AWSLogs/ (directory or s3://bucket/prefix)")
    parser.add_argument("--output", required=True, help="table root; the day lands in OUTPUT/proc_ymd=YYYYMMDD/")
    parser.add_argument("--date", help="KST day to process, YYYY-MM-DD or YYYYMMDD (default: yesterday in KST)")
    parser.add_argument(
        "--from", dest="first_day", help="first KST day of a range (with --to; --to defaults to yesterday)"
    )
    parser.add_argument("--to", dest="last_day", help="last KST day of a range, inclusive")
    parser.add_argument(
        "--last-days",
        type=int,
        help="the N KST days up to yesterday (a fixed argument for a scheduled re-run, e.g. weekly with --late-days 1)",
    )
    parser.add_argument(
        "--late-days",
        type=int,
        default=0,
        help="also read the N UTC folders after the last day's, for files CloudTrail delivered late (default 0)",
    )
    parser.add_argument(
        "--allow-fewer-rows", **_FLAG, help="replace a day even when it would then hold fewer rows than it does now"
    )
    parser.add_argument(
        "--verify-digests",
        **_FLAG,
        help="also check the days' log files against CloudTrail's digest files (exit 10 when anything is wrong)",
    )
    parser.add_argument(
        "--public-keys",
        help="for --verify-digests: JSON of `aws cloudtrail list-public-keys` (default: ask CloudTrail)",
    )
    parser.add_argument("--report", help="also write the JSON run report to this path (local or s3://)")
    add_wait_for_lock(parser)
    parser.add_argument(
        "--quarantine", help="where unusable records go (default: OUTPUT_quarantine, outside the table)"
    )
    parser.add_argument("--skip-bad-files", **_FLAG, help="write the day even if some files are unreadable")
    parser.add_argument("--require-input", **_FLAG, help="fail when the day has no input files at all")
    parser.add_argument(
        "--accounts", type=csv_list, default=(), help="comma-separated account ids to read (default: all)"
    )
    parser.add_argument("--regions", type=csv_list, default=(), help="comma-separated regions to read (default: all)")
    parser.add_argument("--crawler", help="Glue crawler to start after a successful write")
    parser.add_argument("--create-crawler", **_FLAG, help="create --crawler if it does not exist")
    parser.add_argument("--crawler-role", help="IAM role ARN for --create-crawler")
    parser.add_argument("--crawler-database", help="Glue database the created crawler writes the table to")
    parser.add_argument("--catalog-table", help="DB.TABLE to create if missing and add the day's partition to")
    parser.add_argument("--wait", **_FLAG, help="wait for the crawl to finish and report its state")
    parser.add_argument("--wait-timeout", type=int, default=1800, help="seconds to wait for the crawler (default 1800)")
    parser.add_argument(
        "--region",
        help="AWS region of the Glue catalog and the S3 calls (default: AWS_REGION, AWS_DEFAULT_REGION, the AWS "
        "config file, the instance metadata)",
    )
    parser.add_argument("--traceback", **_FLAG, help="on an unexpected error, print the full Python and Java trace")
    parser.add_argument(
        "--metrics-namespace",
        metavar="NS",
        help="put the run's figures to this CloudWatch namespace when it ends (default: none are put); a failure "
        "to put them is reported, never fails the run",
    )
    parser.add_argument(
        "--metrics-per-stream",
        **_FLAG,
        help="with --metrics-namespace: also rows written per account, region (and flow log): one CloudWatch "
        "metric, billed, per stream",
    )
    parser.add_argument(
        "--metrics-table",
        help="with --metrics-namespace: the Table dimension (default: the table of --catalog-table, else the last "
        "folder of --output)",
    )
    return parser


def add_wait_for_lock(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait-for-lock",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="when another run holds the table's lock, wait up to this long for it (default 0: fail at once, exit 11)",
    )


def run_parser(prog: str = "cloudtrail-etl run") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        allow_abbrev=False,
        description="Convert KST days of CloudTrail files (one day, a range or the last N days) to Parquet.",
    )
    return _error_exit(add_run_options(parser))


def _is_glue_own(option: str) -> bool:
    name = option.split("=", 1)[0]
    return name in _GLUE_OWN_EXACT or name.startswith(_GLUE_OWN_PREFIXES)


def drop_glue_arguments(extras: Sequence[str], known_options: Sequence[str]) -> None:
    """Glue mixes its own --key value pairs into argv: skip those, fail on anything else unknown."""
    index = 0
    while index < len(extras):
        token = extras[index]
        if token.startswith("--") and _is_glue_own(token):
            index += 1
            if index < len(extras) and not extras[index].startswith("--") and "=" not in token:
                index += 1  # its value
            continue
        if token.startswith("-"):
            name = token.split("=", 1)[0]
            close = difflib.get_close_matches(name, known_options, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(f"unknown option {name}{hint}")
        raise UsageError(f"unexpected argument {token!r}")


def parse_days(
    date: str | None, first_day: str | None, last_day: str | None, last_days: int | None = None
) -> tuple[dt.date, dt.date | None]:
    """(first day, last day or None for a single day) from --date, --from/--to or --last-days (shared by `verify`).

    Raises UsageError (or ValueError for a date that is not a day)."""
    if sum(bool(given) for given in (date, first_day or last_day, last_days is not None)) > 1:
        raise UsageError("use one of --date, --from/--to and --last-days")
    if last_days is not None:
        if last_days < 1:
            raise UsageError("--last-days must be 1 or more")
        yesterday = yesterday_kst()
        return yesterday - dt.timedelta(days=last_days - 1), yesterday
    if last_day and not first_day:
        raise UsageError("--to needs --from")
    if not first_day:
        return (parse_day(date) if date else yesterday_kst()), None
    first = parse_day(first_day, "--from")
    last = parse_day(last_day, "--to") if last_day else yesterday_kst()
    if last < first:
        raise UsageError(f"--to {last} is before --from {first}")
    return first, last


def check_filters(accounts: Sequence[str], regions: Sequence[str]) -> None:
    """--accounts and --regions name account ids and regions (shared by `verify`)."""
    bad_accounts = [a for a in accounts if not ACCOUNT_ID.match(a)]
    if bad_accounts:
        raise UsageError(f"--accounts: {', '.join(bad_accounts)} is not a 12-digit AWS account id")
    bad_regions = [r for r in regions if not REGION_NAME.match(r)]
    if bad_regions:
        raise UsageError(f"--regions: {', '.join(bad_regions)} is not an AWS region name (like ap-northeast-2)")


def config_from_namespace(ns: argparse.Namespace) -> JobConfig:
    day, last_day = parse_days(ns.date, ns.first_day, ns.last_day, ns.last_days)
    if ns.late_days < 0:
        raise UsageError("--late-days must be 0 or more")
    if ns.public_keys and not ns.verify_digests:
        raise UsageError("--public-keys goes with --verify-digests")
    if ns.verify_digests and ns.source != "cloudtrail":
        raise UsageError("--verify-digests checks CloudTrail's digest files: it goes with --source cloudtrail")
    if ns.catalog_table and not re.match(r"^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$", ns.catalog_table):
        raise UsageError(f"--catalog-table {ns.catalog_table!r} must be DATABASE.TABLE")
    if ns.create_crawler and not (ns.crawler and ns.crawler_role and ns.crawler_database):
        raise UsageError("--create-crawler needs --crawler NAME, --crawler-role ARN and --crawler-database DB")
    if ns.crawler and ns.catalog_table:
        raise UsageError("use either --crawler or --catalog-table, not both")
    check_filters(ns.accounts, ns.regions)
    if ns.wait_timeout <= 0:
        raise UsageError("--wait-timeout must be a positive number of seconds")
    check_metrics_options(ns.metrics_namespace, ns.metrics_per_stream, ns.metrics_table)
    return JobConfig(
        input=ns.input,
        output=ns.output,
        day=day,
        report=ns.report,
        quarantine=ns.quarantine,
        skip_bad_files=ns.skip_bad_files,
        require_input=ns.require_input,
        accounts=tuple(ns.accounts),
        regions=tuple(ns.regions),
        crawler=ns.crawler,
        create_crawler=ns.create_crawler,
        crawler_role=ns.crawler_role,
        crawler_database=ns.crawler_database,
        catalog_table=ns.catalog_table,
        wait=ns.wait,
        wait_timeout_s=ns.wait_timeout,
        region=ns.region,
        traceback=ns.traceback,
        last_day=last_day,
        late_days=ns.late_days,
        allow_fewer_rows=ns.allow_fewer_rows,
        verify_digests=ns.verify_digests,
        public_keys=ns.public_keys,
        source=ns.source,
        wait_for_lock_s=ns.wait_for_lock,
        metrics_namespace=ns.metrics_namespace,
        metrics_per_stream=ns.metrics_per_stream,
        metrics_table=ns.metrics_table,
    )


def check_metrics_options(namespace: str | None, per_stream: bool, table: str | None) -> None:
    """CloudWatch's own rules for a namespace (1-255 characters, not starting with ':' nor 'AWS/', which is
    AWS's) and for a dimension value (1-1024 characters), before any work is done."""
    if namespace is not None:
        if not namespace.strip() or len(namespace) > 255 or namespace.startswith((":", "AWS/")):
            raise UsageError(f"--metrics-namespace {namespace!r}: 1-255 characters, not starting with ':' or 'AWS/'")
    elif per_stream or table:
        raise UsageError("--metrics-per-stream and --metrics-table go with --metrics-namespace")
    if table is not None and not (0 < len(table) <= 1024):
        raise UsageError("--metrics-table must be 1-1024 characters")


def parse_run_args(argv: Sequence[str], prog: str = "cloudtrail-etl run") -> JobConfig:
    """Parse `run` options, tolerating the arguments Glue adds; raise UsageError with one readable line."""
    parser = run_parser(prog)
    known = [opt for action in parser._actions for opt in action.option_strings]
    # Unknown options first: a misspelt one must be named even when a required one then looks missing.
    drop_glue_arguments([t for t in argv if t.startswith("-") and t.split("=", 1)[0] not in known], known)
    ns, extras = parser.parse_known_args(list(argv))
    drop_glue_arguments(extras, known)
    try:
        return config_from_namespace(ns)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
