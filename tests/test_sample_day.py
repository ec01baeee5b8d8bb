"""End to end on generated sample data: exact rows per KST day, derived from the files by the test itself."""

import datetime as dt
from pathlib import Path

import pytest

from cloudtrail_etl.sample import SampleSpec, write_sample_trail
from tests.conftest import read_records, read_table_dir, run_cli_captured

KST = dt.timezone(dt.timedelta(hours=9))
SPEC = SampleSpec(
    start=dt.date(2026, 1, 1),
    days=3,
    delivery_interval_minutes=30,
    events_per_file=(5, 15),
    duplicate_rate=0.05,
    seed=11,
)


@pytest.fixture(scope="module")
def trail(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    write_sample_trail(root, SPEC)
    return root


def folder_records(root: Path, day: dt.date, delivered_since: dt.datetime | None = None):
    """(record, folder day) for every record in the UTC folders D-1 and D, read with gzip + json; only of the files
    delivered (by their name) at or after `delivered_since` when given."""
    found = []
    for folder_day in (day - dt.timedelta(days=1), day):
        files = root.glob(f"AWSLogs/*/CloudTrail/*/{folder_day:%Y/%m/%d}/*.json.gz")
        if delivered_since:
            files = [f for f in files if delivery_time(f) >= delivered_since]
        found += [(record, folder_day) for record in read_records(files)]
    return found


def delivery_time(path: Path) -> dt.datetime:
    stamp = path.name.split("_")[3]  # ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_RANDOM.json.gz
    return dt.datetime.strptime(stamp, "%Y%m%dT%H%MZ").replace(tzinfo=dt.timezone.utc)


def kst_day(record) -> dt.date:
    instant = dt.datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    return instant.astimezone(KST).date()


@pytest.mark.parametrize("day", [dt.date(2026, 1, 2), dt.date(2026, 1, 3)])
def test_rows_of_each_kst_day_match_the_files(trail, tmp_path, day):
    records = folder_records(trail, day)
    in_day = [r for r, _ in records if kst_day(r) == day]
    expected_ids = {r["eventID"] for r in in_day}
    # Files of folder D-1 delivered more than an hour before the day began (15:00Z) are not read.
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=KST).astimezone(dt.timezone.utc)
    read = folder_records(trail, day, delivered_since=day_start - dt.timedelta(hours=1))
    assert len(read) < len(records)

    code, report = run_cli_captured("--input", str(trail), "--output", str(tmp_path), "--date", day.isoformat())
    assert code == 0
    rows = read_table_dir(tmp_path / f"proc_ymd={day:%Y%m%d}")
    assert len(rows) == len(expected_ids) == report["rows_written"]
    assert {r["eventid"] for r in rows} == expected_ids
    assert report["events_read"] == len(read)
    assert report["events_in_day"] == len(in_day)
    assert report["duplicates_dropped"] == len(in_day) - len(expected_ids) > 0
    assert report["events_outside_day"] == len(read) - len(in_day)
    listed = {
        p
        for d in (day - dt.timedelta(days=1), day)
        for p in trail.glob(f"AWSLogs/*/CloudTrail/*/{d:%Y/%m/%d}/*.json.gz")
    }
    skipped = [p for p in listed if delivery_time(p) < day_start - dt.timedelta(hours=1)]
    assert report["files_delivered_before_day"] == len(skipped) > 0
    assert report["input_files"] == len(listed) - len(skipped)
    assert report["bad_files"] == [] and report["events_quarantined"] == 0 and report["unmapped_fields"] == {}
    assert all(r["eventtime_kst"].date() == day for r in rows)
    assert 1 <= report["output_files"] <= 4


def test_events_delivered_across_utc_midnight_land_in_their_kst_day(trail, tmp_path):
    day = dt.date(2026, 1, 2)
    records = folder_records(trail, day)
    # Late deliveries: events of KST day D found in folder D although they happened on UTC day D-1, and events of
    # KST day D in folder D-1 (UTC 15:00-24:00 of D-1).
    crossed = {r["eventID"] for r, folder in records if folder == day and r["eventTime"] < f"{day:%Y-%m-%d}"}
    early = {r["eventID"] for r, folder in records if folder < day and kst_day(r) == day}
    outside = {r["eventID"] for r, _ in records if kst_day(r) != day}
    assert crossed and early and outside

    code, _ = run_cli_captured("--input", str(trail), "--output", str(tmp_path), "--date", day.isoformat())
    assert code == 0
    written = {r["eventid"] for r in read_table_dir(tmp_path / "proc_ymd=20260102")}
    assert crossed <= written and early <= written
    assert not (outside - {r["eventID"] for r, _ in records if kst_day(r) == day}) & written
