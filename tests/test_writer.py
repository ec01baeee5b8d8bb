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


def test_plain_columns_get_no_dictionary_and_keep_their_values(spark, tmp_path):
    # Few distinct values in every column: parquet-mr would dictionary-encode each of them.
    values = [(f"eni-{i % 3}", None, 1767300000 + i % 4, i % 2) for i in range(2000)]
    rows = spark.createDataFrame(
        [(*v, "20260102") for v in values],
        "interface_id string, vpc_id string, start bigint, tcp_flags int, proc_ymd string",
    ).coalesce(1)
    write_days(rows, str(tmp_path / "t"), TABLE, plain_columns=("start",))

    (file,) = (tmp_path / "t" / "proc_ymd=20260102").glob("*.parquet")
    footer = pq.ParquetFile(file).metadata
    chunks = {footer.row_group(0).column(i).path_in_schema: footer.row_group(0).column(i) for i in range(4)}
    assert chunks["interface_id"].has_dictionary_page and chunks["tcp_flags"].has_dictionary_page
    assert not chunks["start"].has_dictionary_page
    assert "PLAIN" in chunks["start"].encodings
    written = pq.read_table(file).to_pylist()
    assert sorted(tuple(r.values()) for r in written) == sorted(values)
