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


def test_ranges_of_days():
    config = parse_run_args([*BASE[:4], "--from", "2026-01-30", "--to", "20260202", "--late-days", "1"])
    assert [str(day) for day in config.plan.days] == ["2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02"]
    assert [str(day) for day in config.plan.folder_days] == [
        "2026-01-29",
        "2026-01-30",
        "2026-01-31",
        "2026-02-01",
        "2026-02-02",
        "2026-02-03",
    ]
    yesterday = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date() - dt.timedelta(days=1)
    weekly = parse_run_args([*BASE[:4], "--last-days", "7", "--late-days", "1"])
    assert weekly.plan.days == [yesterday - dt.timedelta(days=n) for n in range(6, -1, -1)]
    assert parse_run_args([*BASE[:4], "--from", "2026-01-30"]).plan.last_day == yesterday
    # Glue passes every argument as `--key value`, in any order, with its own mixed in.
    glue = parse_run_args(
        ["--JOB_ID", "j", "--to", "2026-01-31", *BASE[:4], "--from", "2026-01-30", "--enable-metrics"]
    )
    assert (glue.plan.first_day, glue.plan.last_day) == (dt.date(2026, 1, 30), dt.date(2026, 1, 31))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-01-02", "--from", "2026-01-01"], "use one of --date, --from/--to and --last-days"),
        (["--last-days", "3", "--to", "2026-01-01"], "use one of --date, --from/--to and --last-days"),
        (["--to", "2026-01-01"], "--to needs --from"),
        (["--from", "2026-01-05", "--to", "2026-01-01"], "--to 2026-01-01 is before --from 2026-01-05"),
        (["--from", "2026-02-30", "--to", "2026-03-01"], "--from '2026-02-30' is not a real calendar day"),
        (["--last-days", "0"], "--last-days must be 1 or more"),
        (["--date", "2026-01-02", "--late-days=-1"], "--late-days must be 0 or more"),
    ],
)
def test_range_mistakes_are_usage_errors(args, message):
    with pytest.raises(UsageError) as caught:
        parse_run_args([*BASE[:4], *args])
    assert str(caught.value).startswith(message)


def test_metrics_options_as_glue_passes_them():
    argv = [*BASE, "--JOB_ID", "j_1", "--metrics-namespace", "cloudtrail-etl", "--enable-metrics", "",
            "--metrics-per-stream", "true", "--metrics-table", "trail"]  # fmt: skip
    config = parse_run_args(argv)
    assert (config.metrics_namespace, config.metrics_per_stream, config.metrics_table) == (
        "cloudtrail-etl",
        True,
        "trail",
    )
    assert parse_run_args(BASE).metrics_namespace is None  # off by default
    assert (
        parse_run_args([*BASE, "--metrics-namespace", "x", "--metrics-per-stream", "false"]).metrics_per_stream is False
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--metrics-namespace", "AWS/Glue"], "not starting with ':' or 'AWS/'"),
        (["--metrics-namespace", ""], "1-255 characters"),
        (["--metrics-per-stream"], "go with --metrics-namespace"),
        (["--metrics-table", "t"], "go with --metrics-namespace"),
    ],
)
def test_metrics_option_mistakes_are_usage_errors(args, message):
    with pytest.raises(UsageError, match=message):
        parse_run_args([*BASE, *args])
