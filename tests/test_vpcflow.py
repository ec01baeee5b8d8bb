"""VPC flow logs by KST day: the job's table against a plain-Python reading of the same files."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from cloudtrail_etl.sample.vpcflow import V2, V5, FlowLog, FlowSampleSpec, write_flow_logs
from cloudtrail_etl.sources.vpcflow import (
    REASON_FIELD_COUNT,
    REASON_NO_HEADER,
    REASON_NO_START,
    REASON_NOT_A_NUMBER,
    output_schema,
)
from tests.aws import client, crawls_finish_immediately, moto_endpoint, reset_moto  # noqa: F401
from tests.conftest import read_table_dir, run_cli_captured
from tests.flowlogs import expected_rows, flow_log_files, kst_day, read_records, row_key

FIRST, LAST = dt.date(2026, 1, 2), dt.date(2026, 1, 3)
NAME_TIME = re.compile(r"_([0-9]{8}T[0-9]{4})Z_[0-9a-f]+\.log\.gz$")


@pytest.fixture(scope="module")
def flows(tmp_path_factory) -> Path:
    """Three UTC days of the sample's four flow logs: default, custom v5 and v8 formats, a second flow log on two
    interfaces (identical lines), plain daily, plain hourly and Hive-compatible hourly folders, late files."""
    root = tmp_path_factory.mktemp("flows") / "in"
    write_flow_logs(root, FlowSampleSpec(days=3, flows_per_window=1.2, interfaces_per_account=5, late_file_rate=0.05))
    return root


@pytest.fixture(scope="module")
def range_run(flows, tmp_path_factory):
    out = tmp_path_factory.mktemp("flow-table") / "table"
    args = ["--source", "vpcflow", "--input", str(flows), "--output", str(out)]
    code, report = run_cli_captured(*args, "--from", FIRST.isoformat(), "--to", LAST.isoformat(), "--late-days", "1")
    return code, report, out


def test_the_sample_holds_what_the_range_must_handle(flows):
    files = flow_log_files(flows)
    records = [r for f in files for r in read_records(f)]
    statuses = Counter(r["log_status"] for r in records)
    assert statuses["NODATA"] and statuses["SKIPDATA"] and statuses["OK"]
    assert any(":" in (r.get("srcaddr") or "") for r in records)  # IPv6
    assert any((r.get("bytes") or 0) > 2**31 for r in records)
    assert any(r["unmapped"] for r in records)  # a field this project does not know
    assert any(r.get("protocol") == 1 and r.get("srcport") == 0 for r in records)  # ICMP
    headers = {_header(f) == V2 for f in files}
    assert headers == {True, False}  # the default format and custom ones
    paths = {str(f) for f in files}
    assert any("/aws-account-id=" in p and "/hour=" in p for p in paths)  # Hive-compatible, hourly
    assert any(re.search(r"/vpcflowlogs/[a-z0-9-]+/2026/01/0[0-9]/[0-9]{2}/", p) for p in paths)  # plain hourly
    assert any(re.search(r"/vpcflowlogs/[a-z0-9-]+/2026/01/0[0-9]/[0-9]+_vpcflowlogs", p) for p in paths)  # daily
    late = [f for f in files if (NAME_TIME.search(f.name).group(1)[:8] > min(_end_days(f)))]
    assert late  # files made on a later UTC day than some of their records
    day_rows = expected_rows(files, FIRST, LAST)
    assert any(n > 1 for n in day_rows.values())  # identical lines: the table is a multiset


def _header(path: Path) -> tuple[str, ...]:
    with gzip.open(path, "rt") as handle:
        return tuple(handle.readline().split())


def _json_lines(folder: Path) -> list[dict]:
    found = []
    for part in sorted(folder.glob("*.json.gz")):
        with gzip.open(part, "rt") as handle:
            found.extend(json.loads(line) for line in handle)
    return found


def _end_days(path: Path) -> set[str]:
    return {dt.datetime.fromtimestamp(r["end"], dt.timezone.utc).strftime("%Y%m%d") for r in read_records(path)}


def test_a_range_equals_a_plain_python_reading_cut_by_start_in_kst(flows, range_run):
    code, report, out = range_run
    assert code == 0, report["error"]
    files = flow_log_files(flows)
    for day in (FIRST, LAST):
        table = read_table_dir(out / f"proc_ymd={day:%Y%m%d}")
        assert Counter(row_key(row) for row in table) == expected_rows(files, day, day)
        assert {row["start_kst"].date() for row in table} == {day}
        for row in table:
            assert row["start_kst"] == dt.datetime.fromtimestamp(row["start"], dt.timezone.utc).replace(
                tzinfo=None
            ) + dt.timedelta(hours=9)
    # Every line read is in a day's rows or counted for another day (nothing here is quarantined).
    read = [f for f in files if NAME_TIME.search(f.name).group(1) >= "20260101T1400"]
    lines = sum(len(read_records(f)) for f in read)
    assert report["events_read"] == lines
    assert report["events_quarantined"] == 0 and report["duplicates_dropped"] == 0
    assert report["events_read"] == report["rows_written"] + report["events_outside_day"]
    assert [d["status"] for d in report["days"]] == ["written", "written"]
    assert report["unmapped_fields"] == {"encryption-status": report["rows_with_unmapped"]}
    assert report["source"] == "vpcflow"


def test_rows_name_the_account_region_and_flow_log_of_their_file(range_run):
    _, _, out = range_run
    table = read_table_dir(out / f"proc_ymd={FIRST:%Y%m%d}")
    seen = {(row["_file_account_id"], row["_file_region"], row["_file_flow_log_id"]) for row in table}
    assert seen == {
        ("111122223333", "ap-northeast-2", "fl-0a1b2c3d4e5f60718"),
        ("111122223333", "ap-northeast-2", "fl-0b2c3d4e5f6071829"),
        ("111122223333", "ap-northeast-2", "fl-0c3d4e5f607182930"),
        ("444455556666", "us-east-1", "fl-0d4e5f60718293a4b"),
    }
    names = [f.name for f in output_schema().fields]
    assert [n for n in names if n.startswith("_")] == ["_file_account_id", "_file_region", "_file_flow_log_id"]


def test_a_single_day_run_writes_that_day_and_a_rerun_replaces_it(flows, range_run, tmp_path):
    _, _, range_out = range_run
    out = tmp_path / "table"
    args = ["--source", "vpcflow", "--input", str(flows), "--output", str(out), "--date", FIRST.isoformat()]
    code, report = run_cli_captured(*args)
    assert code == 0
    once = Counter(row_key(r) for r in read_table_dir(out / f"proc_ymd={FIRST:%Y%m%d}"))
    code, again = run_cli_captured(*args)
    assert code == 0 and again["rows_written"] == report["rows_written"]
    assert Counter(row_key(r) for r in read_table_dir(out / f"proc_ymd={FIRST:%Y%m%d}")) == once
    # The single day misses only its records in the late files of the folders after its own, which the range read.
    in_range = Counter(row_key(r) for r in read_table_dir(range_out / f"proc_ymd={FIRST:%Y%m%d}"))
    later = [f for f in flow_log_files(flows) if NAME_TIME.search(f.name).group(1)[:8] > f"{FIRST:%Y%m%d}"]
    assert in_range - once == expected_rows(later, FIRST, FIRST) and not once - in_range
    assert sum((in_range - once).values()) > 0


def _write(path: Path, text: str | None = None, raw: bytes | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw if raw is not None else gzip.compress(text.encode()))
    return path


def _name(flow_log: str, made: str) -> str:
    return f"111122223333_vpcflowlogs_ap-northeast-2_{flow_log}_{made}Z_0123abcd.log.gz"


def test_bad_files_keep_the_day_and_bad_lines_are_quarantined_with_their_reasons(tmp_path):
    folder = tmp_path / "in/AWSLogs/111122223333/vpcflowlogs/ap-northeast-2/2026/01/02"
    start = 1767330000  # 2026-01-02T05:00:00Z: KST 2026-01-02 14:00
    header = " ".join(V2)
    good = [
        f"2 111122223333 eni-1 10.0.0.{i} 10.0.0.9 443 5000{i} 6 3 120 {start + i} {start + i + 5} ACCEPT OK"
        for i in range(4)
    ]
    bad_lines = {
        f"2 111122223333 eni-1 10.0.0.1 10.0.0.9 443 x 6 3 120 {start} {start} ACCEPT OK": REASON_NOT_A_NUMBER.format(
            field="dstport"
        ),
        f"2 111122223333 eni-1 10.0.0.1 10.0.0.9 443 5000 6 3 120 {start} ACCEPT OK": REASON_FIELD_COUNT,
        f"2 111122223333 eni-1 10.0.0.1 10.0.0.9 443 5000 6 3 120 - {start} ACCEPT OK": REASON_NO_START,
        f"2 111122223333 eni-1 10.0.0.1 10.0.0.9 443 5000 6 3 99999999999999999999 {start} {start} ACCEPT OK": (
            REASON_NOT_A_NUMBER.format(field="bytes")
        ),
    }
    _write(folder / _name("fl-aa", "20260102T0500"), header + "\n" + "\n".join([*good, *bad_lines]) + "\n")
    headless = good[:2]
    _write(folder / _name("fl-bb", "20260102T0505"), "\n".join(headless) + "\n")
    full = gzip.compress((header + "\n" + "\n".join(good) + "\n").encode())
    _write(folder / _name("fl-cc", "20260102T0510"), raw=full[: len(full) // 2])  # truncated gzip
    _write(folder / _name("fl-dd", "20260102T0515"), raw=b"")  # zero bytes
    _write(folder / _name("fl-ee", "20260102T0520"), "")  # a gzip of nothing: no header
    args = ["--source", "vpcflow", "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out")]

    code, report = run_cli_captured(*args, "--date", "2026-01-02")
    assert code == 5
    assert report["days"][0]["status"] == "kept: unreadable files"
    assert not (tmp_path / "out/proc_ymd=20260102").exists()
    reasons = {Path(b["path"]).name.split("_")[3]: b["reason"] for b in report["bad_files"]}
    assert reasons == {
        "fl-cc": "unreadable: corrupt, truncated or empty gzip",
        "fl-dd": "zero bytes",
        "fl-ee": "empty: no header line",
    }

    code, report = run_cli_captured(*args, "--date", "2026-01-02", "--skip-bad-files")
    assert code == 0
    rows = read_table_dir(tmp_path / "out/proc_ymd=20260102")
    assert sorted(r["srcaddr"] for r in rows) == sorted(f"10.0.0.{i}" for i in range(4))
    expected_reasons = Counter(bad_lines.values()) + Counter({REASON_NO_HEADER: len(headless)})
    assert report["quarantine_reasons"] == dict(expected_reasons)
    assert report["events_read"] == len(good) + len(bad_lines) + len(headless)
    assert report["events_read"] == report["rows_written"] + report["events_quarantined"] + report["events_outside_day"]
    quarantined = _json_lines(tmp_path / "out_quarantine/proc_ymd=20260102")
    assert sorted((q["record"], q["reason"]) for q in quarantined) == sorted(
        [*bad_lines.items(), *[(line, REASON_NO_HEADER) for line in headless]]
    )
    by_text = {q["record"]: q for q in quarantined}
    assert by_text[headless[0]]["record_index"] == 1  # no header: the first line is the file's first record
    first_bad = next(iter(bad_lines))
    assert by_text[first_bad]["record_index"] == 2 + len(good)  # line numbers count the header as line 1


def test_formats_are_read_each_by_its_own_header(tmp_path):
    """Two custom formats in one folder, fields in different orders, one with a field this project does not know."""
    folder = tmp_path / "in/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=ap-northeast-2"
    folder = folder / "year=2026/month=01/day=02"
    start = 1767330000
    _write(
        folder / _name("fl-aa", "20260102T0500"),
        f"start end interface-id srcaddr dstport action\n{start} {start + 9} eni-a 10.0.0.1 443 ACCEPT\n",
    )
    _write(
        folder / _name("fl-bb", "20260102T0500"),
        "action new-field dstport srcaddr interface-id end start log-status\n"
        f"REJECT 7 22 2600:1f18::5 eni-b {start + 9} {start} OK\n",
    )
    out = tmp_path / "out"
    code, report = run_cli_captured(
        "--source", "vpcflow", "--input", str(tmp_path / "in"), "--output", str(out), "--date", "2026-01-02"
    )
    assert code == 0
    rows = {r["interface_id"]: r for r in read_table_dir(out / "proc_ymd=20260102")}
    assert (rows["eni-a"]["srcaddr"], rows["eni-a"]["dstport"], rows["eni-a"]["action"]) == ("10.0.0.1", 443, "ACCEPT")
    assert rows["eni-a"]["log_status"] is None and rows["eni-a"]["unmapped"] is None
    assert (rows["eni-b"]["srcaddr"], rows["eni-b"]["dstport"], rows["eni-b"]["action"]) == (
        "2600:1f18::5",
        22,
        "REJECT",
    )
    assert rows["eni-b"]["log_status"] == "OK" and dict(rows["eni-b"]["unmapped"]) == {"new-field": "7"}
    assert rows["eni-b"]["end"] - rows["eni-b"]["start"] == 9
    assert report["unmapped_fields"] == {"new-field": 1}


def test_ddl_names_every_column_with_athena_types():
    from cloudtrail_etl.catalog import athena_ddl

    ddl = athena_ddl("logs.vpcflow", "s3://lake/vpcflow", source="vpcflow")
    assert "  `end` bigint COMMENT" in ddl and "  `srcport` int COMMENT" in ddl and "  `bytes` bigint COMMENT" in ddl
    assert "  `start_kst` timestamp COMMENT" in ddl and "  `unmapped` map<string,string> COMMENT" in ddl
    assert "'storage.location.template'='s3://lake/vpcflow/proc_ymd=${proc_ymd}'" in ddl
    assert ddl.count(" COMMENT ") == len(output_schema().fields)


def test_kst_day_of_a_start_is_cut_at_kst_midnight():
    assert kst_day(1767279599) == dt.date(2026, 1, 1)  # 2026-01-01T14:59:59Z
    assert kst_day(1767279600) == dt.date(2026, 1, 2)  # 2026-01-01T15:00:00Z


def test_sample_flow_logs_are_the_same_bytes_for_a_seed(tmp_path):
    spec = FlowSampleSpec(
        days=1,
        flows_per_window=0.5,
        interfaces_per_account=2,
        flow_logs=(FlowLog("fl-01", "111122223333", "us-east-1", V5),),
    )
    first, second = write_flow_logs(tmp_path / "a", spec), write_flow_logs(tmp_path / "b", spec)
    assert first.files_written == second.files_written > 0
    for path in flow_log_files(tmp_path / "a"):
        assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes()


def test_a_flow_log_run_keeps_its_glue_table_and_partitions_and_starts_a_crawler(flows, tmp_path, moto_endpoint):  # noqa: F811
    reset_moto(moto_endpoint)
    glue = client("glue", moto_endpoint)
    args = ["--source", "vpcflow", "--input", str(flows), "--output", str(tmp_path / "t"), "--date", FIRST.isoformat()]
    code, report = run_cli_captured(*args, "--catalog-table", "logs.vpcflow")
    assert code == 0 and report["catalog"]["table_created"] and report["catalog"]["partition_action"] == "created"
    table = glue.get_table(DatabaseName="logs", Name="vpcflow")["Table"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert list(columns) == [f.name for f in output_schema().fields]
    assert (columns["srcport"], columns["bytes"], columns["end"], columns["action"]) == (
        "int",
        "bigint",
        "bigint",
        "string",
    )
    assert (columns["start_kst"], columns["unmapped"]) == ("timestamp", "map<string,string>")
    assert "flow log" in table["Description"]
    (partition,) = glue.get_partitions(DatabaseName="logs", TableName="vpcflow")["Partitions"]
    assert partition["Values"] == [f"{FIRST:%Y%m%d}"]
    assert partition["StorageDescriptor"]["Location"].rstrip("/") == str(tmp_path / "t" / f"proc_ymd={FIRST:%Y%m%d}")

    crawls_finish_immediately(moto_endpoint)
    crawler = ["--crawler", "vpcflow-crawler", "--create-crawler", "--crawler-role", "arn:aws:iam::123456789012:role/c"]
    code, report = run_cli_captured(*args, *crawler, "--crawler-database", "logs", "--wait")
    assert code == 0 and report["catalog"]["created"] and report["catalog"]["state"] == "READY"
    target = glue.get_crawler(Name="vpcflow-crawler")["Crawler"]["Targets"]["S3Targets"][0]
    assert target["Path"].rstrip("/") == str(tmp_path / "t")


def test_the_fast_read_gives_the_rows_of_the_exact_read(spark, flows):
    from cloudtrail_etl.plan import RunPlan
    from cloudtrail_etl.sources.vpcflow import VpcFlowLogs, fast_read
    from cloudtrail_etl.transform import RECORD_INDEX

    plan = RunPlan(FIRST, LAST, late_days=1)
    source = VpcFlowLogs()
    run_input = source.discover(str(flows), plan.folder_days, plan.delivered_since)
    fast = fast_read(spark, run_input)
    assert fast is not None
    exact = source.records(source.read_files(spark, run_input.folders, run_input.delivered_since))
    columns = [name for name in exact.columns if name != RECORD_INDEX]
    assert sorted(fast.records.columns) == sorted(exact.columns)
    fast_rows = _hashable(fast.records.select(columns).collect())
    assert fast.check() is None
    assert fast_rows == _hashable(exact.select(columns).collect())
    assert sum(fast_rows.values()) == sum(len(read_records(Path(f.uri))) for f in run_input.files)


def _hashable(rows) -> Counter:
    return Counter(tuple(tuple(sorted(v.items())) if isinstance(v, dict) else v for v in row) for row in rows)


def _good_file(folder: Path, flow_log: str, made: str, start: int, count: int, header: bool = True) -> list[str]:
    lines = [
        f"2 111122223333 eni-9 10.0.1.{i} 10.0.0.9 443 6000{i} 6 2 99 {start + i} {start + i} ACCEPT OK"
        for i in range(count)
    ]
    _write(folder / _name(flow_log, made), ((" ".join(V2) + "\n") if header else "") + "\n".join(lines) + "\n")
    return lines


def test_a_file_without_header_or_a_corrupt_gzip_sends_the_run_to_the_exact_read(tmp_path, capsys):
    folder = tmp_path / "in/AWSLogs/111122223333/vpcflowlogs/ap-northeast-2/2026/01/02"
    start = 1767330000
    _good_file(folder, "fl-aa", "20260102T0500", start, 3)
    headless = _good_file(folder, "fl-aa", "20260102T0505", start, 2, header=False)
    args = ["--source", "vpcflow", "--input", str(tmp_path / "in"), "--date", "2026-01-02"]
    code, report = run_cli_captured(*args, "--output", str(tmp_path / "a"))
    assert code == 0
    assert "1 of 2 files gave no header line: reading every file whole" in capsys.readouterr().err
    assert report["rows_written"] == 3 and report["quarantine_reasons"] == {REASON_NO_HEADER: len(headless)}

    (folder / _name("fl-aa", "20260102T0505")).unlink()
    full = gzip.compress(("\n".join([" ".join(V2), *headless]) + "\n").encode())
    _write(folder / _name("fl-aa", "20260102T0510"), raw=full[:-12])  # the gzip trailer cut off
    code, report = run_cli_captured(*args, "--output", str(tmp_path / "b"), "--skip-bad-files")
    assert code == 0
    assert "the fast read failed" in capsys.readouterr().err
    assert [Path(b["path"]).name.split("_")[4] for b in report["bad_files"]] == ["20260102T0510Z"]
    assert report["rows_written"] == 3 and report["events_quarantined"] == 0


def test_a_days_tasks_each_hold_whole_interfaces(spark):
    """The shuffle by interface (VpcFlowLogs.distribution_key): each interface's rows in one task, so in one file."""
    from pyspark.sql import functions as F

    from cloudtrail_etl.sources.vpcflow import VpcFlowLogs
    from cloudtrail_etl.transform import PROC_YMD, SOURCE_FILE, cluster_by_day

    rows = [(f"eni-{i % 40:02d}", f"s3://b/f{i % 7}.log.gz", "20260102") for i in range(2000)]
    rows += [(None, f"s3://b/custom{i % 5}.log.gz", "20260102") for i in range(500)]
    df = spark.createDataFrame(rows, f"interface_id string, {SOURCE_FILE} string, {PROC_YMD} string")
    tasks = cluster_by_day(df, [FIRST], 4, VpcFlowLogs().distribution_key()).select(
        "interface_id", SOURCE_FILE, F.spark_partition_id().alias("task")
    )
    by_interface = {
        row["interface_id"]: row["tasks"]
        for row in tasks.filter(F.col("interface_id").isNotNull())
        .groupBy("interface_id")
        .agg(F.countDistinct("task").alias("tasks"))
        .collect()
    }
    assert len(by_interface) == 40 and set(by_interface.values()) == {1}
    # Lines of a format without interface-id spread by their file, each file's lines in one task.
    by_file = tasks.filter(F.col("interface_id").isNull()).groupBy(SOURCE_FILE).agg(F.countDistinct("task").alias("n"))
    assert sorted(row["n"] for row in by_file.collect()) == [1] * 5
    assert tasks.select("task").distinct().count() == 4


def test_each_file_of_a_day_is_sorted_by_action_then_interface(range_run):
    import pyarrow.parquet as pq

    _, _, out = range_run
    files = sorted((out / f"proc_ymd={FIRST:%Y%m%d}").glob("*.parquet"))
    assert files
    for path in files:
        rows = pq.read_table(path, columns=["action", "interface_id"]).to_pylist()
        keys = [tuple((v is not None, v or "") for v in (r["action"], r["interface_id"])) for r in rows]
        assert keys == sorted(keys) and {r["action"] for r in rows} >= {"ACCEPT", "REJECT"}
