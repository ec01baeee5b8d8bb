import datetime as dt

import pytest

from cloudtrail_etl.config import parse_run_args
from cloudtrail_etl.errors import UsageError

BASE = ["--input", "s3://logs/ct", "--output", "s3://lake/cloudtrail", "--date", "20260102"]


def test_parses_our_options():
    config = parse_run_args([*BASE, "--accounts", "111122223333,444455556666", "--regions", "us-east-1", "--wait"])
    assert config.day == dt.date(2026, 1, 2)
    assert config.accounts == ("111122223333", "444455556666")
    assert config.regions == ("us-east-1",)
    assert config.wait is True
    assert config.quarantine_root == "s3://lake/cloudtrail_quarantine"


def test_glue_arguments_in_any_order_are_ignored():
    argv = [
        "--JOB_ID", "j_0123", "--enable-metrics", "--input", "s3://logs/ct", "--JOB_RUN_ID", "jr_1",
        "--job-bookmark-option", "job-bookmark-disable", "--TempDir", "s3://tmp/", "--enable-glue-datacatalog",
        "--output", "s3://lake/cloudtrail", "--JOB_NAME", "cloudtrail-etl", "--date", "2026-01-02",
        "--enable-continuous-cloudwatch-log", "true", "--extra-py-files", "s3://code/cloudtrail_etl.zip",
    ]  # fmt: skip
    config = parse_run_args(argv)
    assert (config.input, config.output, config.day) == ("s3://logs/ct", "s3://lake/cloudtrail", dt.date(2026, 1, 2))


def test_misspelt_option_fails_with_a_hint():
    with pytest.raises(UsageError, match=r"unknown option --ouptut \(did you mean --output\?\)"):
        parse_run_args(["--input", "x", "--ouptut", "y"])


def test_prefix_of_an_option_is_not_taken_for_it():
    with pytest.raises(UsageError, match="unknown option --in"):
        parse_run_args(["--in", "x", "--output", "y", "--input", "z"])


def test_missing_required_option():
    with pytest.raises(UsageError, match="--output"):
        parse_run_args(["--input", "x"])


def test_impossible_date():
    with pytest.raises(UsageError, match="not a real calendar day"):
        parse_run_args([*BASE[:4], "--date", "2026-02-30"])


def test_date_defaults_to_yesterday_in_kst():
    config = parse_run_args(BASE[:4])
    today_kst = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()
    assert config.day == today_kst - dt.timedelta(days=1)


def test_flags_also_take_a_value_as_glue_passes_them():
    config = parse_run_args([*BASE, "--skip-bad-files", "true", "--require-input", "", "--wait", "false"])
    assert (config.skip_bad_files, config.require_input, config.wait) == (True, True, False)
    assert parse_run_args([*BASE, "--skip-bad-files"]).skip_bad_files is True
    with pytest.raises(UsageError, match="expected true or false"):
        parse_run_args([*BASE, "--wait", "perhaps"])
