"""End to end on real VPC flow log records (../shared/realdata/cloudfwd-vpcflow), checked against the files read
independently; the same records delivered as Parquet (AWS's physical types) give the same table."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from collections import Counter
from pathlib import Path

import pytest

from cloudtrail_etl.sample.vpcflow import parquet_delivery
from tests.conftest import read_table_dir, run_cli_captured
from tests.flowlogs import expected_rows, flow_log_files, read_records, row_key

REAL_FLOWS = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "cloudfwd-vpcflow"
DAY = dt.date(2017, 10, 2)


@pytest.fixture(scope="module")
def real_flows() -> Path:
    if not REAL_FLOWS.is_dir():
        pytest.fail(f"real VPC flow log files missing: {REAL_FLOWS}")
    return REAL_FLOWS


def _run(input_root: Path, out: Path) -> tuple[int, dict, list[dict]]:
    code, report = run_cli_captured(
        "--source", "vpcflow", "--input", str(input_root), "--output", str(out), "--date", DAY.isoformat()
    )
    return code, report, read_table_dir(out / f"proc_ymd={DAY:%Y%m%d}")


def test_every_real_flow_record_is_a_row(real_flows, tmp_path):
    files = flow_log_files(real_flows)
    records = [r for f in files for r in read_records(f)]
    assert len(files) == 3 and len(records) == 360
    code, report, rows = _run(real_flows, tmp_path / "table")
    assert code == 0, report["error"]
    assert Counter(row_key(r) for r in rows) == expected_rows(files, DAY, DAY)
    assert report["events_read"] == report["rows_written"] == 360
    assert report["input_files"] == 3 and report["bad_file_count"] == 0 and report["events_quarantined"] == 0
    assert {r["interface_id"] for r in rows} == {"eni-b1578161", "eni-63c18886"}
    assert {(r["_file_account_id"], r["_file_region"], r["_file_flow_log_id"]) for r in rows} == {
        ("251620272209", "us-east-1", "fl-5a016d6827c328aff")
    }
    assert Counter(r["action"] for r in rows) == Counter(r["action"] for r in records)


def test_the_real_records_delivered_as_parquet_give_the_same_table(real_flows, tmp_path):
    bucket = tmp_path / "in"
    for path in flow_log_files(real_flows):
        target = bucket / path.relative_to(real_flows).with_name(path.name.replace(".log.gz", ".log.parquet"))
        target.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(path, "rt") as handle:
            fields = tuple(handle.readline().split())
            target.write_bytes(parquet_delivery(fields, handle.read().splitlines()))
    shutil.copy(real_flows / "LICENSE.md", bucket / "LICENSE.md")
    code, report, rows = _run(bucket, tmp_path / "table")
    assert code == 0, report["error"]
    _, _, text_rows = _run(real_flows, tmp_path / "text-table")
    assert Counter(row_key(r) for r in rows) == Counter(row_key(r) for r in text_rows)
    assert len(rows) == 360 and report["input_files"] == 3
