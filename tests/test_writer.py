"""writer.write_days: the files of a day hold the table's columns, whatever the rows carried into the write."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from pyspark.sql.types import IntegerType, LongType, StringType, StructField, StructType

from cloudtrail_etl.writer import write_days

TABLE = StructType(
    [
        StructField("interface_id", StringType()),
        StructField("vpc_id", StringType()),
        StructField("start", LongType()),
        StructField("tcp_flags", IntegerType()),
    ]
)


def test_a_column_the_rows_lack_is_written_as_nulls_in_the_tables_order(spark, tmp_path):
    rows = spark.createDataFrame(
        [(300, "eni-b", "20260102"), (100, "eni-a", "20260102"), (200, "eni-a", "20260103")],
        "start bigint, interface_id string, proc_ymd string",
    ).coalesce(1)  # one task: one file a day, its rows in the sort's order
    write_days(rows, str(tmp_path / "t"), TABLE, sort_columns=("interface_id", "start"))

    days = {}
    for folder in sorted((tmp_path / "t").glob("proc_ymd=*")):
        files = sorted(Path(folder).glob("*.parquet"))
        tables = [pq.read_table(f) for f in files]
        assert all(t.schema.names == ["interface_id", "vpc_id", "start", "tcp_flags"] for t in tables)
        assert [str(t.schema.field("tcp_flags").type) for t in tables] == ["int32"] * len(tables)
        days[folder.name] = [row for t in tables for row in t.to_pylist()]
    assert days == {
        "proc_ymd=20260102": [
            {"interface_id": "eni-a", "vpc_id": None, "start": 100, "tcp_flags": None},
            {"interface_id": "eni-b", "vpc_id": None, "start": 300, "tcp_flags": None},
        ],
        "proc_ymd=20260103": [{"interface_id": "eni-a", "vpc_id": None, "start": 200, "tcp_flags": None}],
    }
