"""A plain-Python reading of VPC flow log files (gzip + split only), independent of the job: the truth tests
compare the job's table with."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import Counter
from pathlib import Path

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "schemas" / "vpcflow_record.json").read_text())
TYPES = {field["name"]: field["type"] for field in SCHEMA["fields"]}
KST = dt.timezone(dt.timedelta(hours=9))


def flow_log_files(root: Path) -> list[Path]:
    return sorted([*root.rglob("*.log.gz"), *root.rglob("*.log.parquet")])


def read_records(path: Path) -> list[dict]:
    """The records of one well-formed file, typed as Athena types them, `-` as None; unknown fields in `unmapped`."""
    if path.name.endswith(".log.parquet"):
        return read_parquet_records(path)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        header = handle.readline().split()
        records = []
        for line in handle.read().splitlines():
            values = line.split(" ")
            assert len(values) == len(header), f"{path}: {line!r}"
            record, unmapped = {}, {}
            for name, value in zip(header, values):
                if name not in TYPES:
                    unmapped[name] = value
                    continue
                typed = None if value == "-" else value
                if typed is not None and TYPES[name] != "string":
                    typed = int(typed)
                record[name.replace("-", "_")] = typed
            record["unmapped"] = unmapped or None
            records.append(record)
    return records


def read_parquet_records(path: Path) -> list[dict]:
    """A Parquet delivery read with pyarrow: columns are the fields with `_`; `-` or null is None; fields this
    project does not know go to `unmapped` by their field name (with `-`), as their text (`-` for null)."""
    import pyarrow.parquet as pq

    records = []
    for row in pq.read_table(path).to_pylist():
        record, unmapped = {}, {}
        for column, value in row.items():
            name = column.replace("_", "-")
            if name not in TYPES:
                unmapped[name] = "-" if value is None else str(value)
                continue
            record[column] = None if value == "-" else value
        record["unmapped"] = unmapped or None
        records.append(record)
    return records


def kst_day(start: int) -> dt.date:
    return dt.datetime.fromtimestamp(start, KST).date()


def row_key(row: dict) -> tuple:
    """A row as a comparable tuple of every documented column and the unknown fields (as sorted pairs)."""
    unmapped = row.get("unmapped")
    if isinstance(unmapped, list):  # pyarrow gives a map as a list of (key, value) pairs
        unmapped = dict(unmapped)
    columns = tuple(row.get(name.replace("-", "_")) for name in TYPES)
    return (*columns, tuple(sorted((unmapped or {}).items())))


def expected_rows(files: list[Path], first: dt.date, last: dt.date) -> Counter:
    """The multiset of rows of KST days first..last in these files: every record whose start falls in them."""
    rows: Counter = Counter()
    for path in files:
        for record in read_records(path):
            if record["start"] is not None and first <= kst_day(record["start"]) <= last:
                rows[row_key(record)] += 1
    return rows
