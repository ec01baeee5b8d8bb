"""Issue 9: the driver's memory as a range grows: range runs of 1, 7 and 30 KST days over one small corpus.

    .venv/bin/python -m benchmarks.run --parts memory [--memory-days 1,7,30] [--memory-scale 0.02]

Why a small corpus: the question is what the driver holds per day, folder, file and partition (listings, plans,
per-day counts and reports), not data volume; so every UTC day keeps the day corpus's ~1,320 files, with a few
events each. Reported per range: the peak resident memory of the whole process tree (Python driver + the local JVM,
which in local mode is driver and executors at once) and, from the JVM's GC log (JAVA_TOOL_OPTIONS=-Xlog:gc), the
largest heap left after a collection and the largest heap committed. RSS alone can hide growth: a JVM's resident
size follows the heap it has committed, which grows with allocation, up to -Xmx, whatever it keeps alive.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import sys
from pathlib import Path

from benchmarks.corpus import DaysCorpus, ensure_days_corpus
from benchmarks.measure import Measured, load_average, run

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out" / "memory"
BIN = Path(sys.executable).parent
DEFAULT_DAYS = (1, 7, 30)
DEFAULT_SCALE = 0.02
MB = 1e6
# JDK 17 unified logging: "[1.234s][info][gc] GC(3) Pause Young (Normal) (G1 Evacuation Pause) 120M->30M(256M) 4.5ms"
_GC_LINE = re.compile(r"(\d+)([KMG])->(\d+)([KMG])\((\d+)([KMG])\)")
_UNIT = {"K": 1024, "M": 1024**2, "G": 1024**3}


@dataclasses.dataclass(frozen=True)
class RangeRun:
    days: int
    measured: Measured
    report: dict
    heap_after_gc: int  # bytes, the largest heap left after a collection (0: no GC log)
    heap_committed: int  # bytes, the largest heap the JVM had committed at a collection


def gc_peaks(folder: Path) -> tuple[int, int]:
    """Largest heap after a collection and largest committed heap over the GC logs of every JVM in `folder`."""
    after = committed = 0
    for log in folder.glob("gc-*.log"):
        for match in _GC_LINE.finditer(log.read_text(errors="replace")):
            after = max(after, int(match.group(3)) * _UNIT[match.group(4)])
            committed = max(committed, int(match.group(5)) * _UNIT[match.group(6)])
    return after, committed


def range_run(corpus: DaysCorpus, days: int) -> RangeRun:
    """One `run --from D --to D+days-1` into a fresh table, its JVMs logging their collections."""
    folder = OUT / f"{days}d"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    first = corpus.days[0]
    last = first + dt.timedelta(days=days - 1)
    gc_option = f"-Xlog:gc:file={folder}/gc-%p.log"  # %p: the launcher's JVM and Spark's each log to their own file
    tool_options = f"{os.environ.get('JAVA_TOOL_OPTIONS', '')} {gc_option}".strip()
    env = {**os.environ, "CLOUDTRAIL_ETL_MASTER": "local[2]", "JAVA_TOOL_OPTIONS": tool_options}
    command = [
        str(BIN / "cloudtrail-etl"),
        "run",
        *("--input", str(corpus.root), "--output", str(folder / "table")),
        *("--from", first.isoformat(), "--to", last.isoformat(), "--report", str(folder / "report.json")),
    ]
    measured = run(command, folder / "run.log", env=env, cwd=REPO)
    report_path = folder / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    after, committed = gc_peaks(folder)
    state = "ok" if measured.returncode == 0 else f"FAILED (exit {measured.returncode}, see {measured.log})"
    print(
        f"  memory {days:3d} days {measured.seconds:7.1f} s {measured.cpu_seconds:7.1f} CPU s "
        f"{measured.peak_rss / MB:7.0f} MB tree, heap after GC {after / MB:,.0f} MB, committed {committed / MB:,.0f} "
        f"MB  {state}",
        flush=True,
    )
    return RangeRun(days, measured, report, after, committed)


def summary(corpus: DaysCorpus, runs: list[RangeRun], loads: tuple[str, str]) -> str:
    """The section of results.md: one row per range length."""
    lines = [
        f"## Driver memory as the range grows (issue 9, {corpus.scale:g}x)",
        "",
        f"- Corpus: {corpus.files:,} files ({corpus.raw_bytes / MB:.0f} MB gzip) with {corpus.events:,} events in "
        f"{len(corpus.days) + 2} UTC folders from {corpus.days[0] - dt.timedelta(days=1):%Y/%m/%d}: the day corpus's "
        f"~1,320 files per UTC day with events_per_file {corpus.spec['events_per_file']}.",
        f"- `cloudtrail-etl run --from {corpus.days[0]} --to D` on `local[2]`, one run per length, smallest first. "
        f"Load average at start: {loads[0]}; at end: {loads[1]}.",
        "- Peak MB: resident memory of the process tree (Python driver + local JVM, sampled every 50 ms). Heap after "
        "GC / committed: the largest values in the JVM's `-Xlog:gc` lines (the local JVM runs with a 2g driver heap). "
        "Folders listed: one per account, region and UTC day; files read: those delivered since the first day began.",
        "",
        "| KST days | folders listed | files read | events read | rows written | rows (truth) | days written | wall s "
        "| CPU s | peak MB | heap after GC MB | heap committed MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        first = corpus.days[0]
        truth = sum(corpus.truth[(first + dt.timedelta(days=n)).isoformat()][1] for n in range(r.days))
        written = sum(1 for day in r.report.get("days", []) if day.get("status") == "written")
        failed = "" if r.measured.returncode == 0 else " (FAILED)"
        lines.append(
            f"| {r.days}{failed} | {r.report.get('input_folders', 0):,} | {r.report.get('input_files', 0):,} "
            f"| {r.report.get('events_read', 0):,} | {r.report.get('rows_written', 0):,} | {truth:,} "
            f"| {written} of {r.days} | {r.measured.seconds:.1f} | {r.measured.cpu_seconds:.1f} "
            f"| {r.measured.peak_rss / MB:,.0f} | {r.heap_after_gc / MB:,.0f} | {r.heap_committed / MB:,.0f} |"
        )
    return "\n".join(lines) + "\n"


def run_memory(lengths: tuple[int, ...] = DEFAULT_DAYS, scale: float = DEFAULT_SCALE) -> tuple[str, bool]:
    """Generate (once) a corpus of the longest range and run each length; return the section and whether all ran."""
    load_at_start = load_average()
    corpus = ensure_days_corpus(scale, max(lengths))
    print(f"\nmemory {scale:g}x: {corpus.files:,} files, {corpus.events:,} events, {max(lengths)} KST days", flush=True)
    runs = [range_run(corpus, days) for days in sorted(lengths)]
    text = summary(corpus, runs, (load_at_start, load_average()))
    print("\n" + text, flush=True)
    return text, all(r.measured.returncode == 0 for r in runs)
