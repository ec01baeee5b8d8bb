"""Part `vpcflow` of `make bench` (issue 17): one KST day of a busy account's VPC flow logs at 1x and 4x, converted
by our job (`run --source vpcflow`), a straightforward Spark job (vpcflow_spark.py) and DuckDB (vpcflow_duckdb.py),
alternated in one run; then the analysts' questions over each output, with the bytes each must read.

Bytes read: the compressed column chunks a query touches in the row groups it cannot skip, from the footers: a row
group is skipped when its min/max statistics, its dictionary (a chunk whose every page is dictionary-encoded: the
dictionary lists every value, and Athena's Trino reader and parquet-mr both prune by it, reading the dictionary page)
or its bloom filter (DuckDB's `parquet_bloom_probe`) prove that no row matches. Dictionary pages probed count as read.
That is what Athena bills, independent of this machine's page cache.
"""

from __future__ import annotations

import dataclasses
import json
import random
import statistics
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from benchmarks.corpus import DAY
from benchmarks.flowcorpus import FLOW_LOG, INTERFACES, SEED, FlowCorpus, ensure_flow_corpus
from benchmarks.measure import Measured, alternate, load_average, stage_times
from benchmarks.scaling import cost_section
from cloudtrail_etl.sample.vpcflow import make_interfaces

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out" / "vpcflow"
BIN = Path(sys.executable).parent
CONVERTERS = ("ours", "spark", "duckdb")
# The straightforward jobs of each delivery format (FileFormat of the flow log).
SCRIPTS = {
    "plain-text": {"spark": "vpcflow_spark.py", "duckdb": "vpcflow_duckdb.py"},
    "parquet": {"spark": "vpcflow_parquet_spark.py", "duckdb": "vpcflow_parquet_duckdb.py"},
}
DAY_CODE = f"{DAY:%Y%m%d}"
MB = 1e6
HEADING = "## VPC flow logs: one KST day (issue 17)"
PARQUET_HEADING = "## VPC flow logs delivered as Parquet: one KST day (issue 24)"


@dataclasses.dataclass
class FlowOutcome:
    name: str
    runs: list[Measured]
    output_bytes: int = 0
    output_files: int = 0
    row_groups: int = 0
    rows: int = 0
    checksum: tuple = ()

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


def table_root(scale: float, name: str, file_format: str = "plain-text") -> Path:
    kind = "" if file_format == "plain-text" else f"{file_format}-"
    return OUT / f"{kind}{scale:g}x" / name / "table"


def command(name: str, corpus: FlowCorpus, root: Path, file_format: str = "plain-text") -> list[str]:
    common = ["--input", str(corpus.root), "--output", str(root), "--date", DAY.isoformat()]
    if name == "ours":
        report = str(root.parent / "report.json")
        return [str(BIN / "cloudtrail-etl"), "run", "--source", "vpcflow", *common, "--report", report]
    return [sys.executable, str(HERE / SCRIPTS[file_format][name]), *common]


def day_files(root: Path) -> list[Path]:
    return sorted((root / f"proc_ymd={DAY_CODE}").glob("*.parquet"))


def inspect(outcome: FlowOutcome, root: Path) -> None:
    """Bytes, files, row groups and rows from the files; a checksum of the content (rows, bytes, packets, interfaces,
    rejected flows) with DuckDB, which every converter's output must share."""
    files = day_files(root)
    outcome.output_files = len(files)
    outcome.output_bytes = sum(p.stat().st_size for p in files)
    footers = [pq.ParquetFile(p).metadata for p in files]
    outcome.rows = sum(f.num_rows for f in footers)
    outcome.row_groups = sum(f.num_row_groups for f in footers)
    if files:
        con = duckdb.connect(config={"threads": 2})
        found = con.execute(
            f"SELECT count(*), sum(bytes), sum(packets), count(DISTINCT interface_id), count_if(action = 'REJECT') "
            f"FROM read_parquet('{root}/proc_ymd={DAY_CODE}/*.parquet')"
        )
        outcome.checksum = tuple(found.fetchone())
        con.close()


def run_flow_scale(corpus: FlowCorpus, runs: int, file_format: str = "plain-text") -> list[FlowOutcome]:
    """Each converter `runs` times, alternated (measure.alternate); the last run's output is inspected."""
    measured = alternate(
        CONVERTERS,
        runs,
        f"vpcflow {file_format} {corpus.scale}x",
        lambda name: table_root(corpus.scale, name, file_format),
        lambda name, root: command(name, corpus, root, file_format),
        REPO,
    )
    outcomes = [FlowOutcome(name, measured[name]) for name in CONVERTERS]
    for outcome in outcomes:
        inspect(outcome, table_root(corpus.scale, outcome.name, file_format))
    return outcomes


# --- the analysts' questions -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FlowQuery:
    name: str
    sql: str  # FROM t: the day's rows
    any_of: tuple[dict, ...]  # row-group pruning: the rows match one of these column -> value equalities
    touched: tuple[str, ...]  # every column read (filter and projected)
    target: bool = False  # issue 17: must read under 5% of the day


def sample_host() -> tuple[str, str]:
    """(address, interface id) of one application host of the corpus's VPC, as the generator made them."""
    interfaces = make_interfaces(
        FLOW_LOG.account, FLOW_LOG.region, INTERFACES, random.Random(f"{SEED}-{FLOW_LOG.account}")
    )
    host = interfaces[1]  # roles cycle web, app, db, nat, ecs: an app server
    return host.address, host.eni


def queries() -> tuple[FlowQuery, ...]:
    address, eni = sample_host()
    wide = ("start_kst", "srcaddr", "srcport", "dstaddr", "dstport", "protocol", "action", "bytes")
    return (
        FlowQuery(
            "one address (src or dst)",
            f"SELECT {', '.join(wide)} FROM t WHERE srcaddr = '{address}' OR dstaddr = '{address}'",
            ({"srcaddr": address}, {"dstaddr": address}),
            wide,
            target=True,
        ),
        FlowQuery(
            "one rejected port (22)",
            "SELECT srcaddr, count(*) AS flows FROM t WHERE action = 'REJECT' AND dstport = 22 "
            "GROUP BY srcaddr ORDER BY flows DESC",
            ({"action": "REJECT", "dstport": 22},),
            ("action", "dstport", "srcaddr"),
            target=True,
        ),
        FlowQuery(
            "one interface over the day",
            f"SELECT start_kst, srcaddr, dstaddr, dstport, action, bytes FROM t WHERE interface_id = '{eni}' "
            "ORDER BY start_kst",
            ({"interface_id": eni},),
            ("interface_id", "start_kst", "srcaddr", "dstaddr", "dstport", "action", "bytes"),
        ),
        FlowQuery(
            "top talkers",
            "SELECT srcaddr, dstaddr, sum(bytes) AS total FROM t GROUP BY srcaddr, dstaddr "
            "ORDER BY total DESC LIMIT 10",
            (),
            ("srcaddr", "dstaddr", "bytes"),
        ),
    )


def _excluded_by_stats(row_group, column: str, value) -> bool:
    for i in range(row_group.num_columns):
        chunk = row_group.column(i)
        if chunk.path_in_schema != column or chunk.statistics is None:
            continue
        stats = chunk.statistics
        if stats.has_null_count and stats.null_count == row_group.num_rows:
            return True
        return bool(stats.has_min_max and (value < stats.min or value > stats.max))
    return False


def _bloom_excluded(con, path: Path, column: str, value) -> set[int]:
    """Row groups whose bloom filter on `column` proves `value` absent (none when the column has no filter)."""
    literal = f"'{value}'" if isinstance(value, str) else str(value)
    rows = con.execute(
        f"SELECT row_group_id, bloom_filter_excludes FROM parquet_bloom_probe('{path}', '{column}', {literal})"
    )
    return {group for group, excludes in rows.fetchall() if excludes}


def _fully_dictionary_encoded(chunk) -> bool:
    # parquet-mr (writer v1) lists PLAIN once a chunk's dictionary overflowed and its later pages fell back to it.
    return chunk.has_dictionary_page and "PLAIN" not in chunk.encodings


def _chunk(row_group, column: str):
    for i in range(row_group.num_columns):
        if row_group.column(i).path_in_schema == column:
            return row_group.column(i)
    return None


def _excluded(parquet: pq.ParquetFile, blooms: set[int], g: int, column: str, value) -> tuple[bool, int]:
    """Whether row group `g` provably holds no `column = value`, and the dictionary page bytes read to tell."""
    row_group = parquet.metadata.row_group(g)
    if _excluded_by_stats(row_group, column, value):
        return True, 0
    chunk = _chunk(row_group, column)
    if chunk is not None and _fully_dictionary_encoded(chunk):
        probed = chunk.data_page_offset - chunk.dictionary_page_offset
        if value not in set(parquet.read_row_group(g, columns=[column]).column(0).to_pylist()):
            return True, probed
        return g in blooms, probed
    return g in blooms, 0


def bytes_read(files: list[Path], query: FlowQuery) -> int:
    """Compressed bytes of the touched chunks in the row groups no filter can skip, and of dictionary pages probed."""
    con = duckdb.connect()
    total = 0
    for path in files:
        parquet = pq.ParquetFile(path)
        blooms = {
            (column, repr(value)): _bloom_excluded(con, path, column, value)
            for alternative in query.any_of
            for column, value in alternative.items()
        }
        for g in range(parquet.metadata.num_row_groups):
            skipped = []
            for alternative in query.any_of:
                verdicts = []
                for column, value in alternative.items():
                    excluded, probed = _excluded(parquet, blooms[(column, repr(value))], g, column, value)
                    total += probed
                    verdicts.append(excluded)
                    if excluded:
                        break
                skipped.append(any(verdicts))
            if query.any_of and all(skipped):
                continue
            row_group = parquet.metadata.row_group(g)
            for i in range(row_group.num_columns):
                chunk = row_group.column(i)
                if chunk.path_in_schema.split(".")[0] in query.touched:
                    total += chunk.total_compressed_size
    con.close()
    return total


@dataclasses.dataclass(frozen=True)
class FlowQueryResult:
    source: str
    query: FlowQuery
    seconds: float
    rows: int
    bytes_read: int
    day_bytes: int


def run_queries(source: str, root: Path, runs: int = 3) -> list[FlowQueryResult]:
    files = day_files(root)
    day_bytes = sum(p.stat().st_size for p in files)
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET enable_progress_bar = false")
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{root}/proc_ymd={DAY_CODE}/*.parquet')")
    results = []
    for query in queries():
        seconds = []
        rows = 0
        for _ in range(runs):
            started = time.perf_counter()
            rows = len(con.execute(query.sql).fetchall())
            seconds.append(time.perf_counter() - started)
        results.append(
            FlowQueryResult(source, query, statistics.median(seconds), rows, bytes_read(files, query), day_bytes)
        )
    con.close()
    return results


# --- the section of results.md -----------------------------------------------------------------------------------


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "-"


def converter_table(outcomes: list[FlowOutcome]) -> str:
    spark = next(o for o in outcomes if o.name == "spark")
    lines = [
        "| converter | wall s | x straightforward | CPU s | x straightforward | peak MB | output MB "
        "| x straightforward | files | row groups | rows |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        if not o.runs:
            continue
        failed = "" if o.ok else " (FAILED)"
        lines.append(
            f"| {o.name}{failed} | {o.seconds:.1f} | {_ratio(o.seconds, spark.seconds)} | {o.cpu_seconds:.1f} "
            f"| {_ratio(o.cpu_seconds, spark.cpu_seconds)} | {o.peak_rss / MB:,.0f} | {o.output_bytes / MB:.1f} "
            f"| {_ratio(o.output_bytes, spark.output_bytes)} | {o.output_files} | {o.row_groups} | {o.rows:,} |"
        )
    return "\n".join(lines)


def checks(corpus: FlowCorpus, outcomes: list[FlowOutcome], file_format: str = "plain-text") -> list[str]:
    found = []
    for o in outcomes:
        verdict = "ok" if o.rows == corpus.records_in_day else f"MISMATCH ({o.rows - corpus.records_in_day:+,})"
        found.append(f"- {o.name}: {o.rows:,} rows, the corpus holds {corpus.records_in_day:,} of the day: {verdict}")
    sums = {o.checksum for o in outcomes if o.checksum}
    found.append(
        "- content (rows, sum of bytes, sum of packets, interfaces, rejected flows) "
        + ("the same in every output" if len(sums) == 1 else f"DIFFERS: {[(o.name, o.checksum) for o in outcomes]}")
    )
    report = table_root(corpus.scale, "ours", file_format).parent / "report.json"
    found.append(stage_times(json.loads(report.read_text()) if report.exists() else None))
    return found


def query_table(results: list[FlowQueryResult]) -> str:
    lines = ["| query | output | seconds | rows | MB read | of the day |", "|---|---|---:|---:|---:|---:|"]
    for r in results:
        share = r.bytes_read / r.day_bytes if r.day_bytes else 0
        lines.append(
            f"| {r.query.name} | {r.source} | {r.seconds:.3f} | {r.rows:,} | {r.bytes_read / MB:.2f} | {share:.1%} |"
        )
    return "\n".join(lines)


def targets(by_scale: dict, queries_by_scale: dict, file_format: str = "plain-text") -> list[str]:
    found = ["Targets of issue 17:" if file_format == "plain-text" else "Targets of issue 24:"]
    for scale, (_, outcomes) in by_scale.items():
        ours = next(o for o in outcomes if o.name == "ours")
        spark = next(o for o in outcomes if o.name == "spark")
        duck = next(o for o in outcomes if o.name == "duckdb")
        wall = ours.seconds / spark.seconds
        cpu = ours.cpu_seconds / spark.cpu_seconds
        size = ours.output_bytes / spark.output_bytes if spark.output_bytes else float("nan")
        if file_format == "parquet":
            goal = "at 4x" if scale == 4 else "(the target is at 4x)"
            found.append(
                f"- {scale}x: ours/straightforward wall {wall:.2f}, CPU {cpu:.2f} (target <= 1.00 {goal}: "
                f"{'met' if max(wall, cpu) <= 1.0 else 'NOT met'}); output bytes {size:.2f}; "
                f"ours/DuckDB wall {ours.seconds / duck.seconds:.2f}"
            )
        else:
            found.append(
                f"- {scale}x: ours/straightforward wall {wall:.2f} "
                f"(target <= 0.80: {'met' if wall <= 0.8 else 'NOT met'}); "
                f"output bytes {size:.2f} (target <= 0.70: {'met' if size <= 0.7 else 'NOT met'}); "
                f"ours/DuckDB wall {ours.seconds / duck.seconds:.2f}"
            )
        for r in queries_by_scale.get(scale, []):
            if r.source == "ours" and r.query.target:
                share = r.bytes_read / r.day_bytes
                found.append(
                    f"- {scale}x: '{r.query.name}' reads {share:.1%} of the day "
                    f"(target < 5%: {'met' if share < 0.05 else 'NOT met'})"
                )
    return found


def run_vpcflow(
    scales: list[float], runs: int | None, environment: list[str], file_format: str = "plain-text"
) -> tuple[str, bool]:
    load_at_start = load_average()
    by_scale: dict = {}
    queries_by_scale: dict = {}
    loads: dict[float, tuple[str, str]] = {}
    sections: list[str] = []
    for scale in scales:
        corpus = ensure_flow_corpus(scale, file_format)
        count = runs or (3 if scale == 1 else 1)
        print(
            f"\nvpcflow {file_format} {scale}x: {corpus.files:,} files, {corpus.records:,} records, "
            f"{corpus.records_in_day:,} in the day"
        )
        before = load_average()
        outcomes = run_flow_scale(corpus, count, file_format)
        loads[scale] = (before, load_average())
        by_scale[scale] = (corpus, outcomes)
        results = [
            r for o in outcomes if o.output_files for r in run_queries(o.name, table_root(scale, o.name, file_format))
        ]
        queries_by_scale[scale] = results
        delivered = "gzip" if file_format == "plain-text" else "Parquet"
        part = [
            f"### {scale}x: {corpus.files:,} files ({corpus.raw_bytes / MB:.1f} MB of {delivered}), "
            f"{corpus.records:,} records in the two UTC folders, {corpus.records_in_day:,} in KST day {DAY} "
            f"({count} run(s) each, median)",
            "",
            converter_table(outcomes),
            "",
            *checks(corpus, outcomes, file_format),
            "",
            query_table(results),
            "",
        ]
        print("\n".join(part), flush=True)
        sections += part
    goals = targets(by_scale, queries_by_scale, file_format)
    print("\n".join(goals))
    cost = (
        cost_section(
            {scale: outcomes for scale, (_, outcomes) in by_scale.items()},
            {scale: corpus.records_in_day for scale, (corpus, _) in by_scale.items()},
            loads,
            "spark",
            [("spark", 1.5)],
        )
        if len(by_scale) > 1
        else []
    )
    print("\n".join(cost))
    address, eni = sample_host()
    if file_format == "plain-text":
        heading = HEADING
        straightforward = (
            "(`benchmarks/vpcflow_spark.py`: CSV reader with a space separator and the header, casts, the KST filter, "
            "`partitionBy`, snappy) and DuckDB (`benchmarks/vpcflow_duckdb.py`)"
        )
    else:
        heading = PARQUET_HEADING
        straightforward = (
            "(`benchmarks/vpcflow_parquet_spark.py`: `spark.read.parquet`, `protocol` to bigint, the KST filter, "
            "`partitionBy`, snappy) and DuckDB (`benchmarks/vpcflow_parquet_duckdb.py`); the records are those of "
            "the text corpus of the same scale, delivered as Parquet (`sample --file-format parquet`)"
        )
    text = "\n".join(
        [
            heading,
            "",
            *environment,
            f"- Load average at start: {load_at_start}; at the end: {load_average()}",
            "- Converters: ours (`cloudtrail-etl run --source vpcflow`), a straightforward Spark job "
            f"{straightforward}, alternated; each reads the KST day's two UTC folders (ours leaves out the files made "
            "over an hour before the day began).",
            f"- Queries with DuckDB over each output's day; the address is {address}, an application host, the "
            f"interface {eni}. Bytes read: column chunks touched in the row groups that min/max statistics, a "
            "wholly dictionary-encoded chunk's dictionary or bloom filters cannot skip (dictionary pages probed "
            "count as read).",
            "",
            *sections,
            *goals,
            "",
            *cost,
            "",
        ]
    )
    ok = all(o.ok for _, outcomes in by_scale.values() for o in outcomes)
    return text, ok
