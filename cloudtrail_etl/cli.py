"""Command line: `cloudtrail-etl run|verify|sample|ddl`. Errors are one line on stderr with a documented exit code."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from cloudtrail_etl.errors import JobError, UsageError, describe

USAGE = """usage: cloudtrail-etl {run,recover,verify,sample,ddl} [options]

  run      convert KST days of CloudTrail (or, with --source vpcflow, VPC flow log) files to Parquet: one day, a
           range or the last N days (see `cloudtrail-etl run --help`)
  recover  finish or undo what a crashed run left in a table, then release it (see `cloudtrail-etl recover --help`)
  verify   check KST days of CloudTrail files against their digest files (see `cloudtrail-etl verify --help`)
  sample   write sample CloudTrail (or --source vpcflow: VPC flow log) files in the real S3 layout
  ddl      print Athena DDL for the output table (partition projection on proc_ymd; --source vpcflow)

exit codes: 0 done, 1 unexpected fault, 2 invalid arguments, 3 input not found, 4 no input (--require-input),
5 unreadable files, 6 output not writable, 7 catalog step failed, 8 no Java / Spark did not start,
9 a day would shrink, 10 digest check failed, 11 the table is locked by another run, 12 a crashed run's day
could not be recovered
"""


def _fail(message: str, code: int) -> int:
    print(f"cloudtrail-etl: error: {message}", file=sys.stderr)
    return code


def _late_note(report) -> str:
    """Events of days before the first one (late deliveries) are never dropped silently: say how to add them."""
    earlier = sorted(report.late_events)
    if not earlier:
        return ""
    count = sum(report.late_events.values())
    last = report.last_date or report.target_date
    late_days = f" --late-days {report.late_days}" if report.late_days else ""
    return (
        f"; {count} events of days before {report.target_date} were delivered late ({', '.join(earlier)}): "
        f"run --from {earlier[0]} --to {last}{late_days} to add them"
    )


def _summary(report) -> str:
    mb = 1024 * 1024
    span = report.target_date + (f"..{report.last_date}" if report.last_date else "")
    if not report.input_files:
        early = f" ({report.files_delivered_before_day} delivered before the day began)"
        return (
            f"no delivery files for KST day {span} under {report.input}"
            f"{early if report.files_delivered_before_day else ''}: nothing was written, the table was left as it was"
        )
    written = [day for day in report.days if day.status == "written"]
    rows = sum(day.rows_written for day in written)
    files = sum(day.output_files for day in written)
    where = f"{len(written)} of {len(report.days)} days ({span}, KST)" if report.last_date else f"{span} (KST)"
    kept = [f"{day.target_date} {day.status}" for day in report.days if day.status != "written"]
    return (
        f"read {report.input_files} files ({report.input_bytes / mb:.1f} MiB), {report.events_read} events "
        f"(skipped {report.files_delivered_before_day} delivered over an hour before the day began); "
        f"wrote {rows} rows of {where} to {report.output_path} in {files} files ({report.output_bytes / mb:.1f} MiB); "
        f"dropped {report.duplicates_dropped} duplicates, {report.events_outside_day} of other days; "
        f"quarantined {report.events_quarantined}; {report.bad_file_count} bad files; {report.duration_s} s"
        + (f"; left as they were: {', '.join(kept)}" if kept else "")
        + _late_note(report)
    )


def run_command(argv: Sequence[str], prog: str = "cloudtrail-etl run") -> int:
    """Parse, run, print the report (last line) and write it to --report. Used by every entry point."""
    from cloudtrail_etl.config import parse_run_args

    try:
        config = parse_run_args(argv, prog=prog)
    except UsageError as exc:
        code = _fail(str(exc), exc.exit_code)
        return _failed_report(argv, exc) or code

    from cloudtrail_etl.session import check_java, get_spark

    try:
        check_java()
        spark = get_spark()
    except JobError as exc:
        code = _fail(str(exc), exc.exit_code)
        return _failed_report(argv, exc, config) or code

    from cloudtrail_etl.job import Job
    from cloudtrail_etl.storage import Storage

    try:
        job = Job(spark, config)
    except JobError as exc:  # a setting the job refuses before any work (CLOUDTRAIL_ETL_READER)
        code = _fail(str(exc), exc.exit_code)
        return _failed_report(argv, exc, config) or code
    code = 0
    try:
        job.run()
    except JobError as exc:
        code = _fail(str(exc), exc.exit_code)
    except Exception as exc:  # an unexpected fault: one line naming the root cause; the report has the chain
        if config.traceback:
            traceback.print_exc()
        code = _fail(job.report.error or describe(exc), 1)
    report = job.report
    _put_metrics(report, config)  # the report is final (its duration too); its `metrics` entry says how it went
    if code == 0 or (report.days and any(day.status == "written" for day in report.days)):
        print(_summary(report))
    print(report.to_json())
    if config.report:
        try:
            Storage(spark).write_text(config.report, report.to_json() + "\n")
        except Exception as exc:
            return _fail(f"could not write the report to {config.report}: {str(exc).splitlines()[0]}", 6)
    return code


def _put_metrics(report, config) -> None:
    """--metrics-namespace: the run's figures to CloudWatch (metrics.py); never raises."""
    if config is not None and config.metrics_namespace:
        from cloudtrail_etl.metrics import put_run_metrics

        put_run_metrics(report, config)


def _report_path(argv: Sequence[str]) -> str | None:
    """--report PATH (or --report=PATH) from arguments that did not parse as a whole."""
    for index, token in enumerate(argv):
        if token == "--report" and index + 1 < len(argv) and not argv[index + 1].startswith("--"):
            return argv[index + 1]
        if token.startswith("--report="):
            return token.split("=", 1)[1]
    return None


def _failed_report(argv: Sequence[str], exc: Exception, config=None) -> int:
    """A run that failed before it started (arguments, Java) still writes its --report: a local file directly,
    s3:// with boto3 (no Spark is needed for one small object). 0 when written or not asked for, else exit 6."""
    path = config.report if config is not None else _report_path(argv)
    if not path and not (config is not None and config.metrics_namespace):
        return 0
    from cloudtrail_etl.report import RunReport

    def value(option: str) -> str:
        found = [argv[i + 1] for i, token in enumerate(argv[:-1]) if token == option]
        return found[-1] if found else ""

    report = RunReport(
        source=value("--source") or "cloudtrail",
        target_date=value("--date") or value("--from"),
        input=value("--input"),
        output_path=value("--output"),
    )
    report.status, report.error = "failed", str(exc)
    _put_metrics(report, config)  # a run that failed before it started still counts as a failed run
    if not path:
        return 0
    text = report.to_json() + "\n"
    try:
        from cloudtrail_etl.files import is_s3, split_s3

        if is_s3(path):
            from cloudtrail_etl.aws import client

            bucket, key = split_s3(path)
            client("s3").put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"))
        else:
            with open(path.removeprefix("file:"), "w") as out:
                out.write(text)
    except Exception as exc:  # the report location is the problem now
        return _fail(f"could not write the report to {path}: {str(exc).splitlines()[0]}", 6)
    return 0


def recover_command(argv: Sequence[str]) -> int:
    """Take the table's lock, recover what crashed runs left (publish.py), release; print what was done as JSON."""
    import json
    import time

    from cloudtrail_etl.config import _error_exit, add_wait_for_lock

    parser = argparse.ArgumentParser(
        prog="cloudtrail-etl recover",
        allow_abbrev=False,
        description="Find what crashed runs left in a table (OUTPUT_staging/), bring each day they were replacing "
        "to a complete version (rolled forward, or back), remove their leftovers, and say so. Every run does this "
        "first on its own.",
    )
    parser.add_argument("--output", required=True, help="the table root, as given to `run --output`")
    parser.add_argument("--quarantine", help="the quarantine root, if `run` was given one (default OUTPUT_quarantine)")
    parser.add_argument("--report", help="also write the result (JSON) to this path (local or s3://)")
    parser.add_argument("--region", help="AWS region of the S3 and Glue calls (as for `run`)")
    add_wait_for_lock(parser)
    try:
        args = _error_exit(parser).parse_args(list(argv))
    except UsageError as exc:
        return _fail(str(exc), exc.exit_code)

    from cloudtrail_etl.session import check_java, get_spark

    try:
        check_java()
        spark = get_spark()
    except JobError as exc:
        return _fail(str(exc), exc.exit_code)
    import datetime as dt
    import uuid

    from cloudtrail_etl.job import _absolute
    from cloudtrail_etl.progress import say
    from cloudtrail_etl.publish import open_publisher
    from cloudtrail_etl.storage import Storage

    output = _absolute(args.output).rstrip("/")
    quarantine = _absolute(args.quarantine or output + "_quarantine").rstrip("/")
    run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
    storage = Storage(spark)
    result: dict = {"output": output, "status": "running", "recovered": [], "error": None}
    started = time.monotonic()
    publisher = open_publisher(storage, output, output + "_staging", quarantine, run_id, args.region)
    code = 0
    try:
        say(f"recovering {output}")
        result["recovered"] = publisher.begin(args.wait_for_lock)
        result["status"] = "succeeded"
        if not result["recovered"]:
            say("nothing to recover: no crashed run had left anything")
    except JobError as exc:
        result["status"], result["error"] = "failed", str(exc)
        code = _fail(str(exc), exc.exit_code)
    except Exception as exc:
        result["status"], result["error"] = "failed", describe(exc)
        code = _fail(describe(exc), 1)
    finally:
        publisher.release()
    result["duration_s"] = round(time.monotonic() - started, 2)
    text = json.dumps(result)
    print(text)
    if args.report:
        try:
            storage.write_text(args.report, text + "\n")
        except Exception as exc:
            return _fail(f"could not write the report to {args.report}: {str(exc).splitlines()[0]}", 6)
    return code


def verify_command(argv: Sequence[str]) -> int:
    from cloudtrail_etl.integrity.command import verify_main

    return verify_main(argv)


def sample_command(argv: Sequence[str]) -> int:
    from pathlib import Path

    from cloudtrail_etl.config import add_source_option
    from cloudtrail_etl.sample import SampleSpec, write_sample_trail

    parser = argparse.ArgumentParser(prog="cloudtrail-etl sample", allow_abbrev=False)
    add_source_option(parser)
    parser.add_argument("--output", required=True, help="directory to write AWSLogs/ into")
    parser.add_argument("--seed", type=int, default=SampleSpec.seed)
    parser.add_argument("--days", type=int, default=SampleSpec.days, help="UTC delivery days to generate")
    parser.add_argument("--start", default=SampleSpec.start.isoformat(), help="first UTC day, YYYY-MM-DD")
    parser.add_argument(
        "--file-format",
        choices=("plain-text", "parquet"),
        help="VPC flow logs: every flow log delivers this format (default: the sample's own, text)",
    )
    parser.add_argument("--public-keys-out", help="write the test key as list-public-keys JSON (verify --public-keys)")
    parser.add_argument("--digest-metadata-out", help="write digests' S3 metadata (signatures) as JSON, for uploads")
    args = parser.parse_args(argv)
    from cloudtrail_etl.days import parse_day

    try:
        start = parse_day(args.start)
    except ValueError as exc:
        return _fail(str(exc).replace("--date", "--start"), 2)
    if args.file_format and args.source != "vpcflow":
        return _fail("--file-format is for --source vpcflow (CloudTrail delivers JSON only)", 2)
    if args.source == "vpcflow":
        if args.public_keys_out or args.digest_metadata_out:
            return _fail("--public-keys-out and --digest-metadata-out are CloudTrail's (digest files)", 2)
        import dataclasses

        from cloudtrail_etl.sample.vpcflow import FlowSampleSpec, write_flow_logs

        spec = FlowSampleSpec(start=start, days=args.days, seed=args.seed)
        if args.file_format:
            flow_logs = tuple(dataclasses.replace(f, file_format=args.file_format) for f in spec.flow_logs)
            spec = dataclasses.replace(spec, flow_logs=flow_logs)
        flows = write_flow_logs(Path(args.output), spec)
        print(
            f"wrote {flows.files_written} VPC flow log files with {flows.records_written} records "
            f"({flows.bytes_written / 1024 / 1024:.1f} MiB) under {Path(args.output) / 'AWSLogs'}"
        )
        return 0
    summary = write_sample_trail(Path(args.output), SampleSpec(start=start, days=args.days, seed=args.seed))
    import json

    from cloudtrail_etl.sample.digests import sample_public_keys

    if args.public_keys_out:
        Path(args.public_keys_out).write_text(json.dumps(sample_public_keys(), indent=2) + "\n")
    if args.digest_metadata_out:
        Path(args.digest_metadata_out).write_text(json.dumps(summary.digest_metadata, indent=1) + "\n")
    print(
        f"wrote {summary.files_written} delivery files with {summary.events_written} events "
        f"({summary.distinct_event_ids} distinct eventIDs, {summary.duplicate_files} duplicate deliveries) "
        f"under {Path(args.output) / 'AWSLogs'}"
    )
    return 0


def ddl_command(argv: Sequence[str]) -> int:
    from cloudtrail_etl.catalog import athena_ddl
    from cloudtrail_etl.config import add_source_option

    parser = argparse.ArgumentParser(prog="cloudtrail-etl ddl", allow_abbrev=False)
    add_source_option(parser)
    parser.add_argument("--location", required=True, help="the table root (s3://bucket/prefix/)")
    parser.add_argument("--table", help="table name, optionally DATABASE.TABLE (default: the source's name)")
    parser.add_argument("--start", default="20130101", help="first proc_ymd of the projection range")
    args = parser.parse_args(argv)
    try:
        print(athena_ddl(args.table or args.source, args.location, args.start, args.source))
    except UsageError as exc:
        return _fail(str(exc), exc.exit_code)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    commands = {
        "run": run_command,
        "recover": recover_command,
        "verify": verify_command,
        "sample": sample_command,
        "ddl": ddl_command,
    }
    if command not in commands:
        return _fail(f"unknown command {command!r} (expected run, recover, verify, sample or ddl)", 2)
    try:
        return commands[command](rest)
    except BrokenPipeError:  # `cloudtrail-etl ddl | head`
        sys.stderr.close()
        return 0
