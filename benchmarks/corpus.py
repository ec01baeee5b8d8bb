"""Corpora for the benchmark, generated once with the sample generator and cached by spec: the day-scale corpus
(two UTC folders, one KST day) and multi-day corpora (a week for range-against-single-day runs, a month for memory).

Why cached: the 4x corpus takes about a minute to write, and every converter must read the very same bytes.
Why the counts are computed here from the files themselves: they are the truth the converters' rows are checked
against (events of the KST day with duplicate deliveries, and distinct eventIDs, which is what a dedup keeps).
A scale multiplies the events per file of the 1x corpus (~1,320 files per UTC day whatever the scale, as CloudTrail
delivers about every 5 minutes whatever the volume); fractions below 1 make quick, lighter corpora.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import hashlib
import json
import shutil
from pathlib import Path

from cloudtrail_etl.sample import SampleSpec, write_sample_trail

CACHE = Path(__file__).resolve().parent / ".cache"
DAY = dt.date(2026, 1, 2)  # the KST day every converter produces
DAY_START_UTC = "2026-01-01T15:00:00Z"  # KST day D is [D-1 15:00Z, D 15:00Z)
DAY_END_UTC = "2026-01-02T15:00:00Z"
UTC_FOLDERS = ("2026/01/01", "2026/01/02")  # the delivery folders that hold KST day D
SEED = 20260102


@dataclasses.dataclass(frozen=True)
class Corpus:
    """A generated trail and its ground truth."""

    root: Path
    scale: float
    spec: dict
    files: int
    events: int
    raw_bytes: int  # .json.gz bytes of the log files in the two folders (digests excluded)
    events_in_day: int  # records whose eventTime is in KST day D, duplicate deliveries included
    distinct_ids_in_day: int  # distinct eventIDs among them: the rows a correct dedup writes

    def log_globs(self) -> list[str]:
        """One glob per UTC folder, log files only (CloudTrail-Digest/ is a sibling folder with another shape)."""
        return [f"{self.root}/AWSLogs/*/CloudTrail/*/{folder}/*.json.gz" for folder in UTC_FOLDERS]


def spec_for(scale: float, utc_days: int = 2) -> SampleSpec:
    """UTC days from 2026-01-01 (2 for the day corpus), 2 accounts x 2 regions, ~1,320 files per day; larger scales
    put more events in each file, like a busier trail (at least one event per file)."""
    return SampleSpec(
        start=dt.date(2026, 1, 1),
        days=utc_days,
        delivery_interval_minutes=4.4,
        events_per_file=(max(1, round(120 * scale)), max(1, round(210 * scale))),
        seed=SEED,
    )


def _key(spec: SampleSpec) -> str:
    return hashlib.sha256(repr(spec).encode()).hexdigest()[:12]


def _log_files(root: Path) -> list[Path]:
    return sorted(p for folder in UTC_FOLDERS for p in root.glob(f"AWSLogs/*/CloudTrail/*/{folder}/*.json.gz"))


def _count_day(files: list[Path]) -> tuple[int, int]:
    """Events of the day (with duplicates) and distinct eventIDs, by reading every file (stdlib, once)."""
    in_day = 0
    ids: set[str] = set()
    for path in files:
        for record in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            if DAY_START_UTC <= record["eventTime"] < DAY_END_UTC:  # the sample writes YYYY-MM-DDTHH:MM:SSZ
                in_day += 1
                ids.add(record["eventID"])
    return in_day, len(ids)


def ensure_corpus(scale: float) -> Corpus:
    """The cached corpus for `scale`, generated (and counted) on first use."""
    spec = spec_for(scale)
    root = CACHE / f"corpus-{scale:g}x-{_key(spec)}"
    meta_path = root / "meta.json"
    if not meta_path.exists():  # meta.json is written last: a half-written corpus is regenerated
        shutil.rmtree(root, ignore_errors=True)
        print(f"generating the {scale:g}x corpus under {root} (once) ...", flush=True)
        summary = write_sample_trail(root, spec)
        files = _log_files(root)
        in_day, distinct = _count_day(files)
        meta = {
            "scale": scale,
            "spec": {k: str(v) for k, v in dataclasses.asdict(spec).items()},
            "files": summary.files_written,
            "events": summary.events_written,
            "raw_bytes": sum(p.stat().st_size for p in files),
            "events_in_day": in_day,
            "distinct_ids_in_day": distinct,
        }
        meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    meta = json.loads(meta_path.read_text())
    return Corpus(root=root, **meta)


@dataclasses.dataclass(frozen=True)
class DaysCorpus:
    """A generated trail of several KST days (DAY onwards, each with both its UTC folders) and its truth per day."""

    root: Path
    scale: float
    spec: dict
    files: int
    events: int
    raw_bytes: int  # .json.gz bytes of every log file (digests excluded)
    # KST day (YYYY-MM-DD) -> [events with duplicate deliveries, distinct eventIDs], for the days D..D+n-1
    truth: dict[str, list[int]]

    @property
    def days(self) -> list[dt.date]:
        return [dt.date.fromisoformat(day) for day in sorted(self.truth)]


def _kst_day(event_time: str, next_day: dict[str, str]) -> str:
    """The KST day (YYYY-MM-DD) of a YYYY-MM-DDTHH:MM:SSZ instant: its UTC date, or the next from 15:00Z on."""
    utc_date = event_time[:10]
    if event_time[11:13] < "15":
        return utc_date
    if utc_date not in next_day:
        next_day[utc_date] = (dt.date.fromisoformat(utc_date) + dt.timedelta(days=1)).isoformat()
    return next_day[utc_date]


def _count_days(files: list[Path], days: list[dt.date]) -> dict[str, list[int]]:
    """Per KST day of `days`: events (with duplicates) and distinct eventIDs, by reading every file (stdlib, once)."""
    wanted = {day.isoformat() for day in days}
    events = dict.fromkeys(sorted(wanted), 0)
    ids: dict[str, set[str]] = {day: set() for day in wanted}
    next_day: dict[str, str] = {}
    for path in files:
        for record in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            day = _kst_day(record["eventTime"], next_day)
            if day in wanted:
                events[day] += 1
                ids[day].add(record["eventID"])
    return {day: [events[day], len(ids[day])] for day in sorted(wanted)}


def ensure_days_corpus(scale: float, kst_days: int) -> DaysCorpus:
    """The cached corpus holding KST days DAY..DAY+kst_days-1, generated (and counted) on first use. It spans
    kst_days + 2 UTC folders, DAY-1..DAY+kst_days: the first day's folders and, after the last day's, one more
    folder that a run of these days must not need (a trail goes on delivering)."""
    spec = spec_for(scale, utc_days=kst_days + 2)
    root = CACHE / f"days-{scale:g}x-{kst_days}d-{_key(spec)}"
    meta_path = root / "meta.json"
    if not meta_path.exists():  # meta.json is written last: a half-written corpus is regenerated
        shutil.rmtree(root, ignore_errors=True)
        print(f"generating the {kst_days}-day {scale:g}x corpus under {root} (once) ...", flush=True)
        summary = write_sample_trail(root, spec)
        files = sorted(root.glob("AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz"))
        days = [DAY + dt.timedelta(days=n) for n in range(kst_days)]
        meta = {
            "scale": scale,
            "spec": {k: str(v) for k, v in dataclasses.asdict(spec).items()},
            "files": summary.files_written,
            "events": summary.events_written,
            "raw_bytes": sum(p.stat().st_size for p in files),
            "truth": _count_days(files, days),
        }
        meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    return DaysCorpus(root=root, **json.loads(meta_path.read_text()))


if __name__ == "__main__":
    import sys

    for arg in sys.argv[1:] or ["1"]:
        print(ensure_corpus(float(arg)))
