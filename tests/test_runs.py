"""Whole runs: re-runs, next days, time-zone independence, a crash in the middle of a write."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import read_table_dir, run_cli_captured, write_delivery

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT_FOLDER = "AWSLogs/111122223333/CloudTrail/ap-northeast-2"


def event(event_id, time):
    return {"eventID": event_id, "eventTime": time, "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole"}


@pytest.fixture(scope="module")
def boundary_trail(tmp_path_factory):
    """Events on both sides of each KST midnight, spread over three UTC folders."""
    root = tmp_path_factory.mktemp("boundary") / "in"
    folders = {
        "2026/01/01": ["2026-01-01T14:59:59Z", "2026-01-01T15:00:00Z", "2026-01-01T23:59:59Z"],
        "2026/01/02": ["2026-01-01T23:58:00Z", "2026-01-02T00:00:00Z", "2026-01-02T14:59:59.999Z"],
        "2026/01/03": ["2026-01-02T15:00:00Z", "2026-01-03T09:00:00+09:00", "2026-01-03T14:59:59Z"],
    }
    for folder, times in folders.items():
        records = [event(f"{folder}-{i}", t) for i, t in enumerate(times)]
        write_delivery(root / ACCOUNT_FOLDER / folder / "f.json.gz", records)
    return root


def ids(day_dir):
    return sorted(r["eventid"] for r in read_table_dir(day_dir))


def test_rerun_replaces_the_day_and_next_day_adds_a_partition(boundary_trail, tmp_path):
    out = tmp_path / "table"
    args = ["--input", str(boundary_trail), "--output", str(out)]
    code, first = run_cli_captured(*args, "--date", "2026-01-02")
    assert code == 0
    day2 = out / "proc_ymd=20260102"
    expected_day2 = ["2026/01/01-1", "2026/01/01-2", "2026/01/02-0", "2026/01/02-1", "2026/01/02-2"]
    assert ids(day2) == expected_day2
    files_before = sorted(p.name for p in day2.glob("*.parquet"))

    code, again = run_cli_captured(*args, "--date", "20260102")
    assert code == 0 and again["rows_written"] == first["rows_written"] == 5
    assert ids(day2) == expected_day2
    assert sorted(p.name for p in day2.glob("*.parquet")) != files_before  # replaced, not appended to

    day2_files = sorted((p.name, p.stat().st_mtime_ns) for p in day2.iterdir())
    code, _ = run_cli_captured(*args, "--date", "2026-01-03")
    assert code == 0
    assert ids(out / "proc_ymd=20260103") == ["2026/01/03-0", "2026/01/03-1", "2026/01/03-2"]
    assert sorted((p.name, p.stat().st_mtime_ns) for p in day2.iterdir()) == day2_files
    assert sorted(p.name for p in out.iterdir()) == ["proc_ymd=20260102", "proc_ymd=20260103"]


def run_subprocess(args, env_extra, **kwargs):
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "cloudtrail_etl", "run", *args], env=env, capture_output=True, text=True, **kwargs
    )


@pytest.mark.parametrize(
    ("machine_tz", "session_tz"),
    [("Asia/Seoul", "America/Los_Angeles"), ("America/New_York", "Asia/Kolkata")],
)
def test_results_do_not_depend_on_machine_or_session_time_zone(boundary_trail, tmp_path, machine_tz, session_tz):
    reference = tmp_path / "reference"
    code, _ = run_cli_captured("--input", str(boundary_trail), "--output", str(reference), "--date", "2026-01-02")
    assert code == 0
    other = tmp_path / "other"
    result = run_subprocess(
        ["--input", str(boundary_trail), "--output", str(other), "--date", "2026-01-02"],
        {"TZ": machine_tz, "PYSPARK_SUBMIT_ARGS": f"--conf spark.sql.session.timeZone={session_tz} pyspark-shell"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]

    def rows(path):
        return sorted(
            (r["eventid"], r["eventtime"], r["eventtime_kst"]) for r in read_table_dir(path / "proc_ymd=20260102")
        )

    assert rows(other) == rows(reference)
    assert len(rows(other)) == 5


def test_a_crash_in_the_middle_of_a_write_leaves_the_previous_day_intact(tmp_path):
    root = tmp_path / "in"
    write_delivery(root / ACCOUNT_FOLDER / "2026/01/02/old.json.gz", [event("old", "2026-01-02T01:00:00Z")])
    out = tmp_path / "table"
    args = ["--input", str(root), "--output", str(out), "--date", "2026-01-02"]
    assert run_cli_captured(*args)[0] == 0
    day = out / "proc_ymd=20260102"
    before = sorted((p.name, p.read_bytes()) for p in day.iterdir())

    # Enough new events that the Spark write takes a while, then kill the run while it is writing.
    for f in range(40):
        records = [event(f"new-{f}-{i}", "2026-01-02T02:00:00Z") for i in range(2500)]
        write_delivery(root / ACCOUNT_FOLDER / f"2026/01/02/new{f}.json.gz", records)
    env = {**os.environ, "CLOUDTRAIL_ETL_MASTER": "local[1]"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cloudtrail_etl", "run", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    staging = out.parent / "table_staging"
    while time.monotonic() < deadline and process.poll() is None:
        if list(staging.glob("*/table/_temporary/*")):
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be interrupted"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)

    assert sorted((p.name, p.read_bytes()) for p in day.iterdir()) == before
    assert sorted(p.name for p in out.iterdir()) == ["proc_ymd=20260102"]

    code, report = run_cli_captured(*args)  # the next run completes the day
    assert code == 0 and report["rows_written"] == 1 + 40 * 2500
    assert json.dumps(report)  # the report is JSON


@pytest.mark.skipif(
    "CLOUDTRAIL_ETL_DRIVER_JAVA_OPTIONS" in os.environ, reason="JVM options replaced by the environment"
)
def test_the_local_jvm_gets_the_jit_options(spark):
    runtime = spark._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    arguments = set(runtime.getInputArguments())
    assert {"-XX:Tier4InvocationThreshold=50000", "-XX:Tier4BackEdgeThreshold=400000"} <= arguments
