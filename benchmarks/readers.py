"""Our job with the map reader against the VARIANT reader, on one Spark, back to back (benchmarks/profile.md).

    .venv/bin/python -m benchmarks.readers [--configs .venv-spark4/bin:map,.venv-spark4/bin:variant] [--runs 3]

The day corpus of `make bench` (benchmarks/corpus.py, generated once); each round runs `cloudtrail-etl run` once
per configuration (a venv's bin and CLOUDTRAIL_ETL_READER), reversing the order every other round, so that drift of
the machine falls on all. Prints each run and a Markdown table of medians: wall seconds, CPU seconds of the whole
process tree, peak memory, rows written and output bytes (from the run's report).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
from pathlib import Path

from benchmarks.corpus import DAY, ensure_corpus
from benchmarks.measure import load_average, run

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_CONFIGS = ".venv-spark4/bin:map,.venv-spark4/bin:variant"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.readers", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--configs", default=DEFAULT_CONFIGS, help="comma-separated BIN:READER (BIN relative to the repo)"
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    corpus = ensure_corpus(args.scale)
    out = HERE / "out" / "readers" / f"{args.scale:g}x"
    env = {**os.environ, "CLOUDTRAIL_ETL_MASTER": "local[2]"}
    configs = [tuple(item.rsplit(":", 1)) for item in args.configs.split(",")]
    names = [f"{Path(bin_).parent.name}:{reader}" for bin_, reader in configs]
    measured: dict[str, list] = {name: [] for name in names}
    reports: dict[str, dict] = {}
    for i in range(args.runs):
        order = list(zip(names, configs)) if i % 2 == 0 else list(zip(names, configs))[::-1]
        for name, (bin_, reader) in order:
            root = out / name.replace(":", "-")
            shutil.rmtree(root, ignore_errors=True)
            report_path = root / "report.json"
            command = [
                str(REPO / bin_ / "cloudtrail-etl"),
                "run",
                "--input",
                str(corpus.root),
                "--output",
                str(root / "table"),
                "--date",
                DAY.isoformat(),
                "--report",
                str(report_path),
            ]
            log = out / f"{name.replace(':', '-')}-run{i + 1}.log"
            result = run(command, log, env={**env, "CLOUDTRAIL_ETL_READER": reader}, cwd=REPO)
            report = json.loads(report_path.read_text()) if report_path.exists() else {}
            reports[name] = report
            measured[name].append(result)
            print(
                f"run {i + 1}/{args.runs} {name:22s} {result.seconds:7.1f} s {result.cpu_seconds:7.1f} CPU s "
                f"{result.peak_rss / 1e6:6.0f} MB exit {result.returncode} reader={report.get('reader')} "
                f"spark={report.get('spark_version')} rows={report.get('rows_written')} load {load_average()}",
                flush=True,
            )
    print()
    print("| venv:reader | Spark | wall s (median) | CPU s (median) | runs (wall / CPU) | peak MB | rows | output MB |")
    print("|---|---|---:|---:|---|---:|---:|---:|")
    for name in names:
        runs, report = measured[name], reports[name]
        walls = " ".join(f"{m.seconds:.0f}" for m in runs)
        cpus = " ".join(f"{m.cpu_seconds:.0f}" for m in runs)
        print(
            f"| {name} | {report.get('spark_version')} | {statistics.median(m.seconds for m in runs):.1f} | "
            f"{statistics.median(m.cpu_seconds for m in runs):.1f} | {walls} / {cpus} | "
            f"{max(m.peak_rss for m in runs) / 1e6:.0f} | {report.get('rows_written')} | "
            f"{(report.get('output_bytes') or 0) / 1e6:.1f} |"
        )
    return 0 if all(m.returncode == 0 for runs in measured.values() for m in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
