"""What to generate (SampleSpec, validated before anything is written) and what was written (SampleSummary)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from cloudtrail_etl.sample.constants import _ACCOUNT_RE, _ORG_RE, _REGION_RE


@dataclass(frozen=True)
class SampleSpec:
    """What to generate. Defaults: 3 UTC days, 2 accounts x 2 regions, ~3,500 files, ~140K events (~4 s)."""

    start: dt.date = dt.date(2026, 1, 1)  # first UTC delivery day
    days: int = 3  # UTC delivery days
    accounts: tuple[str, ...] = ("111122223333", "444455556666")
    regions: tuple[str, ...] = ("ap-northeast-2", "us-east-1")
    org_id: str | None = None  # "o-abc123defg" adds the organization level to the layout
    delivery_interval_minutes: float = 5  # one file per account/region per interval (fractions allowed)
    events_per_file: tuple[int, int] = (20, 60)  # inclusive range, drawn per file
    duplicate_rate: float = 0.01  # share of files re-delivered as a second file with the same records
    seed: int = 7

    def __post_init__(self) -> None:
        """Reject specs that would write a layout CloudTrail never produces, before anything is written."""
        if not isinstance(self.start, dt.date) or isinstance(self.start, dt.datetime):
            raise ValueError(f"start must be a datetime.date, got {self.start!r}")
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if not self.accounts or any(not _ACCOUNT_RE.match(str(a)) for a in self.accounts):
            raise ValueError(f"accounts must be 12-digit AWS account ids, got {self.accounts!r}")
        if len(set(self.accounts)) != len(self.accounts) or len(set(self.regions)) != len(self.regions):
            raise ValueError("accounts and regions must not repeat")
        if not self.regions or any(not _REGION_RE.match(str(r)) for r in self.regions):
            raise ValueError(f"regions must look like 'ap-northeast-2', got {self.regions!r}")
        if self.org_id is not None and not _ORG_RE.match(self.org_id):
            raise ValueError(f"org_id must look like 'o-abc123defg', got {self.org_id!r}")
        if not self.delivery_interval_minutes > 0 or self.delivery_interval_minutes > 1440:
            raise ValueError(f"delivery_interval_minutes must be in (0, 1440], got {self.delivery_interval_minutes}")
        low, high = self.events_per_file
        if low < 1 or high < low:
            raise ValueError(f"events_per_file must be (low, high) with 1 <= low <= high, got {self.events_per_file}")
        if not 0.0 <= self.duplicate_rate <= 1.0:
            raise ValueError(f"duplicate_rate must be within [0, 1], got {self.duplicate_rate}")


@dataclass(frozen=True)
class SampleSummary:
    """What was written, so callers can check the ETL's counts against the truth."""

    root: Path
    files_written: int  # log files, duplicate deliveries included, digests excluded
    events_written: int  # records in all log files, duplicates included
    distinct_event_ids: int  # what a correct dedup by eventID keeps
    duplicate_files: int  # re-deliveries (each repeats all records of an earlier file)
    digest_files: int = 0
    # digest key -> S3 user metadata CloudTrail sets on it ({"signature": hex, "signature-algorithm": ...}):
    # an upload to S3 (or moto) puts these, so that `verify` can check the signatures.
    digest_metadata: dict[str, dict[str, str]] = field(default_factory=dict)
