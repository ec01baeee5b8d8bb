"""What a user sees: our lines only on the console, and filter mistakes named before any work."""

import gzip
import json
import os
import subprocess
import sys

from tests.conftest import error_lines, run_cli_captured, write_delivery

DAY = "2026-01-02"
ACCOUNT = "111122223333"
FOLDER = f"AWSLogs/{ACCOUNT}/CloudTrail/ap-northeast-2/2026/01/02"


def records(n):
    return [
        {"eventVersion": "1.09", "eventTime": "2026-01-02T01:00:00Z", "eventID": f"e{i}", "eventName": "GetObject"}
        for i in range(n)
    ]


def test_a_truncated_gzip_run_prints_our_lines_only(tmp_path):
    whole = gzip.compress(json.dumps({"Records": records(300)}).encode())
    write_delivery(tmp_path / "in" / FOLDER / "good.json.gz", records(3))
    write_delivery(tmp_path / "in" / FOLDER / "truncated.json.gz", [], raw=whole[: len(whole) // 2])
    env = {k: v for k, v in os.environ.items() if k != "CLOUDTRAIL_ETL_SPARK_LOG_LEVEL"}
    env.setdefault("CLOUDTRAIL_ETL_MASTER", "local[2]")
    args = ["run", "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--date", DAY]
    done = subprocess.run(
        [sys.executable, "-m", "cloudtrail_etl", *args], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 5
    console = done.stdout + done.stderr
    for noise in ("at org.apache", "Exception", "WARN"):
        assert noise not in console
    assert error_lines(done.stderr) == [
        f"cloudtrail-etl: error: 1 unreadable file(s): {tmp_path / 'in' / FOLDER / 'truncated.json.gz'} "
        "(unreadable: corrupt, truncated or empty gzip); the day was not written "
        "(use --skip-bad-files to write the good events)"
    ]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["status"] == "failed" and report["events_read"] == 3


def test_filters_that_are_not_account_ids_or_regions_are_usage_errors(tmp_path, capsys):
    base = ["--input", str(tmp_path), "--output", str(tmp_path / "out"), "--date", DAY]
    from cloudtrail_etl.cli import run_command

    assert run_command([*base, "--accounts", "abc"]) == 2
    assert run_command([*base, "--accounts", f"{ACCOUNT},12345"]) == 2
    assert run_command([*base, "--regions", "US-EAST-1"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert errors == [
        "cloudtrail-etl: error: --accounts: abc is not a 12-digit AWS account id",
        "cloudtrail-etl: error: --accounts: 12345 is not a 12-digit AWS account id",
        "cloudtrail-etl: error: --regions: US-EAST-1 is not an AWS region name (like ap-northeast-2)",
    ]


def test_filters_that_match_nothing_fail_naming_what_the_input_holds(tmp_path, capsys):
    write_delivery(tmp_path / "in" / FOLDER / "a.json.gz", records(2))
    write_delivery(tmp_path / "in" / FOLDER.replace("ap-northeast-2", "us-east-1") / "b.json.gz", records(2))
    base = ["--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--date", DAY]

    code, report = run_cli_captured(*base, "--accounts", "999999999999")
    assert code == 3 and report["status"] == "failed" and report["rows_written"] == 0
    code, _ = run_cli_captured(*base, "--regions", "xx-nowhere-1")
    assert code == 3
    assert not (tmp_path / "out").exists()
    code, report = run_cli_captured(*base, "--accounts", f"{ACCOUNT},999999999999", "--regions", "us-east-1")
    assert code == 0 and report["input_files"] == 1 and report["rows_written"] == 2
    errors = error_lines(capsys.readouterr().err)
    assert errors == [
        f"cloudtrail-etl: error: --accounts 999999999999 matches nothing under {tmp_path / 'in'}, "
        f"which holds accounts {ACCOUNT}",
        f"cloudtrail-etl: error: --regions xx-nowhere-1 matches nothing under {tmp_path / 'in'}, "
        "which holds regions ap-northeast-2, us-east-1",
    ]


def test_a_day_without_input_says_nothing_was_written(tmp_path, capsys):
    write_delivery(tmp_path / "in" / FOLDER / "a.json.gz", records(2))
    (tmp_path / "out" / "proc_ymd=20260105").mkdir(parents=True)
    (tmp_path / "out" / "proc_ymd=20260105" / "part-0.parquet").write_bytes(b"kept")
    from cloudtrail_etl.cli import run_command

    code = run_command(["--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--date", "2026-01-05"])
    *_, summary, report_line = capsys.readouterr().out.splitlines()
    report = json.loads(report_line)
    assert code == 0 and report["input_files"] == 0 and report["rows_written"] == 0
    assert summary == (
        f"no delivery files for KST day 2026-01-05 under {tmp_path / 'in'}: "
        "nothing was written, the table was left as it was"
    )
    assert (tmp_path / "out" / "proc_ymd=20260105" / "part-0.parquet").read_bytes() == b"kept"


def test_spark_does_not_log_the_corrupt_files_it_skips_below_error(spark):
    from cloudtrail_etl.session import QUIET_LOGGERS

    log_manager = spark._jvm.org.apache.logging.log4j.LogManager
    assert [str(log_manager.getLogger(name).getLevel()) for name in QUIET_LOGGERS] == ["ERROR"]


def test_a_flow_log_fast_read_that_fails_on_a_truncated_gzip_prints_our_lines_only(tmp_path):
    """The fast read meets the cut file first (an executor error); the run says so in one line and reads again."""
    folder = tmp_path / "in/AWSLogs/111122223333/vpcflowlogs/ap-northeast-2/2026/01/02"
    folder.mkdir(parents=True)
    header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action"
    lines = [
        f"2 111122223333 eni-1 10.0.0.{i % 250} 10.0.0.9 443 5000 6 3 120 1767330000 1767330005 ACCEPT"
        for i in range(3000)
    ]
    name = "111122223333_vpcflowlogs_ap-northeast-2_fl-aa_20260102T05{:02d}Z_0123abcd.log.gz"
    (folder / name.format(0)).write_bytes(gzip.compress(("\n".join([header, *lines[:3]]) + "\n").encode()))
    whole = gzip.compress(("\n".join([header, *lines]) + "\n").encode())
    truncated = folder / name.format(5)
    truncated.write_bytes(whole[: len(whole) // 2])
    env = {k: v for k, v in os.environ.items() if k != "CLOUDTRAIL_ETL_SPARK_LOG_LEVEL"}
    env.setdefault("CLOUDTRAIL_ETL_MASTER", "local[2]")
    args = ["run", "--source", "vpcflow", "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out")]
    done = subprocess.run(
        [sys.executable, "-m", "cloudtrail_etl", *args, "--date", DAY], capture_output=True, text=True, env=env,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 5
    console = done.stdout + done.stderr
    for noise in ("at org.apache", " WARN ", " ERROR ", "Traceback", "\tat "):
        assert noise not in console
    fallback = [line for line in done.stderr.splitlines() if "the fast read failed" in line]
    assert len(fallback) == 1
    assert error_lines(done.stderr) == [
        f"cloudtrail-etl: error: 1 unreadable file(s): {truncated} (unreadable: corrupt, truncated or empty gzip); "
        "the day was not written (use --skip-bad-files to write the good events)"
    ]
