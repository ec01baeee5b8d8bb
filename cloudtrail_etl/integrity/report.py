"""The `integrity` object of a report: what was verified, and every problem by kind, as paths under the input."""

from __future__ import annotations

import dataclasses
from typing import Any

INTACT = "intact"
FAILED = "failed"

# The lists that make the status "failed", in the order problems are printed.
PROBLEM_LISTS = {
    "missing_log_files": "log file listed in a digest is missing",
    "modified_log_files": "log file does not match its digest hash",
    "unlisted_log_files": "log file delivered in a covered hour is listed by no digest",
    "missing_digests": "digest file is missing (its successor links to it)",
    "invalid_digests": "digest file is invalid",
    "unverified_log_files": "log file cannot be verified (no valid digest covers its delivery time)",
}


@dataclasses.dataclass
class IntegrityReport:
    days: list[str]
    input: str
    status: str = INTACT
    accounts_regions: int = 0  # streams (account, region) with log or digest folders
    digests_checked: int = 0  # digests whose windows overlap the days (backfill included)
    log_files_verified: int = 0  # listed, present, and hashing to their digest entry
    missing_log_files: list[str] = dataclasses.field(default_factory=list)
    modified_log_files: list[str] = dataclasses.field(default_factory=list)
    unlisted_log_files: list[str] = dataclasses.field(default_factory=list)
    missing_digests: list[str] = dataclasses.field(default_factory=list)
    invalid_digests: list[str] = dataclasses.field(default_factory=list)
    invalid_digest_reasons: dict[str, str] = dataclasses.field(default_factory=dict)
    unverified_log_files: list[str] = dataclasses.field(default_factory=list)
    # Not problems, but not verified either: delivered in a gap that a valid starting digest ends (validation or
    # logging was off, so CloudTrail digested nothing).
    uncovered_log_files: list[str] = dataclasses.field(default_factory=list)
    chain_starts: list[str] = dataclasses.field(default_factory=list)  # starting digests (validation (re)started)
    signatures: dict[str, Any] = dataclasses.field(default_factory=dict)

    def finish(self) -> IntegrityReport:
        """Sort every list (stable output) and set the status."""
        for name in (*PROBLEM_LISTS, "uncovered_log_files", "chain_starts"):
            setattr(self, name, sorted(set(getattr(self, name))))
        self.status = FAILED if any(getattr(self, name) for name in PROBLEM_LISTS) else INTACT
        return self

    @property
    def ok(self) -> bool:
        return self.status == INTACT

    def problem_lines(self) -> list[str]:
        """One line per problem, e.g. `modified log file: AWSLogs/...`."""
        lines = []
        for name, text in PROBLEM_LISTS.items():
            for path in getattr(self, name):
                reason = self.invalid_digest_reasons.get(path) if name == "invalid_digests" else None
                lines.append(f"{text}: {path}" + (f" ({reason})" if reason else ""))
        return lines

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
