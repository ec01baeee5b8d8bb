"""`make bench`: our job, a straightforward Spark baseline and DuckDB convert the same KST day; one table per scale.

    .venv/bin/python -m benchmarks.run [--scales 1,2,4] [--runs N]

For each scale the corpus is generated once (benchmarks/.cache/), then each converter runs as a subprocess N times,
round-robin so that a change in the machine's load hits all three alike. Reported: median wall seconds, events of
the day per second, peak memory of the process tree, Parquet bytes and files, rows and distinct eventIDs written
(from the files), each as a ratio to our job; then the analysts' queries over each output and over the raw JSON.
The rows are checked against the truth counted from the corpus. Nothing here asserts a timing: it reports.
Results go to stdout and to benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from benchmarks.corpus import DAY, Corpus, ensure_corpus
from benchmarks.measure import Measured, run
from benchmarks.queries import QueryResult, parquet_files, query_json, query_parquet

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
RESULTS = HERE / "results.md"
BIN = Path(sys.executable).parent
CONVERTERS = ("ours", "baseline", "duckdb")
MB = 1e6


@dataclasses.dataclass
class Outcome:
    """One converter at one scale: its runs and what its last run wrote."""

    name: str
    runs: list[Measured]
    output_bytes: int = 0
    output_files: int = 0
    rows: int = 0
    row_groups: int = 0
    distinct_ids: int = 0
    events_in_day: int = 0  # what it read of the day: our report's events_in_day, else the rows it wrote
    report: dict | None = None

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(m.returncode == 0 for m in self.runs)

    @property
    def seconds(self) -> float:
        return statistics.median(m.seconds for m in self.runs)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(m.cpu_seconds for m in self.runs)

    @property
    def peak_rss(self) -> int:
        return max(m.peak_rss for m in self.runs)


def table_root(scale: int, name: str) -> Path:
    return OUT / f"{scale}x" / name / "table"


def command(name: str, corpus: Corpus, root: Path) -> list[str]:
    """The command line of a converter. Our job gets no Spark settings: it decides its own."""
    common = ["--input", str(corpus.root), "--output", str(root), "--date", DAY.isoformat()]
    if name == "ours":
        return [str(BIN / "cloudtrail-etl"), "run", *common, "--report", str(root.parent / "report.json")]
    script = {"baseline": "baseline_spark.py", "duckdb": "duckdb_convert.py"}[name]
    return [sys.executable, str(HERE / script), *common]


def clean(root: Path) -> None:
    """Remove a converter's previous output (and our job's staging and quarantine siblings) before a run."""
    for path in (root, Path(f"{root}_staging"), Path(f"{root}_quarantine"), root.parent / "report.json"):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def inspect_output(outcome: Outcome, root: Path) -> None:
    """Bytes, files and rows from the Parquet files themselves; distinct eventIDs with DuckDB."""
    files = parquet_files(root)
    outcome.output_files = len(files)
    outcome.output_bytes = sum(p.stat().st_size for p in files)
    footers = [pq.ParquetFile(p).metadata for p in files]
    outcome.rows = sum(f.num_rows for f in footers)
    outcome.row_groups = sum(f.num_row_groups for f in footers)
    if files:
        con = duckdb.connect(config={"threads": 2})
        found = con.execute(f"SELECT count(DISTINCT eventid) FROM read_parquet('{root}/proc_ymd=*/*.parquet')")
        outcome.distinct_ids = found.fetchone()[0]
        con.close()
    outcome.events_in_day = outcome.rows
    report_path = root.parent / "report.json"
    if report_path.exists():
        outcome.report = json.loads(report_path.read_text())
        outcome.events_in_day = outcome.report.get("events_in_day", outcome.rows)


def run_scale(corpus: Corpus, runs: int) -> list[Outcome]:
    """Each converter `runs` times, round-robin; the output of each converter's last run is kept and inspected."""
    env = {**os.environ, "CLOUDTRAIL_ETL_MASTER": "local[2]"}
    outcomes = {name: Outcome(name, []) for name in CONVERTERS}
    for i in range(runs):
        for name in CONVERTERS:
            root = table_root(corpus.scale, name)
            clean(root)
            measured = run(command(name, corpus, root), root.parent / f"run{i + 1}.log", env=env, cwd=REPO)
            outcomes[name].runs.append(measured)
            state = "ok" if measured.returncode == 0 else f"FAILED (exit {measured.returncode}, see {measured.log})"
            print(
                f"  {corpus.scale}x run {i + 1}/{runs} {name:8s} {measured.seconds:7.1f} s "
                f"{measured.cpu_seconds:7.1f} CPU s "
                f"{measured.peak_rss / MB:7.0f} MB  {state}",
                flush=True,
            )
    for name, outcome in outcomes.items():
        inspect_output(outcome, table_root(corpus.scale, name))
    return list(outcomes.values())


def _ratio(value: float, ours: float) -> str:
    return f"{value / ours:.2f}x" if ours else "-"


def converter_table(corpus: Corpus, outcomes: list[Outcome]) -> str:
    """One Markdown table: each converter's figures and their ratio to our job's."""
    ours = outcomes[0]
    lines = [
        "| converter | wall s | x ours | CPU s | x ours | events/s | peak MB | x ours | output MB | x ours | files "
        "| row groups | rows | distinct eventIDs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        if not o.runs:
            continue
        failed = "" if o.ok else " (FAILED)"
        lines.append(
            f"| {o.name}{failed} | {o.seconds:.1f} | {_ratio(o.seconds, ours.seconds)} "
            f"| {o.cpu_seconds:.1f} | {_ratio(o.cpu_seconds, ours.cpu_seconds)} "
            f"| {o.events_in_day / o.seconds:,.0f} | {o.peak_rss / MB:,.0f} | {_ratio(o.peak_rss, ours.peak_rss)} "
            f"| {o.output_bytes / MB:.1f} | {_ratio(o.output_bytes, ours.output_bytes)} | {o.output_files} "
            f"| {o.row_groups} | {o.rows:,} | {o.distinct_ids:,} |"
        )
    return "\n".join(lines)


def row_checks(corpus: Corpus, outcomes: list[Outcome]) -> list[str]:
    """Rows against the truth: the baselines keep every delivery of the day, our job one row per eventID."""
    checks = []
    for o in outcomes:
        expected = corpus.distinct_ids_in_day if o.name == "ours" else corpus.events_in_day
        what = "distinct eventIDs of the day" if o.name == "ours" else "events of the day (duplicates included)"
        verdict = "ok" if o.rows == expected else f"MISMATCH ({o.rows - expected:+,})"
        checks.append(f"- {o.name}: {o.rows:,} rows, expected {expected:,} {what}: {verdict}")
        if o.distinct_ids != corpus.distinct_ids_in_day:
            checks.append(
                f"- {o.name}: {o.distinct_ids:,} distinct eventIDs, expected {corpus.distinct_ids_in_day:,}: "
                f"MISMATCH ({o.distinct_ids - corpus.distinct_ids_in_day:+,})"
            )
        report = o.report
        if report is not None:
            reconciles = report.get("events_in_day") == report.get("rows_written", 0) + report.get(
                "duplicates_dropped", 0
            )
            checks.append(
                f"- ours, report: events_in_day {report.get('events_in_day'):,} (truth {corpus.events_in_day:,}), "
                f"rows_written {report.get('rows_written'):,}, duplicates_dropped {report.get('duplicates_dropped'):,}"
                f", events_read {report.get('events_read'):,} of the corpus's {corpus.events:,} (the rest are in the "
                f"{report.get('files_delivered_before_day', 0):,} files delivered before the day, not read): "
                f"{'reconciles' if reconciles else 'does NOT reconcile'}"
            )
    return checks


def coverage_check(scale: int, outcomes: list[Outcome], reference: str = "duckdb") -> list[str]:
    """No loss of data, column by column: for every column our table shares with the reference output, the number
    of eventIDs with a non-null value must be the same (duplicates do not count, so our dedup does not matter)."""
    ours, ref = table_root(scale, "ours"), table_root(scale, reference)
    if not (parquet_files(ours) and parquet_files(ref)):
        return []
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET enable_progress_bar = false")
    counts = {}
    for name, root in (("ours", ours), (reference, ref)):
        con.execute(f"CREATE OR REPLACE VIEW v AS SELECT * FROM read_parquet('{root}/proc_ymd=*/*.parquet')")
        columns = [row[0] for row in con.execute("DESCRIBE v").fetchall()]
        selects = ", ".join(f'count(DISTINCT eventid) FILTER (WHERE "{c}" IS NOT NULL)' for c in columns)
        counts[name] = dict(zip(columns, con.execute(f"SELECT {selects} FROM v").fetchone()))
    con.close()
    shared = sorted(set(counts["ours"]) & set(counts[reference]))
    lost = [c for c in shared if counts["ours"][c] < counts[reference][c]]
    lines = [f"- {len(shared)} columns shared with {reference}; eventIDs with a value: ours has fewer in {len(lost)}"]
    lines += [f"  - {c}: ours {counts['ours'][c]:,}, {reference} {counts[reference][c]:,}" for c in lost]
    return lines


def query_table(results: list[QueryResult]) -> str:
    lines = [
        "| query | source | median s | answer | bytes read | % of source |",
        "|---|---|---:|---|---:|---:|",
    ]
    for r in results:
        share = f"{100 * r.bytes_read / r.bytes_total:.2f}%" if r.bytes_total else "-"
        lines.append(f"| {r.query} | {r.source} | {r.seconds:.3f} | {r.answer} | {r.bytes_read:,} | {share} |")
    return "\n".join(lines)


def scaling_table(by_scale: dict[int, tuple[Corpus, list[Outcome]]]) -> str:
    """Seconds per million events and peak memory as the day grows: flat memory and linear time show here."""
    lines = [
        "| scale | events in day | converter | wall s | s per M events | peak MB |",
        "|---:|---:|---|---:|---:|---:|",
    ]
    for scale, (corpus, outcomes) in sorted(by_scale.items()):
        for o in outcomes:
            if o.runs:
                lines.append(
                    f"| {scale}x | {corpus.events_in_day:,} | {o.name} | {o.seconds:.1f} "
                    f"| {o.seconds / (corpus.events_in_day / 1e6):.1f} | {o.peak_rss / MB:,.0f} |"
                )
    return "\n".join(lines)


def targets(by_scale: dict[int, tuple[Corpus, list[Outcome]]], queries: dict[int, list[QueryResult]]) -> list[str]:
    """The issue's targets, as measured (reported, never asserted)."""
    lines = []
    for scale, (_, outcomes) in sorted(by_scale.items()):
        ours, baseline, duck = outcomes
        if not (ours.runs and baseline.runs and duck.runs):
            continue
        lines.append(
            f"- {scale}x: wall ours/baseline {ours.seconds / baseline.seconds:.2f} (target <= 0.5); "
            f"ours {ours.seconds:.1f} s vs DuckDB {duck.seconds:.1f} s (target: below); "
            f"bytes ours/baseline {ours.output_bytes / max(baseline.output_bytes, 1):.2f} (target <= 0.6)"
        )
        for r in queries.get(scale, []):
            if r.source == "ours" and r.query in ("DescribeStream useridentity", "CreateBucket arn"):
                lines.append(
                    f"- {scale}x: '{r.query}' on our table reads {100 * r.bytes_read / max(r.bytes_total, 1):.2f}% "
                    "of the day's Parquet bytes (target < 5%)"
                )
    return lines


def _first_line(args: list[str]) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        return (done.stdout + done.stderr).strip().splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def environment() -> list[str]:
    """Machine and versions, so a figure quoted in the README can be put in context."""
    versions = ", ".join(f"{p} {importlib.metadata.version(p)}" for p in ("pyspark", "duckdb", "pyarrow"))
    return [
        f"- Date: {_first_line(['date', '-u'])}",
        f"- Machine: {os.cpu_count()} cores ({_cpu_model()}), {_memory()} RAM, {platform.system()} "
        f"{platform.release()}",
        f"- Python {platform.python_version()}; Java: {_first_line(['java', '-version'])}; {versions}",
    ]


def corpus_lines(corpora: list[Corpus]) -> list[str]:
    lines = []
    for c in corpora:
        lines.append(
            f"- {c.scale}x: {c.files:,} files ({c.raw_bytes / MB:.0f} MB gzip) with {c.events:,} events in UTC folders "
            f"2026/01/01 and 2026/01/02; KST day {DAY} holds {c.events_in_day:,} of them "
            f"({c.distinct_ids_in_day:,} distinct eventIDs). Spec: events_per_file {c.spec['events_per_file']}, "
            f"delivery every {c.spec['delivery_interval_minutes']} min, {c.spec['accounts']} x {c.spec['regions']}, "
            f"duplicate_rate {c.spec['duplicate_rate']}, seed {c.spec['seed']}."
        )
    return lines


def write_results(
    header: list[str],
    by_scale: dict[int, tuple[Corpus, list[Outcome]]],
    queries: dict[int, list[QueryResult]],
    checks: dict[int, list[str]],
    runs: dict[int, int],
    loads: tuple[str, str],
) -> str:
    """benchmarks/results.md: everything printed, with the context needed to quote it."""
    parts = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`benchmarks/run.py`); do not edit by hand, re-run it.",
        "",
        *header,
        f"- Load average (1, 5, 15 min) at start: {loads[0]}; at end: {loads[1]}. On 2 cores, anything well above 1 "
        "at the start means other work was running and the wall times are inflated.",
        "- Every converter runs on `local[2]` / 2 threads with 2g of driver memory (Spark) or DuckDB's default memory "
        "limit, on the same files (already in the page cache after the first run).",
        "",
        "## Corpus",
        "",
        *corpus_lines([c for c, _ in by_scale.values()]),
        "",
        "## Converters",
        "",
        "- **ours**: `cloudtrail-etl run --input CORPUS --output OUT --date 2026-01-02 --report R` "
        "(`CLOUDTRAIL_ETL_MASTER=local[2]`).",
        "- **baseline**: `benchmarks/baseline_spark.py`, a straightforward PySpark job: line-mode JSON reader, "
        "payloads as map<string,string>, explode, flatten by walking `df.dtypes`, "
        "`to_timestamp(eventtime) + INTERVAL 9 HOURS`, `date_format` for proc_ymd, filter, "
        "`write.partitionBy('proc_ymd')` (snappy).",
        "- **duckdb**: `benchmarks/duckdb_convert.py`, the same conversion in SQL: `read_json` + `unnest`, the same "
        "flat columns, payloads as JSON text, `COPY … (FORMAT parquet, PARTITION_BY (proc_ymd))`.",
        "- The baseline and DuckDB do less work than our job: no dedup by eventID (they write duplicate deliveries "
        "as extra rows), no `unmapped` column (fields unknown to the schema are dropped silently), no accounting of "
        "bad files, no quarantine, no staged publish.",
        "",
    ]
    for scale, (corpus, outcomes) in sorted(by_scale.items()):
        parts += [
            f"## {scale}x corpus ({corpus.events_in_day:,} events in the day; wall time is the median of "
            f"{runs[scale]} run{'s' if runs[scale] > 1 else ''})",
            "",
            "CPU s: user + system seconds of the converter's whole process tree (median), steadier than wall time "
            "on a VM with CPU steal.",
            "",
            converter_table(corpus, outcomes),
            "",
            "Rows against the truth counted from the corpus, and columns against DuckDB's output:",
            "",
            *checks[scale],
            "",
        ]
        if queries.get(scale):
            parts += [
                f"### Queries at {scale}x (DuckDB, 2 threads; median of 3 runs, raw JSON of {runs[scale]})",
                "",
                "Bytes read: compressed Parquet column chunks the query touches (filter and projected columns) in "
                "the row groups that min/max statistics on the filter columns cannot exclude; `count(*)` and the "
                "count by day read no column chunk (footer and folder names only). Raw JSON: every .json.gz byte "
                "of both folders.",
                "",
                query_table(queries[scale]),
                "",
            ]
    if len(by_scale) > 1:
        parts += ["## Scaling", "", scaling_table(by_scale), ""]
    parts += [
        "## Targets",
        "",
        *targets(by_scale, queries),
        "",
        "## Where the time goes",
        "",
        "Stage-by-stage timings, what was tried and what each change bought: `benchmarks/profile.md` "
        "(hand-written, measured on this machine).",
        "",
    ]
    text = "\n".join(parts)
    RESULTS.write_text(text)
    return text


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,2,4", help="comma-separated corpus scales (default 1,2,4)")
    parser.add_argument("--runs", type=int, help="runs per converter (default: 3 at 1x, 1 at larger scales)")
    parser.add_argument("--no-queries", action="store_true", help="skip the query benchmark")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    load_at_start = load_average()
    header = environment()
    print("\n".join(header), f"\n- Load average at start: {load_at_start}", flush=True)
    by_scale: dict[int, tuple[Corpus, list[Outcome]]] = {}
    queries: dict[int, list[QueryResult]] = {}
    checks: dict[int, list[str]] = {}
    runs: dict[int, int] = {}
    for scale in scales:
        corpus = ensure_corpus(scale)
        runs[scale] = args.runs or (3 if scale == 1 else 1)
        print(f"\n{scale}x: {corpus.files:,} files, {corpus.events:,} events, {corpus.events_in_day:,} in the day")
        outcomes = run_scale(corpus, runs[scale])
        by_scale[scale] = (corpus, outcomes)
        print()
        print(converter_table(corpus, outcomes))
        checks[scale] = row_checks(corpus, outcomes) + coverage_check(scale, outcomes)
        print("\n".join(checks[scale]), flush=True)
        if not args.no_queries:
            results = []
            for o in outcomes:
                if o.output_files:
                    results += query_parquet(o.name, table_root(scale, o.name), runs=3)
            results += query_json(corpus, runs=runs[scale])
            queries[scale] = results
            print()
            print(query_table(results), flush=True)
    if len(by_scale) > 1:
        print()
        print(scaling_table(by_scale))
    print()
    print("\n".join(targets(by_scale, queries)))
    write_results(header, by_scale, queries, checks, runs, (load_at_start, load_average()))
    print(f"\nwritten to {RESULTS.relative_to(REPO)}")
    return 0 if all(o.ok for _, outcomes in by_scale.values() for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
