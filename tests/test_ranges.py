"""Ranges of KST days in one run: equal to the single-day runs, late files, days left alone, shrinking refused.

The week is built here: deliveries every 3 hours named as CloudTrail names them, duplicate deliveries, and late
files (delivered days after their events) in later folders. What each run must write is derived from the files."""

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest

from cloudtrail_etl.days import KST, first_delivery
from tests.aws import client, moto_endpoint, reset_moto  # noqa: F401
from tests.conftest import read_table_dir, run_cli_captured, write_delivery

ACCOUNT = "111122223333"
REGION = "ap-northeast-2"
FIRST = dt.date(2026, 3, 2)  # KST days FIRST .. FIRST+4
DAYS = [FIRST + dt.timedelta(days=n) for n in range(5)]
UTC = dt.timezone.utc


def key(delivered: dt.datetime, suffix: str) -> str:
    name = f"{ACCOUNT}_CloudTrail_{REGION}_{delivered:%Y%m%dT%H%M}Z_{suffix}.json.gz"
    return f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/{delivered:%Y/%m/%d}/{name}"


def event(event_id: str, at: dt.datetime) -> dict:
    return {
        "eventVersion": "1.09",
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventID": event_id,
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": REGION,
    }


def build_week(root: Path) -> dict[str, list[dict]]:
    """UTC days FIRST-2 .. FIRST+6: a file every 3 hours with the events of the 3 hours before; every 4th file
    delivered a second time; two late files: events of FIRST+1 delivered on FIRST+3, of FIRST+4 on FIRST+6."""
    files: dict[str, list[dict]] = {}
    start = dt.datetime.combine(FIRST - dt.timedelta(days=2), dt.time(0), tzinfo=UTC)
    for n in range(9 * 8):
        delivered = start + dt.timedelta(hours=3 * n, minutes=5)
        records = [event(f"e{n}-{i}", delivered - dt.timedelta(minutes=10 + 20 * i)) for i in range(9)]
        files[key(delivered, f"f{n}")] = records
        if n % 4 == 0:
            files[key(delivered + dt.timedelta(minutes=5), f"dup{n}")] = records[:5]
    for name, day, late in (("late1", DAYS[1], DAYS[3]), ("late4", DAYS[4], DAYS[4] + dt.timedelta(days=2))):
        noon_kst = dt.datetime.combine(day, dt.time(12), tzinfo=KST).astimezone(UTC)
        delivered = dt.datetime.combine(late, dt.time(6, 0), tzinfo=UTC)
        files[key(delivered, name)] = [event(f"{name}-{i}", noon_kst + dt.timedelta(minutes=i)) for i in range(4)]
    for rel, records in files.items():
        write_delivery(root / rel, records)
    return files


def kst_day(record: dict) -> dt.date:
    return dt.datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")).astimezone(KST).date()


def delivered(rel: str) -> dt.datetime:
    return dt.datetime.strptime(rel.rsplit("_", 2)[1], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)


def folder(rel: str) -> dt.date:
    return dt.datetime.strptime("/".join(rel.split("/")[4:7]), "%Y/%m/%d").date()


def expected_ids(files, day: dt.date, folders: list[dt.date], since: dt.datetime) -> list[str]:
    """The eventIDs of `day` in the files of `folders` delivered since `since` (what a run reading them writes)."""
    ids = {
        record["eventID"]
        for rel, records in files.items()
        if folder(rel) in folders and delivered(rel) >= since
        for record in records
        if kst_day(record) == day
    }
    return sorted(ids)


def ids(day_dir: Path) -> list[str]:
    return sorted(row["eventid"] for row in read_table_dir(day_dir))


def day_dir(out: Path, day: dt.date) -> Path:
    return out / f"proc_ymd={day:%Y%m%d}"


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    root = tmp_path_factory.mktemp("week") / "in"
    return root, build_week(root)


@pytest.fixture(scope="module")
def singles(week, tmp_path_factory):
    """Each day of the range converted by its own single-day run."""
    root, _ = week
    out = tmp_path_factory.mktemp("singles") / "table"
    reports = {}
    for day in DAYS:
        code, report = run_cli_captured("--input", str(root), "--output", str(out), "--date", day.isoformat())
        assert code == 0
        reports[day] = report
    return out, reports


def test_single_day_runs_write_what_their_folders_hold(week, singles):
    _, files = week
    out, reports = singles
    for day in DAYS:
        folders = [day - dt.timedelta(days=1), day]
        assert ids(day_dir(out, day)) == expected_ids(files, day, folders, first_delivery(day))
        report = reports[day]
        assert report["days"][0]["status"] == "written" and report["rows_written"] == len(ids(day_dir(out, day)))
        assert sum(report["events_for_other_days"].values()) == report["events_outside_day"] > 0
        assert (
            report["events_read"]
            == report["rows_written"]
            + report["duplicates_dropped"]
            + report["events_outside_day"]
            + report["events_quarantined"]
        )


def test_a_range_equals_the_single_day_runs_plus_the_late_files_of_later_folders(week, singles, tmp_path):
    root, files = week
    single_out, _ = singles
    out = tmp_path / "table"
    code, report = run_cli_captured(
        "--input", str(root), "--output", str(out), "--from", DAYS[0].isoformat(), "--to", DAYS[-1].isoformat()
    )
    assert code == 0
    range_folders = days_between(DAYS[0] - dt.timedelta(days=1), DAYS[-1])
    for day in DAYS:
        written = ids(day_dir(out, day))
        assert written == expected_ids(files, day, range_folders, first_delivery(DAYS[0]))
        single = ids(day_dir(single_out, day))
        late = sorted(set(written) - set(single))
        assert set(single) <= set(written)
        assert late == ([f"late1-{i}" for i in range(4)] if day == DAYS[1] else [])  # late4 is in a later folder

    assert [d["target_date"] for d in report["days"]] == [day.isoformat() for day in DAYS]
    assert all(d["status"] == "written" for d in report["days"])
    read_files = [rel for rel in files if folder(rel) in range_folders and delivered(rel) >= first_delivery(DAYS[0])]
    assert report["input_files"] == len(read_files)  # each file listed once
    assert report["events_read"] == sum(len(files[rel]) for rel in read_files)
    days = report["days"]
    assert report["events_read"] == (
        sum(d["rows_written"] + d["duplicates_dropped"] for d in days)
        + sum(report["events_for_other_days"].values())
        + report["events_quarantined"]
    )
    # Events of the days around the range, counted by day: the hour before it began and the 9 hours after it ended.
    other = {
        day.isoformat(): sum(1 for rel in read_files for r in files[rel] if kst_day(r) == day)
        for day in (DAYS[0] - dt.timedelta(days=1), DAYS[-1] + dt.timedelta(days=1))
    }
    assert report["events_for_other_days"] == other
    assert sorted(p.name for p in out.iterdir()) == [f"proc_ymd={day:%Y%m%d}" for day in DAYS]
    assert all(len(list(day_dir(out, day).glob("*.parquet"))) <= 2 for day in DAYS)  # the day's own tasks only


def test_late_days_reads_the_folders_after_the_last_day(week, tmp_path, capsys):
    root, files = week
    out = tmp_path / "table"
    last = DAYS[-1]
    args = ["--input", str(root), "--output", str(out), "--date", last.isoformat()]
    code, plain = run_cli_captured(*args)
    assert code == 0 and not any(i.startswith("late4") for i in ids(day_dir(out, last)))
    code, report = run_cli_captured(*args, "--late-days", "2")
    assert code == 0
    folders = [last - dt.timedelta(days=1), last, last + dt.timedelta(days=1), last + dt.timedelta(days=2)]
    assert ids(day_dir(out, last)) == expected_ids(files, last, folders, first_delivery(last))
    assert {f"late4-{i}" for i in range(4)} <= set(ids(day_dir(out, last)))
    assert report["rows_written"] == plain["rows_written"] + 4


def test_late_deliveries_of_earlier_days_are_counted_and_named(week, tmp_path, capsys):
    root, _ = week
    from cloudtrail_etl.cli import run_command

    day = DAYS[3]  # folder DAYS[3] holds late1, four events of DAYS[1]
    assert run_command(["--input", str(root), "--output", str(tmp_path / "t"), "--date", day.isoformat()]) == 0
    *_, summary, report_line = capsys.readouterr().out.splitlines()
    report = json.loads(report_line)
    assert report["events_for_other_days"][DAYS[1].isoformat()] == 4
    assert report["late_events"] == {DAYS[1].isoformat(): 4}  # DAYS[2]'s events in folder DAYS[2] are not late
    assert report["events_for_other_days"][DAYS[2].isoformat()] > 0
    assert summary.endswith(
        f"; 4 events of days before {day} were delivered late ({DAYS[1]}): run --from {DAYS[1]} --to {day} to add them"
    )


def test_a_day_without_input_is_left_as_it_is(tmp_path):
    root = tmp_path / "in"
    day = DAYS[1]
    records = [event(f"only-{i}", dt.datetime.combine(day, dt.time(3), tzinfo=UTC)) for i in range(3)]
    # Delivered at 20:00Z, in the folder of the day: the run of the next day reads it too (none of its events).
    write_delivery(root / key(dt.datetime.combine(day, dt.time(20), tzinfo=UTC), "x"), records)
    # Records that cannot be placed in a day, alone in a file that only DAYS[0]'s run reads: kept in the quarantine
    # although DAYS[0] itself has nothing to write.
    unplaceable = [{"eventID": "no-time"}, {"eventID": "bad-time", "eventTime": "yesterday"}]
    write_delivery(root / key(dt.datetime.combine(DAYS[0], dt.time(4), tzinfo=UTC), "q"), unplaceable)
    out = tmp_path / "table"
    kept = day_dir(out, DAYS[3])
    kept.mkdir(parents=True)
    (kept / "part-0.parquet").write_bytes(b"an earlier run's day")
    code, report = run_cli_captured(
        "--input", str(root), "--output", str(out), "--from", DAYS[0].isoformat(), "--to", DAYS[3].isoformat()
    )
    assert code == 0
    assert [(d["target_date"], d["status"], d["input_files"]) for d in report["days"]] == [
        (DAYS[0].isoformat(), "no_events", 1),
        (DAYS[1].isoformat(), "written", 1),
        (DAYS[2].isoformat(), "no_events", 1),
        (DAYS[3].isoformat(), "no_input", 0),
    ]
    assert ids(day_dir(out, DAYS[1])) == ["only-0", "only-1", "only-2"]
    assert (kept / "part-0.parquet").read_bytes() == b"an earlier run's day"
    assert report["events_quarantined"] == report["days"][0]["events_quarantined"] == 2
    quarantined = [
        json.loads(line)
        for path in sorted(day_dir(tmp_path / "table_quarantine", DAYS[0]).glob("*.json.gz"))
        for line in gzip.decompress(path.read_bytes()).decode().splitlines()
    ]
    assert sorted(json.loads(q["record"])["eventID"] for q in quarantined) == ["bad-time", "no-time"]
    assert not day_dir(out, DAYS[0]).exists() and not day_dir(out, DAYS[2]).exists()


def test_a_day_that_would_shrink_is_kept_unless_allowed(week, tmp_path, capsys):
    root, _ = week
    out = tmp_path / "table"
    args = ["--input", str(root), "--output", str(out), "--from", DAYS[0].isoformat(), "--to", DAYS[2].isoformat()]
    assert run_cli_captured(*args)[0] == 0
    before = {day: ids(day_dir(out, day)) for day in DAYS[:3]}
    # The raw files of DAYS[1]'s folder expire (a lifecycle rule): a re-run would now write a smaller day.
    expired = tmp_path / "expired"
    expired.mkdir()
    for path in (root / f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/{DAYS[1]:%Y/%m/%d}").glob("*.json.gz"):
        path.rename(expired / path.name)
    try:
        code, report = run_cli_captured(*args)
        statuses = {d["target_date"]: (d["status"], d["rows_written"], d["rows_before"]) for d in report["days"]}
        assert code == 9
        assert statuses[DAYS[1].isoformat()][0] == "kept: fewer rows"
        assert statuses[DAYS[1].isoformat()][2] == len(before[DAYS[1]]) > statuses[DAYS[1].isoformat()][1]
        assert ids(day_dir(out, DAYS[1])) == before[DAYS[1]]
        assert (
            "left untouched, the new version would hold fewer rows: " + DAYS[1].isoformat() in capsys.readouterr().err
        )
        # DAYS[2] also lost the files of its first folder: kept too; DAYS[0] is complete and rewritten.
        assert statuses[DAYS[2].isoformat()][0] == "kept: fewer rows"
        assert ids(day_dir(out, DAYS[2])) == before[DAYS[2]]
        assert statuses[DAYS[0].isoformat()][0] == "written"
        code, report = run_cli_captured(*args, "--allow-fewer-rows")
        assert code == 0 and all(d["status"] == "written" for d in report["days"])
        assert len(ids(day_dir(out, DAYS[1]))) == report["days"][1]["rows_written"] < len(before[DAYS[1]])
    finally:
        for path in expired.iterdir():
            path.rename(root / f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/{DAYS[1]:%Y/%m/%d}" / path.name)


def test_a_bad_file_keeps_only_the_days_that_read_it(week, tmp_path, capsys):
    root, _ = week
    out = tmp_path / "table"
    bad_delivery = dt.datetime.combine(DAYS[2], dt.time(20, 0), tzinfo=UTC)  # folder DAYS[2]: days 2 and 3 read it
    bad = root / key(bad_delivery, "truncated")
    whole = gzip.compress(json.dumps({"Records": [event("t", bad_delivery)] * 50}).encode())
    bad.write_bytes(whole[: len(whole) // 2])
    try:
        args = ["--input", str(root), "--output", str(out), "--from", DAYS[0].isoformat(), "--to", DAYS[4].isoformat()]
        code, report = run_cli_captured(*args)
        assert code == 5
        assert [d["status"] for d in report["days"]] == [
            "written",
            "written",
            "kept: unreadable files",
            "kept: unreadable files",
            "written",
        ]
        assert [b["path"] for b in report["bad_files"]] == [str(bad)]
        assert not day_dir(out, DAYS[2]).exists() and not day_dir(out, DAYS[3]).exists()
        assert day_dir(out, DAYS[4]).exists()
        err = capsys.readouterr().err
        assert f"not written: {DAYS[2]}, {DAYS[3]} (use --skip-bad-files" in err
        code, report = run_cli_captured(*args, "--skip-bad-files")
        assert code == 0 and all(d["status"] == "written" for d in report["days"])
    finally:
        bad.unlink()


def test_a_range_puts_every_written_day_in_the_catalog_at_once(week, tmp_path, moto_endpoint):  # noqa: F811
    reset_moto(moto_endpoint)
    root, _ = week
    out = tmp_path / "table"
    args = ["--input", str(root), "--output", str(out), "--from", DAYS[0].isoformat(), "--to", DAYS[2].isoformat()]
    code, report = run_cli_captured(*args, "--catalog-table", "security.cloudtrail")
    assert code == 0
    codes = [f"{day:%Y%m%d}" for day in DAYS[:3]]
    assert report["catalog"]["partitions_created"] == codes and report["catalog"]["partitions_updated"] == []
    glue = client("glue", moto_endpoint)
    partitions = glue.get_partitions(DatabaseName="security", TableName="cloudtrail")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == codes
