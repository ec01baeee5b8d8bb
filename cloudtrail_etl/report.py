"""The run report: what a run read, dropped, quarantined and wrote. One JSON document, counts that add up."""

from __future__ import annotations

import dataclasses
import json
from typing import Any


@dataclasses.dataclass
class BadFile:
    path: str
    reason: str


@dataclasses.dataclass
class RunReport:
    target_date: str
    input: str
    output_path: str
    status: str = "running"
    input_folders: int = 0
    input_files: int = 0
    input_bytes: int = 0
    files_delivered_before_day: int = 0  # listed in folder D-1 but delivered before the day began: not read
    bad_files: list[BadFile] = dataclasses.field(default_factory=list)
    events_read: int = 0
    events_in_day: int = 0
    events_outside_day: int = 0
    events_quarantined: int = 0
    quarantine_reasons: dict[str, int] = dataclasses.field(default_factory=dict)
    quarantine_path: str | None = None
    duplicates_dropped: int = 0
    rows_written: int = 0
    rows_with_unmapped: int = 0
    unmapped_fields: dict[str, int] = dataclasses.field(default_factory=dict)
    output_files: int = 0
    output_bytes: int = 0
    catalog: dict[str, Any] = dataclasses.field(default_factory=dict)
    duration_s: float = 0.0
    spark_version: str = ""
    error: str | None = None
    error_causes: list[str] = dataclasses.field(default_factory=list)  # the exception chain, outermost first

    def reconciles(self) -> bool:
        """Every event read is in exactly one place: written, duplicate, outside the day or quarantined."""
        placed = self.rows_written + self.duplicates_dropped + self.events_outside_day + self.events_quarantined
        return self.events_read == placed and self.events_in_day == self.rows_written + self.duplicates_dropped

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=False)
