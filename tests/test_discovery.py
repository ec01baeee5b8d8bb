import datetime as dt

import pytest

from cloudtrail_etl.errors import InputNotFound
from cloudtrail_etl.sources.cloudtrail.layout import discover_day
from cloudtrail_etl.sources.cloudtrail.reader import read_delivery_files
from cloudtrail_etl.transform import SOURCE_FILE
from tests.conftest import write_delivery

DAY = dt.date(2026, 1, 2)


def _deliver(root, rel):
    return write_delivery(root / rel, [{"eventID": rel}])


@pytest.fixture
def trail(tmp_path):
    paths = [
        "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/01/a.json.gz",
        "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/b.json.gz",
        "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/03/not-this-day.json.gz",
        "AWSLogs/111122223333/CloudTrail/us-east-1/2025/12/31/not-this-day.json.gz",
        "AWSLogs/111122223333/CloudTrail/ap-northeast-2/2026/01/02/c.json.gz",
        "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/02/digest.json.gz",
        "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2026/01/02/insight.json.gz",
        "AWSLogs/o-abcdef1234/444455556666/CloudTrail/eu-west-1/2026/01/01/d.json.gz",
        "AWSLogs/o-abcdef1234/777788889999/CloudTrail/eu-west-1/2026/01/02/e.json.gz",
        "AWSLogs/notanaccount/CloudTrail/us-east-1/2026/01/02/x.json.gz",
    ]
    for rel in paths:
        _deliver(tmp_path, rel)
    (tmp_path / "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/readme.txt").write_text("not a log")
    return tmp_path


def names(day_input):
    return sorted(f.uri.rsplit("/", 1)[-1] for f in day_input.files)


def test_finds_both_utc_folders_of_every_account_and_region_including_org_layout(trail):
    found = discover_day(str(trail), DAY)
    assert names(found) == ["a.json.gz", "b.json.gz", "c.json.gz", "d.json.gz", "e.json.gz"]
    assert len(found.folders) == 5
    assert all(f.size > 0 for f in found.files)


def test_account_and_region_filters(trail):
    assert names(discover_day(str(trail), DAY, accounts=["444455556666"])) == ["d.json.gz"]
    assert names(discover_day(str(trail), DAY, regions=["us-east-1"])) == ["a.json.gz", "b.json.gz"]


def test_missing_input_is_a_distinct_error(tmp_path):
    with pytest.raises(InputNotFound, match="nowhere does not exist"):
        discover_day(str(tmp_path / "nowhere"), DAY)
    with pytest.raises(InputNotFound, match="no AWSLogs"):  # it exists, but holds no trail
        discover_day(str(tmp_path), DAY)


def test_day_without_files_is_empty_not_an_error(trail):
    found = discover_day(str(trail), dt.date(2020, 1, 1))
    assert found.files == () and found.folders == ()


def test_the_awslogs_folder_itself_is_accepted_as_input(trail):
    assert names(discover_day(str(trail / "AWSLogs"), DAY)) == names(discover_day(str(trail), DAY))
    assert names(discover_day(f"{trail}/AWSLogs/", DAY, regions=["us-east-1"])) == ["a.json.gz", "b.json.gz"]


PREV = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/01"
CURRENT = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02"


def _named(stamp: str) -> str:
    return f"111122223333_CloudTrail_us-east-1_{stamp}Z_Ab12Cd34Ef56Gh78.json.gz"


@pytest.fixture
def deliveries(tmp_path):
    """Folder D-1 with files delivered before and after the KST day began (2026-01-01 15:00Z), and folder D."""
    for rel in (
        f"{PREV}/{_named('20260101T0005')}",  # the KST day 2026-01-01: skipped
        f"{PREV}/{_named('20260101T1359')}",  # more than the margin (1 h) before the day: skipped
        f"{PREV}/{_named('20260101T1400')}",  # within the margin: read
        f"{PREV}/{_named('20260101T2355')}",
        f"{PREV}/copied-by-hand.json.gz",  # no delivery time in the name: always read
        f"{CURRENT}/{_named('20260102T0000')}",
        f"{CURRENT}/{_named('20260102T2355')}",  # after the day: read, it may hold late events
    ):
        _deliver(tmp_path, rel)
    return tmp_path


def test_files_delivered_before_the_day_began_are_not_read(deliveries):
    found = discover_day(str(deliveries), DAY)
    assert found.delivered_since == "20260101T1400"
    assert sorted(f.uri.rsplit("/", 1)[-1] for f in found.skipped) == [_named("20260101T0005"), _named("20260101T1359")]
    assert names(found) == sorted(
        [
            _named("20260101T1400"),
            _named("20260101T2355"),
            "copied-by-hand.json.gz",
            _named("20260102T0000"),
            _named("20260102T2355"),
        ]
    )
    # The next day skips the files of folder 2026/01/02 delivered before 2026-01-02 14:00Z.
    later = discover_day(str(deliveries), dt.date(2026, 1, 3))
    assert [f.uri.rsplit("/", 1)[-1] for f in later.skipped] == [_named("20260102T0000")]


def test_spark_never_opens_the_skipped_files(spark, deliveries):
    found = discover_day(str(deliveries), DAY)
    files = read_delivery_files(spark, found.folders, delivered_since=found.delivered_since)
    read = sorted(row[SOURCE_FILE].rsplit("/", 1)[-1] for row in files.collect())
    assert read == names(found)
    scan = files._jdf.queryExecution().executedPlan().collectLeaves().head()
    assert scan.metrics().apply("numFiles").value() == len(found.files) == 5  # pruned from the listing, not filtered


def test_the_delivered_since_glob_matches_exactly_the_times_not_before_it():
    """Spark lists the fast read's files by this glob: a time it wrongly matches is a file read twice over a day
    boundary, one it wrongly misses a file lost. Hadoop's glob reads `{a,b}` and `[x-y]` as fnmatch does each part."""
    import fnmatch
    import random

    from cloudtrail_etl.discovery import delivered_since_glob

    times = [dt.datetime(2025, 12, 31, 0, 0) + dt.timedelta(minutes=5 * i) for i in range(3 * 288)]
    times += [dt.datetime(2019, 1, 1) + dt.timedelta(minutes=random.Random(i).randrange(10**7)) for i in range(500)]
    for since in ("20260101T1400", "20260101T1455", "20251231T2359", "20260109T0900", "20291999T9999"):
        glob = delivered_since_glob(since)
        assert glob.startswith("{") and glob.endswith("}*")
        alternatives = glob[1:-2].split(",")
        for made in (f"{t:%Y%m%dT%H%M}" for t in times):
            name_part = f"{made}Z_a1b2c3d4.log.gz"
            matched = any(fnmatch.fnmatchcase(name_part, f"{a}*") for a in alternatives)
            assert matched == (made >= since), (since, made)
    assert delivered_since_glob("") == "*"
