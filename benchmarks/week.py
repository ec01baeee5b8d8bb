"""Issue 9: one range run over a generated week against seven single-day runs of ours and of the baseline.

    .venv/bin/python -m benchmarks.run --parts week [--week-scale 0.25] [--week-rounds 1]

Why: a daily schedule starts a JVM, lists folders and reads each UTC folder twice (every folder holds parts of two
KST days) once per day; `run --from D --to D+6` does each once. Each run is its own process, as a schedule would
start it: the seven days' single runs pairwise (ours, then the baseline of the same day), with the range run in the
middle of them, so that a drift in the machine's load hits it like their average. Our single-day runs write into
one table, as a daily schedule does; the range run into another. Checked, per day: the range run's set of eventIDs
equals the single-day run's, and both equal the truth counted from the files. Nothing here asserts a timing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import statistics
import sys
from pathlib import Path

import duckdb

from benchmarks.corpus import DaysCorpus, ensure_days_corpus
from benchmarks.measure import Measured, load_average, run

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out" / "week"
BIN = Path(sys.executable).parent
WEEK_DAYS = 7
DEFAULT_SCALE = 0.25
MB = 1e6


@dataclasses.dataclass
class Round:
    """One round: the range run and the single-day runs (per day, in day order) of ours and of the baseline."""

    range_run: Measured
    ours: list[Measured]
    baseline: list[Measured]


@dataclasses.dataclass(frozen=True)
class DayCheck:
    """One KST day's rows and eventIDs in each output (the last round's), against the truth."""

    day: str
    truth_events: int
    truth_ids: int
    range_rows: int
    range_ids: int
    single_rows: int
    single_ids: int
    only_in_range: int  # eventIDs in the range run's day and not in the single-day run's
    only_in_single: int
    baseline_rows: int
    baseline_ids: int

    @property
    def equal(self) -> bool:
        return self.range_rows == self.single_rows and self.only_in_range == 0 and self.only_in_single == 0


def range_command(corpus: DaysCorpus, root: Path) -> list[str]:
    days = corpus.days
    return [
        str(BIN / "cloudtrail-etl"),
        "run",
        *("--input", str(corpus.root), "--output", str(root)),
        *("--from", days[0].isoformat(), "--to", days[-1].isoformat()),
        *("--report", str(root.parent / "report.json")),
    ]


def single_command(name: str, corpus: DaysCorpus, day: dt.date) -> list[str]:
    """Our job writes every day into one table (a daily schedule); the baseline overwrites its output, so one each."""
    if name == "ours":
        root = OUT / "ours" / "table"
        return [
            str(BIN / "cloudtrail-etl"),
            "run",
            *("--input", str(corpus.root), "--output", str(root), "--date", day.isoformat()),
            *("--report", str(OUT / "ours" / f"report-{day}.json")),
        ]
    root = OUT / "baseline" / f"{day}" / "table"
    script = HERE / "baseline_spark.py"
    return [sys.executable, str(script), "--input", str(corpus.root), "--output", str(root), "--date", day.isoformat()]


def _show(label: str, measured: Measured) -> Measured:
    state = "ok" if measured.returncode == 0 else f"FAILED (exit {measured.returncode}, see {measured.log})"
    print(
        f"  week {label:24s} {measured.seconds:7.1f} s {measured.cpu_seconds:7.1f} CPU s "
        f"{measured.peak_rss / MB:7.0f} MB  {state}",
        flush=True,
    )
    return measured


def run_round(corpus: DaysCorpus, number: int) -> Round:
    """Singles of ours and the baseline day by day, the range run after the first half of the days."""
    for name in ("range", "ours", "baseline"):
        shutil.rmtree(OUT / name, ignore_errors=True)
    env = {**os.environ, "CLOUDTRAIL_ETL_MASTER": "local[2]"}
    logs = OUT / "logs"
    days = corpus.days
    ours: list[Measured] = []
    baseline: list[Measured] = []
    range_run = None
    for index, day in enumerate(days):
        if index == len(days) // 2:
            command = range_command(corpus, OUT / "range" / "table")
            range_run = _show("range", run(command, logs / f"round{number}-range.log", env=env, cwd=REPO))
        for name, runs in (("ours", ours), ("baseline", baseline)):
            log = logs / f"round{number}-{name}-{day}.log"
            runs.append(_show(f"{name} {day}", run(single_command(name, corpus, day), log, env=env, cwd=REPO)))
    assert range_run is not None
    return Round(range_run, ours, baseline)


def _day_ids(con: duckdb.DuckDBPyConnection, table: Path, code: str, view: str) -> tuple[int, int]:
    """Rows and distinct eventIDs of one day of a table, kept in a view for comparison (empty if not written)."""
    files = sorted((table / f"proc_ymd={code}").glob("*.parquet"))
    if not files:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT NULL::VARCHAR AS eventid WHERE false")
    else:
        listed = ", ".join(f"'{p}'" for p in files)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT eventid FROM read_parquet([{listed}])")
    rows, ids = con.execute(f"SELECT count(*), count(DISTINCT eventid) FROM {view}").fetchone()
    return rows, ids


def check_days(corpus: DaysCorpus) -> list[DayCheck]:
    """Each day's eventIDs in the range run's table against our single-day runs' table, and the baseline's count."""
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET enable_progress_bar = false")
    checks = []
    for day in corpus.days:
        code = f"{day:%Y%m%d}"
        range_rows, range_ids = _day_ids(con, OUT / "range" / "table", code, "r")
        single_rows, single_ids = _day_ids(con, OUT / "ours" / "table", code, "s")
        baseline_rows, baseline_ids = _day_ids(con, OUT / "baseline" / f"{day}" / "table", code, "b")
        # fetch each result before the next execute: a DuckDB connection holds one pending result
        only_in_range = con.execute(
            "SELECT count(*) FROM (SELECT eventid FROM r EXCEPT SELECT eventid FROM s)"
        ).fetchone()
        only_in_single = con.execute(
            "SELECT count(*) FROM (SELECT eventid FROM s EXCEPT SELECT eventid FROM r)"
        ).fetchone()
        truth_events, truth_ids = corpus.truth[day.isoformat()]
        checks.append(
            DayCheck(
                day=day.isoformat(),
                truth_events=truth_events,
                truth_ids=truth_ids,
                range_rows=range_rows,
                range_ids=range_ids,
                single_rows=single_rows,
                single_ids=single_ids,
                only_in_range=only_in_range[0],
                only_in_single=only_in_single[0],
                baseline_rows=baseline_rows,
                baseline_ids=baseline_ids,
            )
        )
    con.close()
    return checks


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _ok(runs: list[Measured]) -> str:
    failed = sum(1 for m in runs if m.returncode != 0)
    return "" if not failed else f" ({failed} FAILED)"


def summary(corpus: DaysCorpus, rounds: list[Round], checks: list[DayCheck], loads: tuple[str, str]) -> str:
    """The section of results.md: totals per kind of run (medians over rounds), ratios, per-day checks."""
    days = corpus.days
    range_wall = _median([r.range_run.seconds for r in rounds])
    range_cpu = _median([r.range_run.cpu_seconds for r in rounds])
    totals = {}
    for name in ("ours", "baseline"):
        runs = [getattr(r, name) for r in rounds]
        totals[name] = (
            _median([sum(m.seconds for m in day_runs) for day_runs in runs]),
            _median([sum(m.cpu_seconds for m in day_runs) for day_runs in runs]),
            max(m.peak_rss for day_runs in runs for m in day_runs),
            [m for day_runs in runs for m in day_runs],
        )
    range_runs = [r.range_run for r in rounds]
    rows_range = sum(c.range_rows for c in checks)
    lines = [
        f"## A week: one range run against seven single-day runs (issue 9, {corpus.scale:g}x)",
        "",
        f"- Corpus: {corpus.files:,} files ({corpus.raw_bytes / MB:.0f} MB gzip) with {corpus.events:,} events in "
        f"{len(days) + 2} UTC folders ({days[0] - dt.timedelta(days=1):%Y/%m/%d} .. "
        f"{days[-1] + dt.timedelta(days=1):%Y/%m/%d}; the last one is not needed by any of these days); KST days "
        f"{days[0]} .. {days[-1]} hold {sum(c.truth_events for c in checks):,} events "
        f"({sum(c.truth_ids for c in checks):,} distinct eventIDs). Scale {corpus.scale:g}: events_per_file "
        f"{corpus.spec['events_per_file']}, delivery every {corpus.spec['delivery_interval_minutes']} min, seed "
        f"{corpus.spec['seed']}.",
        f"- Each run a separate process on `local[2]`; {len(rounds)} round{'s' if len(rounds) > 1 else ''} (figures "
        "are medians of the rounds' totals), the range run in the middle of the single-day runs. Load average at "
        f"start: {loads[0]}; at end: {loads[1]}.",
        f"- Commands: `cloudtrail-etl run --from {days[0]} --to {days[-1]}`; `cloudtrail-etl run --date D` for each "
        "day into one table; `benchmarks/baseline_spark.py --date D` for each day.",
        "",
        "| run | processes | wall s | CPU s | peak MB | rows |",
        "|---|---:|---:|---:|---:|---:|",
        f"| ours, one range run{_ok(range_runs)} | 1 | {range_wall:.1f} | {range_cpu:.1f} "
        f"| {max(m.peak_rss for m in range_runs) / MB:,.0f} | {rows_range:,} |",
    ]
    for name, rows in (("ours", "single_rows"), ("baseline", "baseline_rows")):
        wall, cpu, peak, runs = totals[name]
        lines.append(
            f"| {name}, {len(days)} single-day runs{_ok(runs)} | {len(days)} | {wall:.1f} | {cpu:.1f} "
            f"| {peak / MB:,.0f} | {sum(getattr(c, rows) for c in checks):,} |"
        )
    lines += [
        "",
        f"- range / ours' {len(days)} single-day runs: wall {range_wall / max(totals['ours'][0], 1e-9):.2f}, CPU "
        f"{range_cpu / max(totals['ours'][1], 1e-9):.2f} (target <= 0.5)",
        f"- range / the baseline's {len(days)} single-day runs: wall "
        f"{range_wall / max(totals['baseline'][0], 1e-9):.2f}, CPU {range_cpu / max(totals['baseline'][1], 1e-9):.2f} "
        "(target <= 0.5)",
        f"- eventIDs per day, range run against single-day runs: "
        f"{'equal on every day' if all(c.equal for c in checks) else 'DIFFERENT on some days (see below)'}",
        "",
        "Per day (the last round's outputs; the baseline keeps duplicate deliveries as rows, ours drops them):",
        "",
        "| KST day | events (truth) | eventIDs (truth) | range rows | single-day rows | eventIDs range vs single "
        "| baseline rows | baseline eventIDs | ours single s | baseline s |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    last = rounds[-1]
    for check, ours_run, baseline_run in zip(checks, last.ours, last.baseline):
        if check.equal:
            verdict = "equal" if check.range_ids == check.truth_ids else "equal, but not the truth's count"
        else:
            verdict = f"DIFFERENT (+{check.only_in_range:,} / -{check.only_in_single:,})"
        lines.append(
            f"| {check.day} | {check.truth_events:,} | {check.truth_ids:,} | {check.range_rows:,} "
            f"| {check.single_rows:,} | {verdict} | {check.baseline_rows:,} | {check.baseline_ids:,} "
            f"| {ours_run.seconds:.1f} | {baseline_run.seconds:.1f} |"
        )
    return "\n".join(lines) + "\n"


def run_week(scale: float = DEFAULT_SCALE, rounds: int = 1) -> tuple[str, bool]:
    """Generate (once) and run the week; return the results.md section and whether every run and check passed."""
    load_at_start = load_average()
    corpus = ensure_days_corpus(scale, WEEK_DAYS)
    print(
        f"\nweek {scale:g}x: {corpus.files:,} files, {corpus.events:,} events, KST days "
        f"{corpus.days[0]} .. {corpus.days[-1]}",
        flush=True,
    )
    done = [run_round(corpus, number) for number in range(1, rounds + 1)]
    checks = check_days(corpus)
    text = summary(corpus, done, checks, (load_at_start, load_average()))
    print("\n" + text, flush=True)
    runs = [m for r in done for m in (r.range_run, *r.ours, *r.baseline)]
    ok = all(m.returncode == 0 for m in runs) and all(c.equal for c in checks)
    return text, ok
