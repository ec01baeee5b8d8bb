import datetime as dt

import pytest

from cloudtrail_etl.discovery import discover_day
from cloudtrail_etl.errors import InputNotFound
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
    with pytest.raises(InputNotFound, match="no AWSLogs"):
        discover_day(str(tmp_path / "nowhere"), DAY)


def test_day_without_files_is_empty_not_an_error(trail):
    found = discover_day(str(trail), dt.date(2020, 1, 1))
    assert found.files == () and found.folders == ()


def test_the_awslogs_folder_itself_is_accepted_as_input(trail):
    assert names(discover_day(str(trail / "AWSLogs"), DAY)) == names(discover_day(str(trail), DAY))
    assert names(discover_day(f"{trail}/AWSLogs/", DAY, regions=["us-east-1"])) == ["a.json.gz", "b.json.gz"]
