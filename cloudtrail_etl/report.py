"""The run report: what a run read, dropped, quarantined and wrote. One JSON document, counts that add up."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

# What became of a day. Only WRITTEN changes the table; every other status leaves the day as it was.
WRITTEN = "written"
NO_INPUT = "no_input"  # no delivery file that its single-day run would read, and no event of it
NO_EVENTS = "no_events"  # files read, but none of its events
KEPT_BAD_FILES = "kept: unreadable files"  # a file that could hold its events could not be read
KEPT_FEWER_ROWS = "kept: fewer rows"  # the new version would hold fewer rows than the table has now
NOT_WRITTEN = "not written: the run failed"  # the run failed before the day was written (it is as it was)

# Why a listed file was not read, whatever the source (sources say why a file they read is unusable).
REASON_UNREADABLE = "unreadable: corrupt, truncated or empty gzip"
REASON_ZERO_BYTES = "zero bytes"
MAX_LISTED_BAD_FILES = 1000  # the report lists the first ones by path; bad_file_count counts them all


@dataclasses.dataclass
class BadFile:
    path: str
    reason: str


@dataclasses.dataclass
class DayReport:
    """One KST day of a run. `rows_written` counts the rows converted for the day; they are in the table only when
    `status` is "written"."""

    target_date: str
    output_path: str
    status: str = "running"
    input_files: int = 0  # the files its own single-day run would read
    events_in_day: int = 0
    duplicates_dropped: int = 0
    rows_written: int = 0
    rows_before: int | None = None  # rows the table held for the day before the run (None: no such day)
    events_quarantined: int = 0
    output_files: int = 0
    output_bytes: int = 0
    # Written days only (else null), from the written rows (stages/volume.py). `volume`: per delivery stream
    # (account, region[, flow_log_id]), its rows and rows per KST hour 00..23; `streams`: {"present": N, "silent":
    # [streams with rows on the day before in the table and none on this day], "reference_day": the day before, or
    # null when the table has no such day}.
    volume: list[dict[str, Any]] | None = None
    streams: dict[str, Any] | None = None


@dataclasses.dataclass
class RunReport:
    """A run's report. For every source an "event" is one record of the log (a CloudTrail event, a flow log line)."""

    source: str  # the log source: cloudtrail, vpcflow
    target_date: str  # the first (or only) day
    input: str
    output_path: str  # the day's folder for one day, the table root for a range
    last_date: str | None = None  # the last day of a range; None for one day
    late_days: int = 0  # --late-days: UTC folders read after the last day's
    status: str = "running"
    input_folders: int = 0
    input_files: int = 0
    input_bytes: int = 0
    files_delivered_before_day: int = 0  # listed in the first folder but delivered before the first day began
    # Files in the listed folders that the source does not read (another suffix): how many of each kind, one example.
    files_not_read: dict[str, int] = dataclasses.field(default_factory=dict)
    file_not_read_example: str | None = None
    bad_files: list[BadFile] = dataclasses.field(default_factory=list)  # the first 1,000 by path
    bad_file_count: int = 0
    events_read: int = 0
    events_in_day: int = 0  # summed over the days
    events_outside_day: int = 0  # = the sum of events_for_other_days
    events_for_other_days: dict[str, int] = dataclasses.field(default_factory=dict)  # YYYY-MM-DD -> events
    # Of those, events of days before the first that CloudTrail delivered late (in folders after their day's): the
    # runs of their days never saw them. A run whose range covers those folders adds them.
    late_events: dict[str, int] = dataclasses.field(default_factory=dict)
    events_quarantined: int = 0
    quarantine_reasons: dict[str, int] = dataclasses.field(default_factory=dict)
    quarantine_path: str | None = None
    duplicates_dropped: int = 0
    rows_written: int = 0
    rows_with_unmapped: int = 0
    unmapped_fields: dict[str, int] = dataclasses.field(default_factory=dict)
    output_files: int = 0
    output_bytes: int = 0
    days: list[DayReport] = dataclasses.field(default_factory=list)
    catalog: dict[str, Any] = dataclasses.field(default_factory=dict)
    # What crashed runs had left, found and finished before this run changed anything (publish.py):
    # {"day": folder label or null, "action": rolled forward / rolled back / ..., "run_id": the crashed run}.
    recovered: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    integrity: dict[str, Any] | None = None  # --verify-digests: the digest check of the days (integrity/report.py)
    # --metrics-namespace: {"namespace", "table", "timestamp", "put": datapoints put, "error": null or why not}
    metrics: dict[str, Any] | None = None
    duration_s: float = 0.0
    # Where the time went: {"name", "seconds"} per stage run, in order (stages/), and for convert "task_cpu_s", the
    # Spark tasks' CPU seconds (null where Spark cannot tell). They add up to duration_s.
    stages: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    spark_version: str = ""
    reader: str = ""  # which of the source's readers ran (CloudTrail: map or variant, sources/cloudtrail/readers.py)
    error: str | None = None
    error_causes: list[str] = dataclasses.field(default_factory=list)  # the exception chain, outermost first

    def add_up_days(self) -> None:
        """The run's totals of the per-day counts."""
        self.events_in_day = sum(day.events_in_day for day in self.days)
        self.duplicates_dropped = sum(day.duplicates_dropped for day in self.days)
        self.rows_written = sum(day.rows_written for day in self.days)
        self.output_files = sum(day.output_files for day in self.days)
        self.output_bytes = sum(day.output_bytes for day in self.days)
        self.events_outside_day = sum(self.events_for_other_days.values())

    def reconciles(self) -> bool:
        """Every event read is in exactly one place: a day's rows, a duplicate, another day, or the quarantine."""
        days = self.days
        placed = sum(d.rows_written + d.duplicates_dropped for d in days) + self.events_outside_day
        return (
            self.events_read == placed + self.events_quarantined
            and all(d.events_in_day == d.rows_written + d.duplicates_dropped for d in days)
            and self.events_quarantined == sum(d.events_quarantined for d in days)
            and self.events_outside_day == sum(self.events_for_other_days.values())
        )

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=False)
