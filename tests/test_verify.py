"""`verify` on local folders: a clean trail, an organization trail, a chain that restarts, a digest straddling the
day's start, and each kind of tampering named in its own list and nothing else.

The trails come from the sample generator (hourly digests, chained and signed); expectations are derived from the
files the test built, read with gzip + json only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json

import pytest

from cloudtrail_etl.integrity.verify import verify_days
from tests.integrity_trail import (
    DAY,
    DAY_START,
    ORG_SPEC,
    change_log_file,
    copy_trail,
    delivered,
    in_day,
    make_trail,
    middle_digest,
    parse_time,
    read_json_gz,
)

PROBLEM_LISTS = (
    "missing_log_files",
    "modified_log_files",
    "unlisted_log_files",
    "missing_digests",
    "invalid_digests",
    "unverified_log_files",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return make_trail(tmp_path_factory.mktemp("verify") / "clean")


@pytest.fixture
def trail(built, tmp_path):
    """A private copy to tamper with."""
    return copy_trail(built, tmp_path / "trail")


def problems(report) -> dict[str, list[str]]:
    return {name: getattr(report, name) for name in PROBLEM_LISTS if getattr(report, name)}


def test_a_clean_trail_is_intact(spark, built):
    report = verify_days(spark, str(built.root), [DAY])
    assert report.ok and report.status == "intact"
    assert problems(report) == {}
    assert report.log_files_verified == len(built.day_logs())
    assert report.digests_checked == len(built.day_digests())
    assert report.accounts_regions == 4
    assert report.uncovered_log_files == [] and report.chain_starts == []
    assert report.signatures == {
        "checked": False,
        "note": "a local folder has no S3 object metadata: digest signatures were not checked",
    }


def test_an_organization_trail_is_intact(spark, tmp_path):
    org = make_trail(tmp_path / "org", ORG_SPEC)
    assert all(rel.startswith(f"AWSLogs/{ORG_SPEC.org_id}/") for rel in org.logs())
    report = verify_days(spark, str(org.root), [DAY])
    assert report.ok, problems(report)
    assert report.accounts_regions == len(ORG_SPEC.accounts) * len(ORG_SPEC.regions)
    assert report.log_files_verified == len(org.day_logs())
    assert report.digests_checked == len(org.day_digests())
    only = verify_days(spark, str(org.root) + "/AWSLogs", [DAY], accounts=[ORG_SPEC.accounts[1]])
    assert only.ok and only.accounts_regions == 1
    assert only.log_files_verified == len([rel for rel in org.day_logs() if f"/{ORG_SPEC.accounts[1]}/" in rel])


def test_a_deleted_log_file_is_missing(spark, trail):
    victim = trail.listed(middle_digest(trail))[0]
    (trail.root / victim).unlink()
    report = verify_days(spark, str(trail.root), [DAY])
    assert report.status == "failed"
    assert problems(report) == {"missing_log_files": [victim]}
    assert report.log_files_verified == len(trail.day_logs())  # every other file of the day


def test_a_changed_log_file_is_modified(spark, trail):
    victim = trail.listed(middle_digest(trail))[-1]
    change_log_file(trail.root / victim)
    report = verify_days(spark, str(trail.root), [DAY])
    assert problems(report) == {"modified_log_files": [victim]}
    assert report.log_files_verified == len(trail.day_logs()) - 1


def test_an_added_log_file_is_unlisted(spark, trail):
    model = trail.listed(middle_digest(trail))[0]
    folder, name = model.rsplit("/", 1)
    added = f"{folder}/{name[: -len('ABCDEFGHIJKLMNOP.json.gz')]}ZZZZZZZZZZZZZZZZ.json.gz"
    (trail.root / added).write_bytes((trail.root / model).read_bytes())
    report = verify_days(spark, str(trail.root), [DAY])
    assert problems(report) == {"unlisted_log_files": [added]}
    assert report.log_files_verified == len(trail.day_logs()) - 1


def test_a_deleted_digest_is_missing_and_its_files_unverified(spark, trail):
    victim = middle_digest(trail)
    its_files = trail.listed(victim)
    (trail.root / victim).unlink()
    report = verify_days(spark, str(trail.root), [DAY])
    assert problems(report) == {"missing_digests": [victim], "unverified_log_files": its_files}
    assert report.log_files_verified == len(trail.day_logs()) - len(its_files)


def test_a_digest_changed_after_signing_is_invalid(spark, trail):
    victim = middle_digest(trail)
    its_files = trail.listed(victim)
    document = read_json_gz(trail.root / victim)
    document["logFiles"] = document["logFiles"][1:]  # hide a file: the digest no longer matches its successor's link
    trail.rewrite_digest(victim, document)
    report = verify_days(spark, str(trail.root), [DAY])
    assert problems(report) == {"invalid_digests": [victim], "unverified_log_files": its_files}
    assert "does not match the link" in report.invalid_digest_reasons[victim]


def test_a_chain_that_restarts_is_intact(spark, trail):
    restart = middle_digest(trail)
    chain = trail.stream_chain(*_stream_of(restart))
    gone_files = trail.listed(chain[chain.index(restart) - 1])
    trail.restart_chain_at(restart)
    assert not any((trail.root / rel).exists() for rel in gone_files)
    report = verify_days(spark, str(trail.root), [DAY])
    assert report.ok, problems(report)
    assert report.chain_starts == [restart]
    assert report.log_files_verified == len(trail.day_logs())
    assert report.uncovered_log_files == []


def _stream_of(rel: str) -> tuple[str, str]:
    parts = rel.split("/")
    at = parts.index("CloudTrail-Digest")
    return parts[at - 1], parts[at + 1]


def test_a_digest_straddling_the_day_start_is_checked_for_its_files_of_the_day(spark, trail):
    digests = trail.day_digests()
    straddling = sorted(
        rel
        for rel, doc in digests.items()
        if parse_time(doc["digestStartTime"]) < DAY_START < parse_time(doc["digestEndTime"])
    )
    assert len(straddling) == 4  # one per account and region
    both_sides = [
        (before, after)
        for files in map(trail.listed, straddling)
        if (before := [rel for rel in files if delivered(rel) < DAY_START])
        and (after := [r for r in files if in_day(r)])
    ]
    assert both_sides, "some stream's digest offset puts files on both sides of the day's start"
    before, after = both_sides[0]
    change_log_file(trail.root / before[0])
    change_log_file(trail.root / after[0])
    report = verify_days(spark, str(trail.root), [DAY])
    assert problems(report) == {"modified_log_files": [after[0]]}  # `before` belongs to the day before
    previous_day = verify_days(spark, str(trail.root), [DAY - dt.timedelta(days=1)])
    assert problems(previous_day)["modified_log_files"] == [before[0]]


def test_a_range_of_days_checks_each_file_once(spark, built):
    days = [DAY - dt.timedelta(days=1), DAY]
    report = verify_days(spark, str(built.root), days)
    assert report.ok
    first_start = DAY_START - dt.timedelta(days=1)
    assert report.log_files_verified == len(
        [rel for rel in built.logs() if first_start <= delivered(rel) < DAY_START + dt.timedelta(days=1)]
    )
    # Before the sample's first digest (a starting digest at its first hour) there is nothing to check.
    assert len(report.chain_starts) == 4


def _cli(*args: str) -> tuple[int, str, dict]:
    from cloudtrail_etl.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["verify", *args])
    lines = out.getvalue().strip().splitlines()
    return code, err.getvalue(), json.loads(lines[-1]) if lines else {}


def test_cli_exit_codes_and_one_line_per_problem(spark, trail, tmp_path):
    code, err, report = _cli(
        "--input", str(trail.root), "--date", DAY.isoformat(), "--report", str(tmp_path / "r.json")
    )
    assert (code, err) == (0, "")
    assert report["status"] == "intact" and report["integrity"]["log_files_verified"] == len(trail.day_logs())
    assert json.loads((tmp_path / "r.json").read_text()) == report

    victim = middle_digest(trail)
    missing = trail.listed(victim)[0]
    (trail.root / missing).unlink()
    changed = trail.listed(victim)[1]
    change_log_file(trail.root / changed)
    code, err, report = _cli("--input", str(trail.root), "--from", "20260102", "--to", "2026-01-02")
    assert code == 10
    assert err.splitlines() == [
        f"cloudtrail-etl: integrity: log file listed in a digest is missing: {missing}",
        f"cloudtrail-etl: integrity: log file does not match its digest hash: {changed}",
    ]
    assert report["status"] == "failed"
    assert report["integrity"]["missing_log_files"] == [missing]
    assert report["integrity"]["modified_log_files"] == [changed]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-01-02"], "--input"),
        (["--input", "x", "--date", "2026-02-30"], "not a real calendar day"),
        (["--input", "x", "--to", "2026-01-02"], "--to needs --from"),
        (["--input", "x", "--date", "2026-01-02", "--accounts", "abc"], "abc is not a 12-digit AWS account id"),
        (["--input", "x", "--from", "2026-01-03", "--to", "2026-01-02"], "before --from"),
        (["--input", "x", "--date", "2026-01-02", "--from", "2026-01-01", "--to", "2026-01-02"], "use one of --date"),
        (["--input", "x", "--dates", "2026-01-02"], "unrecognized arguments"),
    ],
)
def test_cli_usage_errors_exit_2(args, message):
    code, err, _ = _cli(*args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_cli_input_without_awslogs_exits_3(spark, tmp_path):
    code, err, report = _cli("--input", str(tmp_path), "--date", "2026-01-02")
    assert code == 3 and "no AWSLogs/" in err and report["status"] == "failed"


def test_deleting_the_newest_digests_leaves_their_files_unverified(spark, trail):
    """Nothing links to the newest digest: its deletion shows through the files it listed, which nothing covers."""
    chain = trail.stream_chain(*_stream_of(middle_digest(trail)))
    last_in_day = max(rel for rel in chain if rel in trail.day_digests())
    deleted = chain[chain.index(last_in_day) - 1 :]  # the day's last two digests of this stream, and all later
    its_files = sorted(rel for digest in deleted for rel in trail.listed(digest) if in_day(rel))
    assert its_files
    for rel in deleted:
        (trail.root / rel).unlink()
    report = verify_days(spark, str(trail.root), [DAY])
    assert problems(report) == {"unverified_log_files": its_files}
    assert report.log_files_verified == len(trail.day_logs()) - len(its_files)


def test_a_stream_without_digests_is_unverified(spark, trail):
    import shutil

    account, region = _stream_of(middle_digest(trail))
    shutil.rmtree(trail.root / "AWSLogs" / account / "CloudTrail-Digest" / region)
    report = verify_days(spark, str(trail.root), [DAY])
    assert problems(report) == {
        "unverified_log_files": [rel for rel in trail.day_logs() if f"/{account}/CloudTrail/{region}/" in rel]
    }


def test_a_file_listed_by_a_backfill_digest_only_is_verified(spark, trail):
    """CloudTrail delivers a `_backfill` digest for files its hour's digest missed (processing delays)."""
    hour = middle_digest(trail)
    document = read_json_gz(trail.root / hour)
    late = document["logFiles"].pop()
    trail.rewrite_digest(hour, document)
    trail.relink_after(hour)
    backfill = hour.replace(".json.gz", "_backfill.json.gz")
    trail.rewrite_digest(
        backfill,
        {
            **document,
            "digestS3Object": backfill,
            "logFiles": [late],
            **{f"previousDigest{f}": None for f in ("S3Bucket", "S3Object", "HashValue", "HashAlgorithm", "Signature")},
        },
    )
    report = verify_days(spark, str(trail.root), [DAY])
    assert report.ok, problems(report)
    assert report.log_files_verified == len(trail.day_logs())
    assert report.digests_checked == len(trail.day_digests())  # the backfill digest included
    assert report.chain_starts == []  # a backfill digest is not a link of the chain

    (trail.root / backfill).unlink()
    assert problems(verify_days(spark, str(trail.root), [DAY])) == {"unlisted_log_files": [late["s3Object"]]}
