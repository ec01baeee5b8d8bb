"""VPC flow logs delivered as Parquet, alone and beside text deliveries: the table against pyarrow and text readings
of the same files, bad Parquet files, the quarantine, files a run does not read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import io
import json
import re
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloudtrail_etl.parquet_footer import read_local_footer
from cloudtrail_etl.sample.vpcflow import (
    DEFAULT_FLOW_LOGS,
    V2,
    V8,
    FlowLog,
    FlowSampleSpec,
    parquet_delivery,
    write_flow_logs,
)
from cloudtrail_etl.sources.vpcflow import REASON_NO_START
from cloudtrail_etl.sources.vpcflow_parquet import REASON_DOES_NOT_FIT
from tests.conftest import read_table_dir, run_cli_captured
from tests.flowlogs import expected_rows, flow_log_files, read_records, row_key

FIRST, LAST = dt.date(2026, 1, 2), dt.date(2026, 1, 3)
NAME_TIME = re.compile(r"_([0-9]{8}T[0-9]{4})Z_[0-9a-f]+\.log\.(gz|parquet)$")
SWITCHED = DEFAULT_FLOW_LOGS[0].flow_log_id  # a text flow log whose files of one morning are Parquet


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Path:
    """Text and Parquet flow logs in one bucket: the default format in both (the second flow log covers two of the
    first's interfaces: identical rows across formats), custom v5 Parquet in plain hourly folders, v8 with an
    unknown field in Hive-compatible hourly folders as text and as Parquet, late files; and a text flow log whose
    files of one morning were delivered as Parquet."""
    root = tmp_path_factory.mktemp("mixed") / "in"
    first, second, custom, hive = DEFAULT_FLOW_LOGS
    flow_logs = (
        first,
        dataclasses.replace(second, file_format="parquet"),
        dataclasses.replace(custom, file_format="parquet"),
        hive,
        FlowLog("fl-0e5f60718293a4b5c", hive.account, hive.region, V8, hive=True, hourly=True, file_format="parquet"),
    )
    spec = FlowSampleSpec(days=3, flows_per_window=1.2, interfaces_per_account=5, late_file_rate=0.05)
    write_flow_logs(root, dataclasses.replace(spec, flow_logs=flow_logs))
    for path in sorted(root.rglob(f"*_{SWITCHED}_20260102T0[0-5]*.log.gz")):
        with gzip.open(path, "rt") as handle:
            fields = tuple(handle.readline().split())
            lines = handle.read().splitlines()
        path.with_name(path.name.replace(".log.gz", ".log.parquet")).write_bytes(parquet_delivery(fields, lines))
        path.unlink()
    return root


@pytest.fixture(scope="module")
def mixed_run(mixed, tmp_path_factory):
    out = tmp_path_factory.mktemp("mixed-table") / "table"
    args = ["--source", "vpcflow", "--input", str(mixed), "--output", str(out)]
    code, report = run_cli_captured(*args, "--from", FIRST.isoformat(), "--to", LAST.isoformat(), "--late-days", "1")
    return code, report, out


def test_the_mixed_bucket_holds_what_the_run_must_handle(mixed):
    files = flow_log_files(mixed)
    parquet = [f for f in files if f.name.endswith(".log.parquet")]
    assert parquet and len(parquet) < len(files)
    assert any(f"_{SWITCHED}_" in f.name for f in parquet) and any(
        f"_{SWITCHED}_" in f.name for f in files if f.name.endswith(".gz")
    )
    schemas = {tuple(read_local_footer(str(f)).columns) for f in parquet}
    assert len(schemas) >= 3  # default, v5 and v8 formats
    footer = read_local_footer(str(parquet[0]))
    physical = {c.name: c.physical for c in footer.columns}
    assert (physical["protocol"], physical["srcport"], physical["start"]) == ("INT32", "INT32", "INT64")
    paths = {str(f) for f in parquet}
    assert any("/aws-account-id=" in p and "/hour=" in p for p in paths)
    assert any(re.search(r"/vpcflowlogs/[a-z0-9-]+/2026/01/0[0-9]/[0-9]{2}/", p) for p in paths)
    records = [r for f in parquet for r in read_records(f)]
    statuses = Counter(r["log_status"] for r in records)
    assert statuses["NODATA"] and statuses["SKIPDATA"] and statuses["OK"]
    assert any(r["unmapped"] for r in records)
    assert any(n > 1 for n in expected_rows(files, FIRST, LAST).values())  # identical rows


def test_a_mixed_range_equals_pyarrow_and_text_readings_cut_by_start_in_kst(mixed, mixed_run):
    code, report, out = mixed_run
    assert code == 0, report["error"]
    files = flow_log_files(mixed)
    for day in (FIRST, LAST):
        table = read_table_dir(out / f"proc_ymd={day:%Y%m%d}")
        assert Counter(row_key(row) for row in table) == expected_rows(files, day, day)
        assert {row["start_kst"].date() for row in table} == {day}
    read = [f for f in files if NAME_TIME.search(f.name).group(1) >= "20260101T1400"]
    assert report["events_read"] == sum(len(read_records(f)) for f in read)
    assert report["events_read"] == report["rows_written"] + report["events_outside_day"]
    assert report["events_quarantined"] == 0 and report["bad_file_count"] == 0
    assert report["unmapped_fields"] == {"encryption-status": report["rows_with_unmapped"]}
    flow_logs = {r["_file_flow_log_id"] for r in read_table_dir(out / f"proc_ymd={FIRST:%Y%m%d}")}
    assert len(flow_logs) == 5


def _flow_file(folder: Path, flow_log: str, made: str, data: bytes) -> Path:
    path = folder / f"111122223333_vpcflowlogs_ap-northeast-2_{flow_log}_{made}Z_0123abcd.log.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _lines(start: int, count: int, eni: str = "eni-1") -> list[str]:
    return [
        f"2 111122223333 {eni} 10.0.0.{i} 10.0.0.9 443 5000{i} 6 3 120 {start + i} {start + i + 5} ACCEPT OK"
        for i in range(count)
    ]


FOLDER = "in/AWSLogs/111122223333/vpcflowlogs/ap-northeast-2/2026/01/02"
START = 1767330000  # 2026-01-02T05:00:00Z: KST 2026-01-02 14:00


def test_bad_parquet_files_are_named_and_skipped_files_account_for_every_row(tmp_path):
    folder = tmp_path / FOLDER
    good = _lines(START, 4)
    _flow_file(folder, "fl-aa", "20260102T0500", parquet_delivery(V2, good))
    whole = parquet_delivery(V2, _lines(START, 3))
    _flow_file(folder, "fl-aa", "20260102T0505", whole[: len(whole) // 2])  # cut short: fl-aa's others named one by one
    _flow_file(folder, "fl-cc", "20260102T0510", gzip.compress(("\n".join([" ".join(V2), *good]) + "\n").encode()))
    as_aws = pq.read_table(io.BytesIO(parquet_delivery(V2, good[:1])))
    string_srcport = as_aws.set_column(
        as_aws.schema.get_field_index("srcport"), "srcport", pa.array([good[0].split(" ")[5]], pa.string())
    )
    buffer = io.BytesIO()
    pq.write_table(string_srcport, buffer)
    _flow_file(folder, "fl-dd", "20260102T0515", buffer.getvalue())
    args = ["--source", "vpcflow", "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--date"]

    code, report = run_cli_captured(*args, "2026-01-02")
    assert code == 5
    assert report["days"][0]["status"] == "kept: unreadable files"
    assert not (tmp_path / "out/proc_ymd=20260102").exists()
    reasons = {Path(b["path"]).name.split("_")[3]: b["reason"] for b in report["bad_files"]}
    assert sorted(reasons) == ["fl-aa", "fl-cc", "fl-dd"]
    assert reasons["fl-aa"].startswith("not a readable Parquet file") and "cut short" in reasons["fl-aa"]
    assert reasons["fl-cc"].startswith("not a readable Parquet file")
    assert reasons["fl-dd"] == "column srcport is BYTE_ARRAY, not an integer: the table's srcport is int"

    code, report = run_cli_captured(*args, "2026-01-02", "--skip-bad-files")
    assert code == 0
    rows = read_table_dir(tmp_path / "out/proc_ymd=20260102")
    assert sorted(r["srcaddr"] for r in rows) == sorted(f"10.0.0.{i}" for i in range(4))
    assert report["events_read"] == len(good) == report["rows_written"]
    assert report["bad_file_count"] == 3 and report["days"][0]["status"] == "written"


def test_parquet_rows_that_cannot_be_placed_are_quarantined_with_their_values_as_text(tmp_path):
    folder = tmp_path / FOLDER
    good = _lines(START, 3)
    no_start = f"2 111122223333 eni-1 10.0.0.7 10.0.0.9 443 5007 6 3 120 - {START} ACCEPT OK"
    table = pa.Table.from_pylist(
        [
            *[dict(zip([n.replace("-", "_") for n in V2], line.split(" "))) for line in [*good, no_start]],
        ]
    )
    # AWS's types, then a srcport too large for the table's int in an INT64 column.
    columns = {}
    for name in table.column_names:
        values = [None if v == "-" else v for v in table.column(name).to_pylist()]
        if name in ("version", "dstport", "protocol"):
            columns[name] = pa.array([int(v) for v in values], pa.int32())
        elif name in ("srcport", "packets", "bytes", "start", "end"):
            columns[name] = pa.array([None if v is None else int(v) for v in values], pa.int64())
        else:
            columns[name] = pa.array(values, pa.string())
    columns["srcport"] = pa.array([443, 2**40, 443, 443], pa.int64())
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    _flow_file(folder, "fl-aa", "20260102T0500", buffer.getvalue())
    out = tmp_path / "out"
    code, report = run_cli_captured(
        "--source", "vpcflow", "--input", str(tmp_path / "in"), "--output", str(out), "--date", "2026-01-02"
    )
    assert code == 0, report["error"]
    assert report["rows_written"] == 2 and report["events_read"] == 4
    assert report["quarantine_reasons"] == {
        REASON_DOES_NOT_FIT.format(field="srcport", kind="int"): 1,
        REASON_NO_START: 1,
    }
    quarantined = []
    for part in sorted((tmp_path / "out_quarantine/proc_ymd=20260102").glob("*.json.gz")):
        with gzip.open(part, "rt") as handle:
            quarantined.extend(json.loads(line) for line in handle)
    by_index = {q["record_index"]: q for q in quarantined}
    assert sorted(by_index) == [2, 4]  # rows numbered from 1, as a text file's lines after its header
    assert by_index[4]["record"] == no_start  # the line AWS's text would hold
    assert by_index[2]["record"].split(" ")[5] == str(2**40)


def test_files_a_run_does_not_read_are_named_not_a_bare_zero(tmp_path, capsys):
    folder = tmp_path / FOLDER
    folder.mkdir(parents=True)
    (folder / "111122223333_vpcflowlogs_ap-northeast-2_fl-aa_20260102T0500Z_0123abcd.log").write_text("x\n")
    (folder / "notes.csv").write_text("a,b\n")
    (folder / "copy.csv").write_text("a,b\n")
    code, report = run_cli_captured(
        "--source", "vpcflow", "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--date",
        "2026-01-02", "--require-input",
    )  # fmt: skip
    err = capsys.readouterr().err
    assert report["files_not_read"] == {".csv": 2, ".log": 1}
    assert report["file_not_read_example"].endswith(".log")
    assert "3 files in these folders are not read (2 .csv, 1 .log), e.g. " in err
    assert code != 0 and "3 files in these folders are not read" in report["error"]
