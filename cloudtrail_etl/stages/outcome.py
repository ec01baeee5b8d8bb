"""Stage `report`: the run's outcome. Failures that let the rest of the run go on (days kept: 5, 9; the catalog: 7;
the digests: 10) are raised here, at its end, the lowest exit code first."""

from __future__ import annotations

from collections.abc import Sequence

from cloudtrail_etl.errors import BadInputFiles, DayWouldShrink, IntegrityFailed, JobError
from cloudtrail_etl.report import KEPT_BAD_FILES, KEPT_FEWER_ROWS, RunReport


def kept_days_errors(report: RunReport) -> list[JobError]:
    """The failures of the days left as they were (bad files: 5, fewer rows: 9)."""
    errors: list[JobError] = []
    kept_bad = [d.target_date for d in report.days if d.status == KEPT_BAD_FILES]
    if kept_bad:
        names = ", ".join(f"{b.path} ({b.reason})" for b in report.bad_files[:5])
        more = f" and {report.bad_file_count - 5} more" if report.bad_file_count > 5 else ""
        what = "the day was not written" if len(report.days) == 1 else f"not written: {', '.join(kept_bad)}"
        errors.append(
            BadInputFiles(
                f"{report.bad_file_count} unreadable file(s): {names}{more}; {what} "
                "(use --skip-bad-files to write the good events)"
            )
        )
    shrunk = [d for d in report.days if d.status == KEPT_FEWER_ROWS]
    if shrunk:
        named = ", ".join(f"{d.target_date} ({d.rows_written} rows, the table has {d.rows_before})" for d in shrunk)
        errors.append(
            DayWouldShrink(
                f"left untouched, the new version would hold fewer rows: {named} (use --allow-fewer-rows to replace)"
            )
        )
    return errors


def raise_deferred(deferred: Sequence[JobError], integrity_problems: Sequence[str]) -> None:
    if deferred:
        raise min(deferred, key=lambda error: error.exit_code)
    if integrity_problems:
        shown = "; ".join(integrity_problems[:3])
        more = f" and {len(integrity_problems) - 3} more" if len(integrity_problems) > 3 else ""
        raise IntegrityFailed(f"digest check failed: {shown}{more} (the report's integrity lists them all)")
