"""A run as stages: their times add up to the run's, and each written day's volume per delivery stream and KST hour
equals a count made here from the input files (gzip + json or split only); a stream with rows on the day before and
none on a day is named silent on it. For CloudTrail and VPC flow logs."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from cloudtrail_etl.sample import SampleSpec, write_sample_trail
from cloudtrail_etl.sample.vpcflow import FlowSampleSpec, write_flow_logs
from tests.conftest import run_cli_captured
from tests.flowlogs import flow_log_files, read_records

KST = dt.timezone(dt.timedelta(hours=9))
FIRST, SECOND, THIRD = dt.date(2026, 1, 2), dt.date(2026, 1, 3), dt.date(2026, 1, 4)
STAGES = ["recover", "list", "convert", "check", "publish", "volume", "catalog", "report"]
FOLDER = re.compile(r"/(?:year=)?([0-9]{4})/(?:month=)?([0-9]{2})/(?:day=)?([0-9]{2})/")
FLOW_NAME = re.compile(r"^([0-9]{12})_vpcflowlogs_([a-z0-9-]+)_(fl-[0-9a-f]+)_")


def folder_day(path: Path) -> dt.date:
    y, m, d = FOLDER.search(path.as_posix()).groups()  # type: ignore[union-attr]
    return dt.date(int(y), int(m), int(d))


def read_folders(first: dt.date, last: dt.date) -> set[dt.date]:
    """The UTC folders a run of the KST days first..last reads (no late days): first-1 .. last."""
    return {first - dt.timedelta(days=1) + dt.timedelta(days=n) for n in range((last - first).days + 2)}


def hours_by_stream(counts: Counter, day: dt.date) -> dict[tuple, list[int]]:
    """(day, stream, hour) -> rows as the report's stream -> 24 numbers, for one day."""
    found: dict[tuple, list[int]] = {}
    for (on, stream, hour), n in counts.items():
        if on == day:
            found.setdefault(stream, [0] * 24)[hour] += n
    return found


def report_volume(day: dict, keys: tuple[str, ...]) -> dict[tuple, list[int]]:
    volume = day["volume"]
    assert volume == sorted(volume, key=lambda v: tuple(v[k] for k in keys)), "volume is sorted by stream"
    assert all(v["rows"] == sum(v["hours"]) and len(v["hours"]) == 24 for v in volume)
    return {tuple(v[k] for k in keys): v["hours"] for v in volume}


def assert_stages_add_up(report: dict) -> None:
    stages = report["stages"]
    assert [s["name"] for s in stages] == STAGES
    total = sum(s["seconds"] for s in stages)
    assert abs(total - report["duration_s"]) <= 0.03 * report["duration_s"] + 0.05, (total, report["duration_s"])
    convert = next(s for s in stages if s["name"] == "convert")
    assert convert["task_cpu_s"] is not None and convert["task_cpu_s"] > 0  # local mode: the status store is there
    assert all("task_cpu_s" not in s for s in stages if s["name"] != "convert")


def test_a_failed_run_reports_the_stages_it_ran_and_where_it_stopped(tmp_path):
    (tmp_path / "in" / "AWSLogs").mkdir(parents=True)
    args = ["--input", str(tmp_path / "in"), "--output", str(tmp_path / "table"), "--date", str(FIRST)]
    code, report = run_cli_captured(*args, "--require-input")
    assert code == 4 and report["status"] == "failed"
    assert [s["name"] for s in report["stages"]] == ["recover", "list", "report"]
    total = sum(s["seconds"] for s in report["stages"])
    assert abs(total - report["duration_s"]) <= 0.03 * report["duration_s"] + 0.05
    assert report["days"][0]["volume"] is None and report["days"][0]["streams"] is None


# --- CloudTrail -------------------------------------------------------------------------------------------------

CT_KEYS = ("account", "region")


def trail_counts(root: Path, folders: set[dt.date]) -> Counter:
    """(KST day, (recipientAccountId, awsRegion), KST hour) -> distinct eventIDs, from the delivery files of the
    folders a run reads (the job keeps one row per eventID)."""
    seen: dict[tuple, set] = {}
    for path in sorted((root / "AWSLogs").rglob("*.json.gz")):
        if "/CloudTrail/" not in path.as_posix() or folder_day(path) not in folders:
            continue
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for record in json.load(handle)["Records"]:
                at = dt.datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
                kst = at.astimezone(KST)
                stream = (record["recipientAccountId"], record["awsRegion"])
                seen.setdefault((kst.date(), stream, kst.hour), set()).add(record["eventID"])
    return Counter({key: len(ids) for key, ids in seen.items()})


@pytest.fixture(scope="module")
def trail(tmp_path_factory) -> Path:
    """Three UTC days of two accounts x two regions, a delivery every 30 minutes, 1% duplicate deliveries."""
    root = tmp_path_factory.mktemp("trail") / "in"
    write_sample_trail(root, SampleSpec(start=dt.date(2026, 1, 1), days=3, delivery_interval_minutes=30, seed=11))
    return root


@pytest.fixture(scope="module")
def trail_range(trail, tmp_path_factory):
    out = tmp_path_factory.mktemp("trail-table") / "table"
    code, report = run_cli_captured(
        "--input", str(trail), "--output", str(out), "--from", str(FIRST), "--to", str(SECOND)
    )
    assert code == 0, report.get("error")
    return report, out


def test_cloudtrail_stages_add_up_to_the_run(trail_range):
    assert_stages_add_up(trail_range[0])


def test_cloudtrail_volume_per_account_region_and_hour_equals_the_files(trail, trail_range):
    report, _ = trail_range
    counts = trail_counts(trail, read_folders(FIRST, SECOND))
    for day in report["days"]:
        date = dt.date.fromisoformat(day["target_date"])
        expected = hours_by_stream(counts, date)
        assert len(expected) == 4  # two accounts x two regions
        assert report_volume(day, CT_KEYS) == expected
        assert sum(v["rows"] for v in day["volume"]) == day["rows_written"]
    first, second = report["days"]
    # A new table has no day before the first: nothing to compare with. The second's is the run's own first day.
    assert first["streams"] == {"present": 4, "silent": [], "reference_day": None}
    assert second["streams"] == {"present": 4, "silent": [], "reference_day": str(FIRST)}


def test_a_cloudtrail_stream_present_the_day_before_and_absent_is_named_silent(trail, trail_range, tmp_path):
    """The table holds 2026-01-03 with every stream; one account's us-east-1 delivers nothing after it."""
    _, out = trail_range
    gone = "AWSLogs/444455556666/CloudTrail/us-east-1/2026/01/03"
    quieter = tmp_path / "in"
    shutil.copytree(trail, quieter, ignore=lambda folder, _: ["03"] if folder.endswith(gone[: -len("/03")]) else [])
    assert not (quieter / gone).exists() and (trail / gone).exists()
    code, report = run_cli_captured("--input", str(quieter), "--output", str(out), "--date", str(THIRD))
    assert code == 0, report.get("error")
    (day,) = report["days"]
    counts = trail_counts(quieter, read_folders(THIRD, THIRD))
    assert report_volume(day, CT_KEYS) == hours_by_stream(counts, THIRD)
    assert day["streams"] == {
        "present": 3,
        "silent": [{"account": "444455556666", "region": "us-east-1"}],
        "reference_day": str(SECOND),
    }
    assert_stages_add_up(report)


# --- VPC flow logs ----------------------------------------------------------------------------------------------

FLOW_KEYS = ("account", "region", "flow_log_id")


def flow_counts(root: Path, folders: set[dt.date]) -> Counter:
    """(KST day, (account, region, flow log id) of the file's name, KST hour of start) -> lines."""
    counts: Counter = Counter()
    for path in flow_log_files(root):
        if folder_day(path) not in folders:
            continue
        stream = FLOW_NAME.match(path.name).groups()  # type: ignore[union-attr]
        for record in read_records(path):
            kst = dt.datetime.fromtimestamp(record["start"], KST)
            counts[(kst.date(), stream, kst.hour)] += 1
    return counts


@pytest.fixture(scope="module")
def flows(tmp_path_factory) -> Path:
    """The sample's four flow logs over two accounts and regions (plain daily, plain hourly, Hive-compatible
    hourly folders), no late files: each day's records are in the folders its run reads."""
    root = tmp_path_factory.mktemp("flows") / "in"
    write_flow_logs(root, FlowSampleSpec(days=3, flows_per_window=0.5, interfaces_per_account=3, late_file_rate=0.0))
    return root


@pytest.fixture(scope="module")
def flow_range(flows, tmp_path_factory):
    out = tmp_path_factory.mktemp("flow-table") / "table"
    args = ["--source", "vpcflow", "--input", str(flows), "--output", str(out)]
    code, report = run_cli_captured(*args, "--from", str(FIRST), "--to", str(SECOND))
    assert code == 0, report.get("error")
    return report, out


def test_vpcflow_volume_per_flow_log_and_hour_equals_the_files(flows, flow_range):
    report, _ = flow_range
    assert_stages_add_up(report)
    counts = flow_counts(flows, read_folders(FIRST, SECOND))
    for day in report["days"]:
        expected = hours_by_stream(counts, dt.date.fromisoformat(day["target_date"]))
        assert len(expected) == 4 and len({stream[:2] for stream in expected}) == 2  # 4 flow logs, 2 accounts
        assert report_volume(day, FLOW_KEYS) == expected
        assert sum(v["rows"] for v in day["volume"]) == day["rows_written"]
    assert [d["streams"]["reference_day"] for d in report["days"]] == [None, str(FIRST)]
    assert [d["streams"]["silent"] for d in report["days"]] == [[], []]


def test_a_flow_log_present_the_day_before_and_absent_is_named_silent(flows, flow_range, tmp_path):
    """One flow log (of the shared account and region: the others there still deliver) stops after 2026-01-03."""
    _, out = flow_range
    stopped = "fl-0b2c3d4e5f6071829"
    quieter = tmp_path / "in"

    def drop(folder: str, names: list[str]) -> list[str]:
        return [
            n for n in names if stopped in n and FOLDER.search(f"{folder}/") and folder_day(Path(folder, n)) == SECOND
        ]

    shutil.copytree(flows, quieter, ignore=drop)
    assert len(flow_log_files(quieter)) < len(flow_log_files(flows))
    args = ["--source", "vpcflow", "--input", str(quieter), "--output", str(out)]
    code, report = run_cli_captured(*args, "--date", str(THIRD))
    assert code == 0, report.get("error")
    (day,) = report["days"]
    assert report_volume(day, FLOW_KEYS) == hours_by_stream(flow_counts(quieter, read_folders(THIRD, THIRD)), THIRD)
    assert day["streams"] == {
        "present": 3,
        "silent": [{"account": "111122223333", "region": "ap-northeast-2", "flow_log_id": stopped}],
        "reference_day": str(SECOND),
    }
