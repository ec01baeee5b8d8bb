"""`cloudtrail-etl verify`: print each problem in one line, the summary, and the JSON report (last line)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from cloudtrail_etl.errors import IntegrityFailed, JobError, UsageError


def _fail(message: str, code: int) -> int:
    print(f"cloudtrail-etl: error: {message}", file=sys.stderr)
    return code


def _summary(integrity) -> str:
    signatures = integrity.signatures
    if signatures.get("checked"):
        signed = f"{signatures['verified']} digest signatures verified, {signatures['failed']} failed"
    else:
        signed = "signatures not checked (local folder)"
    problems = len(integrity.problem_lines())
    return (
        f"verified {integrity.log_files_verified} log files against {integrity.digests_checked} digests of "
        f"{integrity.accounts_regions} accounts x regions for {', '.join(integrity.days)} (KST); {signed}; "
        f"{problems} problems; {integrity.status}"
    )


def verify_main(argv: Sequence[str], prog: str = "cloudtrail-etl verify") -> int:
    """Parse, verify, report. Exit 0 when intact, IntegrityFailed.exit_code (10) when anything is wrong."""
    from cloudtrail_etl.verify_args import parse_verify_args

    try:
        config = parse_verify_args(argv, prog=prog)
    except UsageError as exc:
        return _fail(str(exc), exc.exit_code)

    from cloudtrail_etl.integrity.keys import load_public_keys_file

    keys = None
    if config.public_keys:
        try:
            keys = load_public_keys_file(config.public_keys)
        except UsageError as exc:
            return _fail(str(exc), exc.exit_code)

    from cloudtrail_etl.session import check_java, get_spark

    try:
        check_java()
        spark = get_spark("cloudtrail-etl-verify")
    except JobError as exc:
        return _fail(str(exc), exc.exit_code)

    from cloudtrail_etl.integrity.verify import verify_days

    started = time.monotonic()
    report: dict[str, Any] = {"command": "verify", "input": config.input, "days": [d.isoformat() for d in config.days]}
    code = 0
    try:
        integrity = verify_days(
            spark, config.input, list(config.days), config.accounts, config.regions, public_keys=keys
        )
    except JobError as exc:
        code = _fail(str(exc), exc.exit_code)
        report.update(status="failed", integrity=None, error=str(exc))
    except Exception as exc:  # an unexpected fault: one line, and the report says what happened
        message = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        code = _fail(message, 1)
        report.update(status="failed", integrity=None, error=message)
    else:
        for line in integrity.problem_lines():
            print(f"cloudtrail-etl: integrity: {line}", file=sys.stderr)
        print(_summary(integrity))
        report.update(status=integrity.status, integrity=integrity.to_dict(), error=None)
        if not integrity.ok:
            code = IntegrityFailed.exit_code
    report["duration_s"] = round(time.monotonic() - started, 1)
    text = json.dumps(report)
    print(text)
    if config.report:
        from cloudtrail_etl.storage import Storage

        try:
            Storage(spark).write_text(config.report, text + "\n")
        except Exception as exc:
            return _fail(f"could not write the report to {config.report}: {str(exc).splitlines()[0]}", 6)
    return code
