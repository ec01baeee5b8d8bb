"""Issue 10: what `run --verify-digests` adds to a conversion, on the benchmark day.

    .venv/bin/python -m benchmarks.run --parts verify [--verify-rounds N]

Our job converts the 1x day with and without `--verify-digests`, alternated N rounds in one process tree, each run
into a fresh table. The corpus's digests are the sample generator's (hourly, chained, correct hashes; a local
folder has no S3 metadata, so signatures are not checked). Reported: median wall and CPU seconds of each, the
difference, the log files verified and digests checked, and whether every day came out intact.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
from pathlib import Path

from benchmarks.corpus import DAY, ensure_corpus
from benchmarks.measure import Measured, load_average, run

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out" / "verify"
BIN = Path(sys.executable).parent
DEFAULT_ROUNDS = 2


def _run(corpus_root: Path, name: str, round_no: int, extra: list[str]) -> tuple[Measured, dict]:
    folder = OUT / name
    shutil.rmtree(folder, ignore_errors=True)
    command = [
        str(BIN / "cloudtrail-etl"),
        "run",
        *("--input", str(corpus_root), "--output", str(folder / "table"), "--date", DAY.isoformat()),
        *("--report", str(folder / "report.json"), *extra),
    ]
    measured = run(command, OUT / f"round{round_no}-{name}.log", env={"CLOUDTRAIL_ETL_MASTER": "local[2]"}, cwd=REPO)
    report_path = folder / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    print(
        f"  verify round {round_no} {name:9s} {measured.seconds:7.1f} s {measured.cpu_seconds:7.1f} CPU s "
        f"exit {measured.returncode}",
        flush=True,
    )
    return measured, report


def run_verify(rounds: int = DEFAULT_ROUNDS) -> tuple[str, bool]:
    """Return the results.md section and whether every run did what it should (exit 0, intact)."""
    load_at_start = load_average()
    corpus = ensure_corpus(1)
    print(f"\nverify: 1x day, {rounds} rounds", flush=True)
    plain: list[Measured] = []
    verified: list[Measured] = []
    report: dict = {}
    for round_no in range(1, rounds + 1):
        plain.append(_run(corpus.root, "plain", round_no, [])[0])
        measured, report = _run(corpus.root, "verified", round_no, ["--verify-digests"])
        verified.append(measured)
    integrity = report.get("integrity") or {}
    ok = all(m.returncode == 0 for m in plain + verified) and integrity.get("status") == "intact"
    wall = [statistics.median(m.seconds for m in runs) for runs in (plain, verified)]
    cpu = [statistics.median(m.cpu_seconds for m in runs) for runs in (plain, verified)]
    lines = [
        "## What `--verify-digests` adds to a run (issue 10, 1x day)",
        "",
        f"- `cloudtrail-etl run --date {DAY}` on the 1x corpus ({corpus.files:,} files), with and without "
        f"`--verify-digests`, alternated {rounds} rounds on `local[2]`; medians. Load average at start: "
        f"{load_at_start}; at end: {load_average()}.",
        f"- The check verified {integrity.get('log_files_verified', 0):,} log files against "
        f"{integrity.get('digests_checked', 0):,} digests: {integrity.get('status', 'not run')} "
        "(signatures not checked: a local folder has no S3 metadata).",
        "",
        "| | wall s | CPU s |",
        "|---|---:|---:|",
        f"| run | {wall[0]:.1f} | {cpu[0]:.1f} |",
        f"| run --verify-digests | {wall[1]:.1f} | {cpu[1]:.1f} |",
        f"| added | {wall[1] - wall[0]:+.1f} ({(wall[1] - wall[0]) / wall[0]:+.0%}) "
        f"| {cpu[1] - cpu[0]:+.1f} ({(cpu[1] - cpu[0]) / cpu[0]:+.0%}) |",
    ]
    text = "\n".join(lines) + "\n"
    print("\n" + text, flush=True)
    return text, ok
