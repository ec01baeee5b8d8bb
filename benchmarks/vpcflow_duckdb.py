"""DuckDB doing the straightforward flow-log conversion of one KST day in SQL: read_csv, casts, COPY ... PARTITION_BY.

Why it exists: a single-node engine that is not Spark sets the far bar on one machine. The same input folders as
the Spark jobs, the header of the files, `-` as null, Athena's types, KST times from `start`/`end`; threads=2.

    python benchmarks/vpcflow_duckdb.py --input CORPUS --output OUT --date 2026-01-02
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil

import duckdb

INTS = ("version", "srcport", "dstport", "tcp_flags", "traffic_path")
BIGINTS = ("protocol", "packets", "bytes", "start", "end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--date", required=True)
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.date)
    folders = [day - dt.timedelta(days=1), day]
    paths = [f"{args.input}/AWSLogs/*/vpcflowlogs/*/{folder:%Y/%m/%d}/*.log.gz" for folder in folders]
    con = duckdb.connect(config={"threads": 2})
    raw = f"read_csv({paths!r}, delim=' ', header=true, nullstr='-', all_varchar=true, normalize_names=false)"
    names = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {raw}").fetchall()]
    columns = []
    for name in names:
        column = name.replace("-", "_")
        kind = "INTEGER" if column in INTS else "BIGINT" if column in BIGINTS else "VARCHAR"
        columns.append(f'CAST("{name}" AS {kind}) AS "{column}"')
    kst = "make_timestamp(({0} + 32400) * 1000000)"
    shutil.rmtree(args.output, ignore_errors=True)
    con.execute(
        f"""COPY (
            SELECT *, strftime(start_kst, '%Y%m%d') AS proc_ymd FROM (
                SELECT {", ".join(columns)},
                       {kst.format('CAST("start" AS BIGINT)')} AS start_kst,
                       {kst.format('CAST("end" AS BIGINT)')} AS end_kst
                FROM {raw}
            ) WHERE strftime(start_kst, '%Y%m%d') = '{day:%Y%m%d}'
        ) TO '{args.output}' (FORMAT PARQUET, PARTITION_BY (proc_ymd))"""
    )
    con.close()


if __name__ == "__main__":
    main()
