"""The analysts' queries, run with DuckDB over each converter's Parquet and over the raw JSON.

Why: a table is worth what it saves at query time. Besides the time, we report the bytes of Parquet column chunks a
query must read after row-group pruning (min/max statistics of the filter columns), computed from the footers with
pyarrow: what Athena bills, independent of this machine's page cache. Raw JSON has no pruning: every .json.gz byte
of both delivery folders is read.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from benchmarks.corpus import DAY, DAY_END_UTC, DAY_START_UTC, Corpus
from benchmarks.duckdb_convert import records_type

DAY_CODE = f"{DAY:%Y%m%d}"


@dataclasses.dataclass(frozen=True)
class Query:
    """One query in its Parquet form (flat columns) and its raw JSON form (nested fields), and what it touches."""

    name: str
    parquet_sql: str  # FROM t: the day's Parquet, proc_ymd from the folder name
    json_sql: str  # FROM raw: one row per record of the day, `r` the record struct
    equals: dict[str, str]  # filter column -> value, for row-group pruning by min/max
    not_null: tuple[str, ...] = ()  # filter columns that must be non-null (prunes all-null row groups)
    touched: tuple[str, ...] = ()  # every column read (filter and projected); a trailing * is a prefix


QUERIES = (
    Query("count all", "SELECT count(*) FROM t", "SELECT count(*) FROM raw", {}),
    Query(
        "count by day",
        "SELECT proc_ymd, count(*) FROM t GROUP BY proc_ymd ORDER BY proc_ymd",
        "SELECT strftime(TRY_CAST(r.eventTime AS TIMESTAMPTZ) AT TIME ZONE 'Asia/Seoul', '%Y%m%d') AS day, count(*) "
        "FROM raw GROUP BY day ORDER BY day",
        {},
    ),
    Query(
        "DescribeStream useridentity",
        f"SELECT COLUMNS('^useridentity_') FROM t WHERE proc_ymd = '{DAY_CODE}' "
        "AND eventsource = 'dynamodb.amazonaws.com' AND eventname = 'DescribeStream'",
        "SELECT r.userIdentity FROM raw WHERE r.eventSource = 'dynamodb.amazonaws.com' "
        "AND r.eventName = 'DescribeStream'",
        {"eventsource": "dynamodb.amazonaws.com", "eventname": "DescribeStream"},
        touched=("eventsource", "eventname", "useridentity_*"),
    ),
    Query(
        "CreateBucket arn",
        "SELECT useridentity_arn, eventname FROM t WHERE useridentity_arn IS NOT NULL AND eventname = 'CreateBucket'",
        "SELECT r.userIdentity.arn, r.eventName FROM raw WHERE r.userIdentity.arn IS NOT NULL "
        "AND r.eventName = 'CreateBucket'",
        {"eventname": "CreateBucket"},
        not_null=("useridentity_arn",),
        touched=("useridentity_arn", "eventname"),
    ),
)


@dataclasses.dataclass(frozen=True)
class QueryResult:
    source: str
    query: str
    seconds: float  # median
    answer: str  # the count, or the number of rows returned
    bytes_read: int
    bytes_total: int  # the day's Parquet bytes, or the raw .json.gz bytes


def parquet_files(table_root: Path) -> list[Path]:
    """The day's Parquet data files (no .crc, no _SUCCESS)."""
    return sorted((table_root / f"proc_ymd={DAY_CODE}").glob("*.parquet"))


def _touches(column: str, touched: Sequence[str]) -> bool:
    top = column.split(".")[0]
    return any(top.startswith(t[:-1]) if t.endswith("*") else top == t for t in touched)


def _excluded(row_group: pq.RowGroupMetaData, query: Query) -> bool:
    """True when the row group's statistics prove that no row matches the query's filters."""
    for i in range(row_group.num_columns):
        chunk = row_group.column(i)
        name, stats = chunk.path_in_schema, chunk.statistics
        if stats is None or (name not in query.equals and name not in query.not_null):
            continue
        if stats.has_null_count and stats.null_count == row_group.num_rows:
            return True  # all null: neither `= value` nor `IS NOT NULL` can match
        if name in query.equals and stats.has_min_max:
            value = query.equals[name]
            if value < stats.min or value > stats.max:
                return True
    return False


def pruned_bytes(files: Sequence[Path], query: Query) -> int:
    """Compressed bytes of the column chunks the query reads in the row groups pruning cannot exclude."""
    total = 0
    for path in files:
        metadata = pq.ParquetFile(path).metadata
        for g in range(metadata.num_row_groups):
            row_group = metadata.row_group(g)
            if query.touched and not _excluded(row_group, query):
                for i in range(row_group.num_columns):
                    chunk = row_group.column(i)
                    if _touches(chunk.path_in_schema, query.touched):
                        total += chunk.total_compressed_size
    return total


def _connect() -> duckdb.DuckDBPyConnection:
    """2 threads like the converters; no progress bar on stdout."""
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET enable_progress_bar = false")
    return con


def _answer(rows: list[tuple]) -> str:
    if len(rows) == 1 and len(rows[0]) == 1:
        return str(rows[0][0])  # count(*)
    if rows and len(rows[0]) == 2 and isinstance(rows[0][1], int):  # (day, count) groups
        return "; ".join(f"{day}: {count}" for day, count in rows)
    return f"{len(rows)} rows"


def _timed(con: duckdb.DuckDBPyConnection, sql: str, runs: int) -> tuple[float, str]:
    """Median wall seconds over `runs` executions (results fetched), and the answer."""
    seconds, answer = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        rows = con.execute(sql).fetchall()
        seconds.append(time.perf_counter() - started)
        answer = _answer(rows)
    return statistics.median(seconds), answer


def query_parquet(source: str, table_root: Path, runs: int = 3) -> list[QueryResult]:
    """The four queries over one converter's table (threads=2, proc_ymd read as text from the folder names)."""
    files = parquet_files(table_root)
    day_bytes = sum(p.stat().st_size for p in files)
    con = _connect()
    con.execute(
        f"CREATE VIEW t AS SELECT * FROM read_parquet('{table_root}/proc_ymd=*/*.parquet', "
        "hive_partitioning = true, hive_types = {'proc_ymd': 'VARCHAR'})"
    )
    results = []
    for query in QUERIES:
        seconds, answer = _timed(con, query.parquet_sql, runs)
        results.append(QueryResult(source, query.name, seconds, answer, pruned_bytes(files, query), day_bytes))
    con.close()
    return results


def query_json(corpus: Corpus, runs: int = 3) -> list[QueryResult]:
    """The four queries over the raw delivery files of both folders, restricted to the KST day by eventTime."""
    con = _connect()
    files = ", ".join(f"'{g}'" for g in corpus.log_globs())
    con.execute(
        f"CREATE VIEW raw AS SELECT * FROM (SELECT unnest(Records) AS r FROM read_json([{files}], "
        f"format = 'auto', records = true, columns = {{'Records': '{records_type()}'}})) "
        f"WHERE r.eventTime >= '{DAY_START_UTC}' AND r.eventTime < '{DAY_END_UTC}'"
    )
    results = []
    for query in QUERIES:
        seconds, answer = _timed(con, query.json_sql, runs)
        results.append(QueryResult("raw JSON", query.name, seconds, answer, corpus.raw_bytes, corpus.raw_bytes))
    con.close()
    return results
