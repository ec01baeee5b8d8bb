"""A bad-input corpus built here: each case asserts the report's counts and the rows written."""

import gzip
import json
import os
import shutil
from pathlib import Path

import pytest

from cloudtrail_etl import report
from cloudtrail_etl.sources.cloudtrail import reader
from tests.conftest import error_lines, read_table_dir, run_cli_captured, write_delivery

DAY = "2026-01-02"
FOLDER = "AWSLogs/111122223333/CloudTrail/ap-northeast-2/2026/01/02"
PREV_FOLDER = "AWSLogs/111122223333/CloudTrail/ap-northeast-2/2026/01/01"


def event(event_id, time="2026-01-02T01:00:00Z", **extra):
    record = {
        "eventVersion": "1.09",
        "eventTime": time,
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "ap-northeast-2",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"},
        "readOnly": True,
    }
    if event_id is not None:
        record["eventID"] = event_id
    record.update(extra)
    return record


def good_records(prefix, n):
    return [event(f"{prefix}-{i}") for i in range(n)]


def truncated_gzip(records):
    data = gzip.compress(json.dumps({"Records": records}).encode())
    return data[: len(data) // 2]


def run(tmp_path, *extra, input_name="in"):
    out = tmp_path / "table"
    code, report = run_cli_captured("--input", str(tmp_path / input_name), "--output", str(out), "--date", DAY, *extra)
    assert report["events_read"] == (
        report["rows_written"]
        + report["duplicates_dropped"]
        + report["events_outside_day"]
        + report["events_quarantined"]
    )
    return code, report, out / "proc_ymd=20260102"


@pytest.fixture
def corpus(tmp_path):
    """Two good files and one file of each kind of broken input, in one day folder."""
    root = tmp_path / "in"
    write_delivery(root / FOLDER / "good1.json.gz", good_records("a", 5))
    write_delivery(root / FOLDER / "pretty.json.gz", good_records("p", 3), indent=2)
    write_delivery(root / FOLDER / "empty-records.json.gz", [])
    write_delivery(root / FOLDER / "truncated.json.gz", [], raw=truncated_gzip(good_records("t", 200)))
    write_delivery(root / FOLDER / "zero.json.gz", [], raw=b"")
    write_delivery(root / FOLDER / "not-json.json.gz", [], raw=gzip.compress(b"<html>Access Denied</html>"))
    write_delivery(root / FOLDER / "no-records.json.gz", [], raw=gzip.compress(b'{"digestStartTime":"x"}'))
    write_delivery(root / FOLDER / "plain-text.json.gz", [], raw=b'{"Records": []}')
    digest = "AWSLogs/111122223333/CloudTrail-Digest/ap-northeast-2/2026/01/02/digest.json.gz"
    write_delivery(root / digest, [], raw=gzip.compress(b'{"digestStartTime":"2026-01-02T00:00:00Z"}'))
    return tmp_path


BAD = {
    "truncated.json.gz": report.REASON_UNREADABLE,
    "zero.json.gz": report.REASON_ZERO_BYTES,
    "not-json.json.gz": reader.REASON_NOT_JSON,
    "no-records.json.gz": reader.REASON_NO_RECORDS,
    "plain-text.json.gz": report.REASON_UNREADABLE,
}


def bad_by_name(report):
    return {Path(b["path"]).name: b["reason"] for b in report["bad_files"]}


def test_bad_files_fail_the_run_and_leave_the_existing_day_untouched(corpus):
    write_delivery(corpus / "prev" / FOLDER / "old.json.gz", good_records("old", 2))
    code, report, day_dir = run(corpus, input_name="prev")
    assert code == 0 and len(read_table_dir(day_dir)) == 2
    before = sorted((p.name, p.stat().st_size) for p in day_dir.iterdir())

    code, report, day_dir = run(corpus)
    assert code == 5
    assert report["status"] == "failed" and "unreadable file" in report["error"]
    assert bad_by_name(report) == BAD
    assert sorted((p.name, p.stat().st_size) for p in day_dir.iterdir()) == before
    assert not any((corpus / "table_staging").glob("*/proc_ymd=*"))  # the staged day was discarded


def test_skip_bad_files_writes_every_good_event_and_still_lists_the_bad_files(corpus):
    code, report, day_dir = run(corpus, "--skip-bad-files")
    assert code == 0
    assert bad_by_name(report) == BAD
    assert report["input_files"] == 8  # the digest file is not an input
    assert report["events_read"] == 8 and report["rows_written"] == 8
    rows = read_table_dir(day_dir)
    assert sorted(r["eventid"] for r in rows) == sorted([f"a-{i}" for i in range(5)] + [f"p-{i}" for i in range(3)])


def test_records_without_a_usable_eventtime_are_quarantined_with_reason_and_raw_record(tmp_path):
    records = [
        event("ok"),
        event("no-time", time=None),
        event("bad-time", time="02/01/2026 10:00"),
        event("no-zone", time="2026-01-02T01:00:00"),
    ]
    records[1].pop("eventTime")
    write_delivery(tmp_path / "in" / FOLDER / "f.json.gz", [*records, 42])
    write_delivery(tmp_path / "in" / PREV_FOLDER / "clean.json.gz", good_records("c", 3))
    code, report, _ = run(tmp_path)
    assert code == 0
    assert report["rows_written"] == 4 and report["events_quarantined"] == 4
    assert report["quarantine_reasons"] == {
        "eventTime is missing": 1,
        "eventTime is not an ISO-8601 time with a zone": 2,
        "record is not a JSON object": 1,
    }
    quarantine = Path(report["quarantine_path"])
    assert quarantine == tmp_path / "table_quarantine" / "proc_ymd=20260102"
    text = b"".join(gzip.decompress(f.read_bytes()) for f in quarantine.glob("*.json.gz"))
    lines = [json.loads(line) for line in text.splitlines()]
    by_index = {q["record_index"]: q for q in lines}
    assert sorted(by_index) == [1, 2, 3, 4]
    assert json.loads(by_index[2]["record"]) == records[2]
    assert by_index[4]["record"] == "42" and by_index[4]["reason"] == "record is not a JSON object"
    assert all(q["source_file"].endswith("f.json.gz") for q in lines)
    assert not (tmp_path / "table" / "proc_ymd=20260102" / "quarantine").exists()


def test_records_without_eventid_are_never_merged(tmp_path):
    same = event(None)
    write_delivery(tmp_path / "in" / FOLDER / "f1.json.gz", [same, same, event("x")])
    write_delivery(tmp_path / "in" / FOLDER / "f2.json.gz", [same, event("x")])
    code, report, day_dir = run(tmp_path)
    assert code == 0
    assert report["rows_written"] == 4 and report["duplicates_dropped"] == 1
    assert sum(1 for r in read_table_dir(day_dir) if r["eventid"] is None) == 3


def test_type_changes_and_unknown_fields_are_kept(tmp_path):
    records = [
        event("bool-as-string", readOnly="true"),
        event("bool-garbage", readOnly="sometimes"),
        event("object-for-string", userIdentity={"type": {"kind": "new"}}),
        event("new-fields", brandNewField={"a": 1}, userIdentity={"type": "IAMUser", "newIdentityField": "v"}),
        event("new-fields-2", brandNewField=2),
    ]
    write_delivery(tmp_path / "in" / FOLDER / "f.json.gz", records)
    code, report, day_dir = run(tmp_path)
    assert code == 0
    rows = {r["eventid"]: r for r in read_table_dir(day_dir)}
    assert rows["bool-as-string"]["readonly"] is True and rows["bool-as-string"]["unmapped"] is None
    assert rows["bool-garbage"]["readonly"] is None
    assert json.loads(rows["bool-garbage"]["unmapped"]) == {"readOnly": "sometimes"}
    assert json.loads(rows["object-for-string"]["useridentity_type"]) == {"kind": "new"}
    assert json.loads(rows["new-fields"]["unmapped"]) == {
        "brandNewField": {"a": 1},
        "userIdentity.newIdentityField": "v",
    }
    assert report["rows_with_unmapped"] == 3
    assert report["unmapped_fields"] == {"brandNewField": 2, "readOnly": 1, "userIdentity.newIdentityField": 1}


def test_one_huge_record(tmp_path):
    big = "x" * (8 * 1024 * 1024)
    write_delivery(tmp_path / "in" / FOLDER / "f.json.gz", [event("huge", requestParameters={"blob": big}), event("s")])
    code, report, day_dir = run(tmp_path)
    assert code == 0 and report["rows_written"] == 2
    rows = {r["eventid"]: r for r in read_table_dir(day_dir)}
    assert json.loads(rows["huge"]["requestparameters"])["blob"] == big


def test_events_outside_the_day_are_counted_not_written(tmp_path):
    write_delivery(
        tmp_path / "in" / PREV_FOLDER / "f.json.gz",
        [event("before", time="2026-01-01T14:59:59Z"), event("first", time="2026-01-01T15:00:00Z")],
    )
    write_delivery(
        tmp_path / "in" / FOLDER / "g.json.gz",
        [event("last", time="2026-01-02T14:59:59Z"), event("after", time="2026-01-02T15:00:00Z")],
    )
    code, report, day_dir = run(tmp_path)
    assert code == 0
    assert sorted(r["eventid"] for r in read_table_dir(day_dir)) == ["first", "last"]
    assert report["events_outside_day"] == 2 and report["events_in_day"] == 2


def test_exit_codes(tmp_path, capsys):
    from cloudtrail_etl.cli import run_command

    assert run_command(["--input", str(tmp_path), "--output", str(tmp_path / "o"), "--date", "2026-02-30"]) == 2
    assert "not a real calendar day" in capsys.readouterr().err
    assert run_command(["--input", str(tmp_path / "missing"), "--output", str(tmp_path / "o"), "--date", DAY]) == 3
    assert f"--input {tmp_path / 'missing'} does not exist" in capsys.readouterr().err
    assert run_command(["--input", str(tmp_path), "--output", str(tmp_path / "o"), "--date", DAY]) == 3
    assert "no AWSLogs/" in capsys.readouterr().err
    (tmp_path / "AWSLogs").mkdir()
    assert run_command(["--input", str(tmp_path), "--output", str(tmp_path / "o"), "--date", DAY]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["input_files"] == 0
    args = ["--input", str(tmp_path), "--output", str(tmp_path / "o"), "--date", DAY, "--require-input"]
    assert run_command(args) == 4
    assert "no CloudTrail files" in capsys.readouterr().err
    write_delivery(tmp_path / FOLDER / "f.json.gz", [event("a")])
    (tmp_path / "blocker").write_text("a file where the output directory should be")
    assert run_command(["--input", str(tmp_path), "--output", str(tmp_path / "blocker" / "t"), "--date", DAY]) == 6
    (error,) = error_lines(capsys.readouterr().err)
    assert "cannot write" in error


def test_pretty_printed_copy_of_a_delivery_counts_as_duplicates(tmp_path):
    write_delivery(tmp_path / "in" / FOLDER / "pretty.json.gz", [event("p1"), event("p2")], indent=4)
    shutil.copy(tmp_path / "in" / FOLDER / "pretty.json.gz", tmp_path / "in" / FOLDER / "copy.json.gz")
    code, report, day_dir = run(tmp_path)
    assert code == 0 and report["rows_written"] == 2 and report["duplicates_dropped"] == 2
    assert os.path.isdir(day_dir)


def test_more_broken_shapes_are_named_and_multi_member_gzip_and_non_utf8_bytes_are_read(tmp_path):
    folder = tmp_path / "in" / FOLDER
    text = json.dumps({"Records": good_records("cut", 3)}).encode()
    write_delivery(folder / "cut-json.json.gz", [], raw=gzip.compress(text[:-40]))
    not_utf8 = json.dumps({"Records": [event("not-utf8", eventName="@")]}).encode().replace(b"@", b"\xff\xfe")
    write_delivery(folder / "not-utf8.json.gz", [], raw=gzip.compress(not_utf8))
    write_delivery(folder / "records-null.json.gz", [], raw=gzip.compress(b'{"Records": null}'))
    write_delivery(folder / "top-array.json.gz", [], raw=gzip.compress(b'[{"eventID": "x"}]'))
    members = gzip.compress(b'{"Records":[') + gzip.compress(json.dumps(event("member")).encode() + b"]}")
    write_delivery(folder / "two-members.json.gz", [], raw=members)
    code, report, day_dir = run(tmp_path, "--skip-bad-files")
    assert code == 0
    assert bad_by_name(report) == {
        "cut-json.json.gz": reader.REASON_NOT_JSON,
        "records-null.json.gz": reader.REASON_NO_RECORDS,
        "top-array.json.gz": reader.REASON_NO_RECORDS,
    }
    rows = {r["eventid"]: r for r in read_table_dir(day_dir)}
    assert report["events_read"] == 2 and sorted(rows) == ["member", "not-utf8"]
    assert rows["not-utf8"]["eventname"] == "\ufffd\ufffd"  # the event is kept; the bytes that are not UTF-8 are not
