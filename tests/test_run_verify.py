"""`run --verify-digests`: the days are written as usual, the report carries the integrity object, and a problem
makes the run exit with the integrity code (10) so that a scheduler alerts."""

from __future__ import annotations

import pytest

from tests.conftest import error_lines, read_table_dir, run_cli_captured
from tests.integrity_trail import DAY, change_log_file, copy_trail, make_trail


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return make_trail(tmp_path_factory.mktemp("run-verify") / "clean")


def run(trail, out, *extra):
    return run_cli_captured(
        "--input", str(trail.root), "--output", str(out), "--date", DAY.isoformat(), "--verify-digests", *extra
    )


def test_a_clean_day_is_converted_and_verified(built, tmp_path):
    code, report = run(built, tmp_path / "table")
    assert code == 0 and report["status"] == "succeeded"
    integrity = report["integrity"]
    assert integrity["status"] == "intact" and integrity["log_files_verified"] == len(built.day_logs())
    assert integrity["signatures"]["checked"] is False  # a local folder has no S3 metadata
    assert report["rows_written"] == len(read_table_dir(tmp_path / "table" / f"proc_ymd={DAY:%Y%m%d}")) > 0


def test_a_changed_log_file_fails_the_run_after_the_day_was_written(built, tmp_path, capsys):
    trail = copy_trail(built, tmp_path / "trail")
    changed = trail.day_logs()[len(trail.day_logs()) // 2]
    change_log_file(trail.root / changed)
    code, report = run(trail, tmp_path / "table")
    assert code == 10 and report["status"] == "failed"
    assert report["integrity"]["modified_log_files"] == [changed]
    assert all(not report["integrity"][name] for name in ("missing_log_files", "unlisted_log_files"))
    assert report["days"][0]["status"] == "written"
    assert len(read_table_dir(tmp_path / "table" / f"proc_ymd={DAY:%Y%m%d}")) == report["rows_written"] > 0
    (error,) = error_lines(capsys.readouterr().err)
    assert error.startswith("cloudtrail-etl: error: digest check failed: log file does not match its digest hash: ")
    assert changed in error


def test_a_day_whose_log_files_were_all_deleted_still_fails_the_check(built, tmp_path):
    trail = copy_trail(built, tmp_path / "trail")
    for rel in trail.logs():
        (trail.root / rel).unlink()
    code, report = run(trail, tmp_path / "table")
    assert code == 10 and report["input_files"] == 0
    assert set(report["integrity"]["missing_log_files"]) >= set(built.day_logs())


def test_public_keys_go_with_verify_digests(built, tmp_path, capsys):
    from cloudtrail_etl.cli import run_command

    args = ["--input", str(built.root), "--output", str(tmp_path / "t"), "--date", DAY.isoformat()]
    assert run_command([*args, "--public-keys", "k"]) == 2
    assert run_command([*args, "--verify-digests", "--public-keys", str(tmp_path / "none.json")]) == 2
    errors = error_lines(capsys.readouterr().err)
    assert errors[0] == "cloudtrail-etl: error: --public-keys goes with --verify-digests"
    assert errors[1].startswith(f"cloudtrail-etl: error: --public-keys {tmp_path / 'none.json'}: ")
    assert not (tmp_path / "t").exists()
