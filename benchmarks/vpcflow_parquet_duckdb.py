"""DuckDB doing the straightforward conversion of one KST day of VPC flow logs delivered as Parquet.

Why it exists: the far bar on one machine (issue 24). read_parquet of the day's two UTC folders (union_by_name),
`protocol` as bigint, KST times from `start`/`end`, COPY ... PARTITION_BY; threads=2.

    python benchmarks/vpcflow_parquet_duckdb.py --input CORPUS --output OUT --date 2026-01-02
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil

import duckdb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--date", required=True)
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.date)
    folders = [day - dt.timedelta(days=1), day]
    paths = [f"{args.input}/AWSLogs/*/vpcflowlogs/*/{folder:%Y/%m/%d}/*.log.parquet" for folder in folders]
    con = duckdb.connect(config={"threads": 2})
    kst = "make_timestamp(({0} + 32400) * 1000000)"
    shutil.rmtree(args.output, ignore_errors=True)
    con.execute(
        f"""COPY (
            SELECT *, strftime(start_kst, '%Y%m%d') AS proc_ymd FROM (
                SELECT * REPLACE (CAST(protocol AS BIGINT) AS protocol),
                       {kst.format('"start"')} AS start_kst, {kst.format('"end"')} AS end_kst
                FROM read_parquet({paths!r}, union_by_name = true)
            ) WHERE strftime(start_kst, '%Y%m%d') = '{day:%Y%m%d}'
        ) TO '{args.output}' (FORMAT PARQUET, PARTITION_BY (proc_ymd))"""
    )
    con.close()


if __name__ == "__main__":
    main()
