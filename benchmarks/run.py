"""`make bench`: one KST day by four converters, a week as one range run or seven daily runs, memory by range length.

    .venv/bin/python -m benchmarks.run [--parts day,week,memory] [--scales 1,4] [--runs N] [--results PATH]

Part `day` (issue 12): our job, the blog's job, a full-schema Spark baseline and DuckDB convert the same KST day.
For each scale the corpus is generated once (benchmarks/.cache/), then each converter runs as a subprocess N times,
round-robin so that a change in the machine's load hits all four alike. Reported: median wall and CPU seconds, events
of the day per second, peak memory of the process tree, Parquet bytes and files, rows and distinct eventIDs written
(from the files), each as a ratio to our job, and ours divided by each other's; then the analysts' queries over each
output and over the raw JSON. The rows are checked against the truth counted from the corpus.
Part `week` (issue 9, week.py): one `--from/--to` run against seven single-day runs of ours and of the baseline.
Part `memory` (issue 9, memory.py): the driver's peak for range runs of 1, 7 and 30 days.
Part `verify` (issue 10, verify_cost.py): what `--verify-digests` adds to a run of the 1x day.
Nothing here asserts a timing: it reports. Results go to stdout and to benchmarks/results.md, one section per part.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import json
import os
import platform
import re
import statistics
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from benchmarks import flowlogs, memory, verify_cost, week
from benchmarks.corpus import DAY, Corpus, ensure_corpus
from benchmarks.measure import Measured, alternate, load_average, stage_times
from benchmarks.queries import QueryResult, parquet_files, query_json, query_parquet
from benchmarks.scaling import cost_section

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
RESULTS = HERE / "results.md"
BIN = Path(sys.executable).parent
CONVERTERS = ("ours", "blog", "baseline", "duckdb")
SCRIPTS = {"blog": "blog_spark.py", "baseline": "baseline_spark.py", "duckdb": "duckdb_convert.py"}
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


def table_root(scale: float, name: str) -> Path:
    return OUT / f"{scale:g}x" / name / "table"  # 4 and 4.0 (a cached corpus's scale) are the same folder


def command(name: str, corpus: Corpus, root: Path) -> list[str]:
    """The command line of a converter. Our job gets no Spark settings: it decides its own."""
    common = ["--input", str(corpus.root), "--output", str(root), "--date", DAY.isoformat()]
    if name == "ours":
        return [str(BIN / "cloudtrail-etl"), "run", *common, "--report", str(root.parent / "report.json")]
    return [sys.executable, str(HERE / SCRIPTS[name]), *common]


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
    """Each converter `runs` times, alternated (measure.alternate); the last run's output is kept and inspected."""
    measured = alternate(
        CONVERTERS,
        runs,
        f"{corpus.scale}x",
        lambda name: table_root(corpus.scale, name),
        lambda name, root: command(name, corpus, root),
        REPO,
    )
    outcomes = [Outcome(name, measured[name]) for name in CONVERTERS]
    for outcome in outcomes:
        inspect_output(outcome, table_root(corpus.scale, outcome.name))
    return outcomes


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "-"


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
    """Rows against the truth: the other converters keep every delivery of the day, our job one row per eventID."""
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
            checks.append(stage_times(report))
    return checks


def coverage_check(scale: float, outcomes: list[Outcome], reference: str = "duckdb") -> list[str]:
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


def scaling_table(by_scale: dict[float, tuple[Corpus, list[Outcome]]]) -> str:
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


def ratio_table(by_scale: dict[float, tuple[Corpus, list[Outcome]]]) -> str:
    """Our job's wall and CPU seconds divided by each other converter's (issue 12): below 1.00 ours is faster."""
    others = CONVERTERS[1:]
    lines = [
        "| scale | " + " | ".join(f"wall ours/{name} | CPU ours/{name}" for name in others) + " |",
        "|---:|" + "---:|---:|" * len(others),
    ]
    for scale, (_, outcomes) in sorted(by_scale.items()):
        ours = outcomes[0]
        cells = []
        for o in outcomes[1:]:
            ok = ours.runs and o.runs
            cells += [_ratio(ours.seconds, o.seconds), _ratio(ours.cpu_seconds, o.cpu_seconds)] if ok else ["-", "-"]
        lines.append(f"| {scale}x | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(by_scale: dict[float, tuple[Corpus, list[Outcome]]], queries: dict[float, list[QueryResult]]) -> list[str]:
    """Issue 12's targets, as measured (reported, never asserted)."""
    lines = []
    for scale, (_, outcomes) in sorted(by_scale.items()):
        by_name = {o.name: o for o in outcomes}
        ours, blog, baseline, duck = (by_name[name] for name in CONVERTERS)
        if not (ours.runs and blog.runs and baseline.runs and duck.runs):
            continue
        blog_target = "<= 1.0" if scale <= 1 else "<= 0.8" if scale >= 4 else "none at this scale"
        baseline_target = " (target <= 0.8)" if scale <= 1 else ""
        lines.append(
            f"- {scale}x: wall ours/blog {ours.seconds / blog.seconds:.2f} (target {blog_target}), CPU ours/blog "
            f"{ours.cpu_seconds / blog.cpu_seconds:.2f}; wall ours/baseline {ours.seconds / baseline.seconds:.2f}"
            f"{baseline_target}; ours/DuckDB {ours.seconds / duck.seconds:.1f}x (the far reference); "
            f"bytes ours/baseline {ours.output_bytes / max(baseline.output_bytes, 1):.2f} (target <= 0.65)"
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


def cost_lines(by_scale: dict[float, tuple[Corpus, list[Outcome]]], loads: dict[float, tuple[str, str]]) -> list[str]:
    """Issue 26: each converter's CPU line through the scales (benchmarks/scaling.py), against the blog job's."""
    return cost_section(
        {scale: outcomes for scale, (_, outcomes) in by_scale.items()},
        {scale: corpus.events_in_day for scale, (corpus, _) in by_scale.items()},
        loads,
        "blog",
        [("blog", 1.3), ("baseline", 1.0)],
        unit="events",
    )


def day_section(
    header: list[str],
    by_scale: dict[float, tuple[Corpus, list[Outcome]]],
    queries: dict[float, list[QueryResult]],
    checks: dict[float, list[str]],
    runs: dict[float, int],
    loads: tuple[str, str],
    scale_loads: dict[float, tuple[str, str]] | None = None,
) -> str:
    """The day part of results.md: everything printed, with the context needed to quote it."""
    parts = [
        DAY_HEADING,
        "",
        *header,
        f"- Load average (1, 5, 15 min) at start: {loads[0]}; at end: {loads[1]}. On 2 cores, anything well above 1 "
        "at the start means other work was running and the wall times are inflated.",
        "- Every converter runs on `local[2]` / 2 threads with 2g of driver memory (Spark) or DuckDB's default memory "
        "limit, on the same files (already in the page cache after the first run).",
        "",
        "### Corpus",
        "",
        *corpus_lines([c for c, _ in by_scale.values()]),
        "",
        "### Converters",
        "",
        "- **ours**: `cloudtrail-etl run --input CORPUS --output OUT --date 2026-01-02 --report R` "
        "(`CLOUDTRAIL_ETL_MASTER=local[2]`).",
        "- **blog**: `benchmarks/blog_spark.py`, the PySpark blog's job this project grew from: an explicit schema of "
        "about 25 fields (identity, event, source, error, payloads, resources), payloads as map<string,string>, "
        "line-mode JSON reader, explode, a recursive flatten to lowercase parent_child columns, "
        "`eventTime + INTERVAL 9 HOURS`, `date_format` for proc_ymd, filter, `write.partitionBy('proc_ymd')` (snappy).",
        "- **baseline**: `benchmarks/baseline_spark.py`, a straightforward PySpark job on the full schema: line-mode "
        "JSON reader, payloads as map<string,string>, explode, flatten by walking `df.dtypes`, "
        "`to_timestamp(eventtime) + INTERVAL 9 HOURS`, `date_format` for proc_ymd, filter, "
        "`write.partitionBy('proc_ymd')` (snappy).",
        "- **duckdb**: `benchmarks/duckdb_convert.py`, the baseline's conversion in SQL: `read_json` + `unnest`, the "
        "same flat columns, payloads as JSON text, `COPY … (FORMAT parquet, PARTITION_BY (proc_ymd))`.",
        "- The other converters do less work than our job: no dedup by eventID (they write duplicate deliveries "
        "as extra rows), no `unmapped` column (fields unknown to their schema are dropped silently; the blog's "
        "schema drops most of them), no accounting of bad files, no quarantine, no staged publish.",
        "",
    ]
    for scale, (corpus, outcomes) in sorted(by_scale.items()):
        parts += [
            f"### {scale}x corpus ({corpus.events_in_day:,} events in the day; wall time is the median of "
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
                f"#### Queries at {scale}x (DuckDB, 2 threads; median of 3 runs, raw JSON of {runs[scale]})",
                "",
                "Bytes read: compressed Parquet column chunks the query touches (filter and projected columns) in "
                "the row groups that min/max statistics on the filter columns cannot exclude; `count(*)` and the "
                "count by day read no column chunk (footer and folder names only). Raw JSON: every .json.gz byte "
                "of both folders.",
                "",
                query_table(queries[scale]),
                "",
            ]
    parts += [
        "### Ours against each converter",
        "",
        "Our job's median wall and CPU seconds divided by the other converter's: below 1.00x ours is faster.",
        "",
        ratio_table(by_scale),
        "",
    ]
    if len(by_scale) > 1:
        parts += ["### Scaling", "", scaling_table(by_scale), "", *cost_lines(by_scale, scale_loads or {}), ""]
    parts += [
        "### Targets",
        "",
        *targets(by_scale, queries),
        "",
        "### Where the time goes",
        "",
        "Stage-by-stage timings, what was tried and what each change bought: `benchmarks/profile.md` "
        "(hand-written, measured on this machine).",
        "",
    ]
    return "\n".join(parts)


DAY_HEADING = "## One KST day: ours, the blog's job, the baseline and DuckDB (issue 12)"
# results.md holds one section per part, each after its marker; a run replaces the sections of the parts it ran.
PARTS = ("day", "week", "memory", "verify", "vpcflow", "vpcflow-parquet")
_MARKER = re.compile(r"^<!-- bench part: ([\w-]+) -->$", re.MULTILINE)
PREAMBLE = """# Benchmark results

Written by `make bench` (`benchmarks/run.py`); do not edit by hand, re-run it. A run replaces the sections of the
parts it ran and keeps the others, so each section says when it was measured.

How to run each part, from the repository root (`BENCH_ARGS` passes options through `make bench`):

- Everything, at the default scales: `make bench`, about 30 minutes on 2 idle cores (the day ~15, the week ~10,
  memory ~5), plus ~5 the first time to generate the corpora (cached in `benchmarks/.cache/`); longer under load.
- **day** (issue 12), our job, the blog's job, the full-schema baseline and DuckDB on one KST day, alternated, 3 runs
  at 1x and 1 at 2x and 4x: `make bench BENCH_ARGS="--parts day"`; `--scales 1,4`, `--runs N`, `--no-queries`.
- Every day part with two scales or more ends with the cost at scale (issue 26, `benchmarks/scaling.py`): each
  converter's marginal CPU per 1x and per million records (the least-squares slope through its CPU s at each scale),
  its fixed CPU (the intercept), and the load average around each scale's runs.
- **week** (issue 9), one `--from D --to D+6` run against seven single-day runs of ours and of the baseline, with
  each day's eventIDs compared: `make bench BENCH_ARGS="--parts week"`; `--week-scale 0.25` (default; 1 gives each
  day the 1x day's volume, about twice as long), `--week-rounds N`.
- **memory** (issue 9), the driver's peak for range runs of 1, 7 and 30 KST days over a small corpus:
  `make bench BENCH_ARGS="--parts memory"`; `--memory-days 1,7,30`, `--memory-scale 0.02`.
- **vpcflow** (issue 17), one KST day of a busy account's VPC flow logs (~2M records at 1x) by ours, a
  straightforward Spark job and DuckDB, alternated, 3 runs at 1x and 1 at 2x and 4x, then the analysts' queries with
  the bytes they read: `make bench BENCH_ARGS="--parts vpcflow"`; `--flow-scales 1,4`.
- **vpcflow-parquet** (issue 24), the same day's records delivered as Parquet (`.log.parquet`), by ours, a
  straightforward `spark.read.parquet` job and DuckDB, with the same queries:
  `make bench BENCH_ARGS="--parts vpcflow-parquet"`; `--flow-scales 1,2,4` (the default).
- `--results PATH` writes the sections elsewhere (quick looks at tiny scales belong in `benchmarks/out/`).
"""
PLACEHOLDERS = {
    "day": f'{DAY_HEADING}\n\nNot measured yet: `make bench BENCH_ARGS="--parts day"`.\n',
    "week": "## A week: one range run against seven single-day runs (issue 9)\n\nNot measured yet: "
    '`make bench BENCH_ARGS="--parts week"`.\n',
    "memory": "## Driver memory as the range grows (issue 9)\n\nNot measured yet: "
    '`make bench BENCH_ARGS="--parts memory"`.\n',
    "verify": "## What `--verify-digests` adds to a run (issue 10, 1x day)\n\nNot measured yet: "
    '`make bench BENCH_ARGS="--parts verify"`.\n',
    "vpcflow": f'{flowlogs.HEADING}\n\nNot measured yet: `make bench BENCH_ARGS="--parts vpcflow"`.\n',
    "vpcflow-parquet": f"{flowlogs.PARQUET_HEADING}\n\nNot measured yet: "
    '`make bench BENCH_ARGS="--parts vpcflow-parquet"`.\n',
}


def previous_sections(path: Path) -> dict[str, str]:
    """The sections of an existing results file, by part."""
    if not path.exists():
        return {}
    pieces = _MARKER.split(path.read_text())
    return {name: body.strip("\n") + "\n" for name, body in zip(pieces[1::2], pieces[2::2])}


def write_results(path: Path, sections: dict[str, str]) -> None:
    """The preamble, then each part's new section, else its previous one, else a placeholder."""
    kept = previous_sections(path)
    parts = [PREAMBLE]
    for name in PARTS:
        parts.append(
            f"<!-- bench part: {name} -->\n\n{(sections.get(name) or kept.get(name) or PLACEHOLDERS[name]).strip()}\n"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))


def _scales(text: str) -> list[float]:
    """ "1,4" -> [1, 4]; fractions (0.1) make quick corpora. Whole numbers stay ints so folders read 1x, not 1.0x."""
    values = [float(s) for s in text.split(",") if s.strip()]
    return [int(v) if v.is_integer() else v for v in values]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated parts to run (default {','.join(PARTS)})"
    )
    parser.add_argument("--scales", default="1,2,4", help="day part: comma-separated corpus scales (default 1,2,4)")
    parser.add_argument("--runs", type=int, help="day part: runs per converter (default: 3 at 1x, 1 at other scales)")
    parser.add_argument("--no-queries", action="store_true", help="day part: skip the query benchmark")
    parser.add_argument("--week-scale", type=float, default=week.DEFAULT_SCALE, help="week part: corpus scale")
    parser.add_argument("--week-rounds", type=int, default=1, help="week part: rounds of 15 runs (default 1)")
    parser.add_argument(
        "--memory-days", default=",".join(map(str, memory.DEFAULT_DAYS)), help="memory part: range lengths in days"
    )
    parser.add_argument("--memory-scale", type=float, default=memory.DEFAULT_SCALE, help="memory part: corpus scale")
    parser.add_argument(
        "--verify-rounds", type=int, default=verify_cost.DEFAULT_ROUNDS, help="verify part: rounds of both runs"
    )
    parser.add_argument(
        "--flow-scales", default="1,2,4", help="vpcflow parts: comma-separated corpus scales (default 1,2,4)"
    )
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="the results file (default benchmarks/results.md)"
    )
    args = parser.parse_args(argv)
    unknown = set(args.parts.split(",")) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    return args


def run_day(args: argparse.Namespace) -> tuple[str, bool]:
    """The day part: each scale's converters, checks and queries; its section of results.md."""
    load_at_start = load_average()
    header = environment()
    print("\n".join(header), f"\n- Load average at start: {load_at_start}", flush=True)
    by_scale: dict[float, tuple[Corpus, list[Outcome]]] = {}
    queries: dict[float, list[QueryResult]] = {}
    checks: dict[float, list[str]] = {}
    runs: dict[float, int] = {}
    scale_loads: dict[float, tuple[str, str]] = {}
    for scale in _scales(args.scales):
        corpus = ensure_corpus(scale)
        runs[scale] = args.runs or (3 if scale == 1 else 1)
        print(f"\n{scale}x: {corpus.files:,} files, {corpus.events:,} events, {corpus.events_in_day:,} in the day")
        before = load_average()
        outcomes = run_scale(corpus, runs[scale])
        scale_loads[scale] = (before, load_average())
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
    print()
    print(ratio_table(by_scale))
    if len(by_scale) > 1:
        print()
        print(scaling_table(by_scale))
        print("\n".join(cost_lines(by_scale, scale_loads)))
    print()
    print("\n".join(targets(by_scale, queries)))
    text = day_section(header, by_scale, queries, checks, runs, (load_at_start, load_average()), scale_loads)
    return text, all(o.ok for _, outcomes in by_scale.values() for o in outcomes)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    parts = [name for name in PARTS if name in args.parts.split(",")]
    sections: dict[str, str] = {}
    ok = True
    for name in parts:
        if name == "day":
            text, passed = run_day(args)
        elif name == "week":
            text, passed = week.run_week(args.week_scale, args.week_rounds)
        elif name == "memory":
            lengths = tuple(int(n) for n in args.memory_days.split(",") if n.strip())
            text, passed = memory.run_memory(lengths, args.memory_scale)
        elif name == "vpcflow":
            text, passed = flowlogs.run_vpcflow(_scales(args.flow_scales), args.runs, environment())
        elif name == "vpcflow-parquet":
            text, passed = flowlogs.run_vpcflow(_scales(args.flow_scales), args.runs, environment(), "parquet")
        else:
            text, passed = verify_cost.run_verify(args.verify_rounds)
        sections[name] = text
        ok = ok and passed
        write_results(args.results, sections)  # after each part, so a later failure keeps what was measured
    print(f"\nwritten to {args.results}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
