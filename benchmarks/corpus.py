"""Day-scale corpora for the benchmark, generated once with the sample generator and cached by spec.

Why cached: the 4x corpus takes about a minute to write, and every converter must read the very same bytes.
Why the counts are computed here from the files themselves: they are the truth the converters' rows are checked
against (events of the KST day with duplicate deliveries, and distinct eventIDs, which is what a dedup keeps).
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
    scale: int
    spec: dict
    files: int
    events: int
    raw_bytes: int  # .json.gz bytes of the log files in the two folders (digests excluded)
    events_in_day: int  # records whose eventTime is in KST day D, duplicate deliveries included
    distinct_ids_in_day: int  # distinct eventIDs among them: the rows a correct dedup writes

    def log_globs(self) -> list[str]:
        """One glob per UTC folder, log files only (CloudTrail-Digest/ is a sibling folder with another shape)."""
        return [f"{self.root}/AWSLogs/*/CloudTrail/*/{folder}/*.json.gz" for folder in UTC_FOLDERS]


def spec_for(scale: int) -> SampleSpec:
    """2 UTC days, 2 accounts x 2 regions, ~1,320 files per day; larger scales put more events in each file,
    like a busier trail (CloudTrail delivers about every 5 minutes whatever the volume)."""
    return SampleSpec(
        start=dt.date(2026, 1, 1),
        days=2,
        delivery_interval_minutes=4.4,
        events_per_file=(120 * scale, 210 * scale),
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


def ensure_corpus(scale: int) -> Corpus:
    """The cached corpus for `scale`, generated (and counted) on first use."""
    spec = spec_for(scale)
    root = CACHE / f"corpus-{scale}x-{_key(spec)}"
    meta_path = root / "meta.json"
    if not meta_path.exists():  # meta.json is written last: a half-written corpus is regenerated
        shutil.rmtree(root, ignore_errors=True)
        print(f"generating the {scale}x corpus under {root} (once) ...", flush=True)
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


if __name__ == "__main__":
    import sys

    for arg in sys.argv[1:] or ["1"]:
        print(ensure_corpus(int(arg)))
