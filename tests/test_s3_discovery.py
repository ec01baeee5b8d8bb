"""discover_day against S3 (moto's server): exact files, filters, and which prefixes it lists.

The trail: an organization trail for 3 accounts x 3 regions x 4 UTC days, with CloudTrail-Digest and
CloudTrail-Insight siblings, a non-organization account, and a look-alike trail outside the input prefix.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from botocore.config import Config

from cloudtrail_etl.errors import InputNotFound
from cloudtrail_etl.sources.cloudtrail.layout import discover_day
from tests.aws import moto_endpoint, reset_moto  # noqa: F401

BUCKET = "trail-bucket"
INPUT = f"s3://{BUCKET}/ct/"
ORG = "o-abcdefghij"
ACCOUNTS = ("111111111111", "222222222222", "333333333333")
LONE_ACCOUNT = "999900001111"  # a trail of its own, not the organization's
REGIONS = ("ap-northeast-2", "eu-west-1", "us-east-1")
UTC_DAYS = [dt.date(2026, 1, d) for d in (1, 2, 3, 4)]
DAY = dt.date(2026, 1, 3)  # KST day: UTC folders 2026/01/02 and 2026/01/03
WANTED_FOLDERS = ("2026/01/02", "2026/01/03")


def _log_name(account: str, region: str, day: dt.date, n: int) -> str:
    return f"{account}_CloudTrail_{region}_{day:%Y%m%d}T{n * 15:02d}05Z_abc{n}.json.gz"  # 00:05Z, 15:05Z


def _trail_keys() -> dict[str, bytes]:
    """key -> body for the whole bucket."""
    keys: dict[str, bytes] = {}

    def log(root: str, account: str, region: str, day: dt.date, copies: int = 2) -> None:
        for n in range(copies):
            key = f"{root}/CloudTrail/{region}/{day:%Y/%m/%d}/{_log_name(account, region, day, n)}"
            keys[key] = b"x" * (100 + len(keys))  # distinct sizes

    for account in ACCOUNTS:
        root = f"ct/AWSLogs/{ORG}/{account}"
        for region in REGIONS:
            for day in UTC_DAYS:
                log(root, account, region, day)
                digest = (
                    f"{root}/CloudTrail-Digest/{region}/{day:%Y/%m/%d}/{account}_CloudTrail-Digest_{region}.json.gz"
                )
                keys[digest] = b"digest"
        keys[f"{root}/CloudTrail-Insight/us-east-1/2026/01/03/insight.json.gz"] = b"insight"
    for day in UTC_DAYS:
        log(f"ct/AWSLogs/{LONE_ACCOUNT}", LONE_ACCOUNT, "us-east-1", day, copies=1)
    keys[f"ct/AWSLogs/{LONE_ACCOUNT}/CloudTrail/us-east-1/2026/01/03/notes.txt"] = b"not a log"
    keys["ct/AWSLogs/not-an-account/CloudTrail/us-east-1/2026/01/03/x.json.gz"] = b"stray"
    keys[f"elsewhere/AWSLogs/{ORG}/{ACCOUNTS[0]}/CloudTrail/us-east-1/2026/01/03/outside.json.gz"] = b"outside"
    return keys


@pytest.fixture(scope="module")
def trail(moto_endpoint):  # noqa: F811
    """The bucket, written once for the module (discovery only reads)."""
    import boto3

    reset_moto(moto_endpoint)
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(s3={"addressing_style": "path"}),
    )
    s3.create_bucket(Bucket=BUCKET)
    keys = _trail_keys()
    for key, body in keys.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return s3, keys


class ListingRecorder:
    """Records every ListObjectsV2 request the client sends (before-call hook), as (prefix, delimiter, max-keys)."""

    def __init__(self, s3):
        self.calls: list[tuple[str, str | None, int | None]] = []
        self.buckets: set[str] = set()
        s3.meta.events.register("before-call.s3.ListObjectsV2", self)
        self.s3 = s3

    def __call__(self, params, context, **kwargs):
        query = params["query_string"]
        self.buckets.add(context["input_params"]["Bucket"])
        max_keys = query.get("max-keys")
        self.calls.append((query.get("prefix", ""), query.get("delimiter"), int(max_keys) if max_keys else None))

    def close(self):
        self.s3.meta.events.unregister("before-call.s3.ListObjectsV2", self)


@pytest.fixture
def s3(trail):
    client, _ = trail
    recorder = ListingRecorder(client)
    yield client, recorder
    recorder.close()


def expected_files(keys, accounts=(*ACCOUNTS, LONE_ACCOUNT), regions=REGIONS) -> dict[str, int]:
    pattern = re.compile(
        r"^ct/AWSLogs/(?:o-[a-z0-9]+/)?(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4}/\d{2}/\d{2})/[^/]+\.json\.gz$"
    )
    found = {}
    for key, body in keys.items():
        match = pattern.match(key)
        if match and match[1] in accounts and match[2] in regions and match[3] in WANTED_FOLDERS:
            found[f"s3://{BUCKET}/{key}"] = len(body)
    return found


def listed_files(found):
    """Every log file discovery listed: the files to read and those delivered before the day began."""
    return found.files + found.skipped


def folder_of(uri: str) -> str:
    return uri.rsplit("/", 1)[0]


def test_finds_exactly_the_two_utc_folders_of_every_account_and_region(s3, trail):
    client, recorder = s3
    _, keys = trail
    found = discover_day(INPUT, DAY, s3_client=client)

    expected = expected_files(keys)
    assert len(expected) == 3 * 3 * 2 * 2 + 2  # org: accounts x regions x folders x files; lone: 2 folders x 1
    assert {f.uri: f.size for f in listed_files(found)} == expected
    assert len(listed_files(found)) == len(expected)  # no file twice
    # Folder 2026/01/02 (D-1): the files delivered at 00:05Z are listed but not read; those of 15:05Z are read.
    skipped = {uri for uri in expected if "/2026/01/02/" in uri and "T0005Z" in uri}
    assert {f.uri for f in found.skipped} == skipped
    assert any("/2026/01/02/" in f.uri and "T1505Z" in f.uri for f in found.files)
    assert sorted(found.folders) == sorted({folder_of(uri) for uri in expected})
    assert len(found.folders) == 3 * 3 * 2 + 2
    assert found.total_bytes == sum(size for uri, size in expected.items() if uri not in skipped)  # read only

    # What it listed: one existence probe, then level by level, and only the two day folders file by file.
    day_folders = {folder_of(uri)[len(f"s3://{BUCKET}/") :] + "/" for uri in expected}
    assert recorder.buckets == {BUCKET}
    assert Counter(recorder.calls) == Counter(
        [
            ("ct/AWSLogs/", None, 1),
            ("ct/AWSLogs/", "/", None),
            (f"ct/AWSLogs/{ORG}/", "/", None),
            *((f"ct/AWSLogs/{ORG}/{account}/CloudTrail/", "/", None) for account in ACCOUNTS),
            (f"ct/AWSLogs/{LONE_ACCOUNT}/CloudTrail/", "/", None),
            *((folder, "/", None) for folder in day_folders),
        ]
    )
    _assert_only_needed_prefixes(recorder.calls)


def _assert_only_needed_prefixes(calls):
    level = re.compile(
        r"^ct/AWSLogs/((o-[a-z0-9]+/)?"
        r"|(o-[a-z0-9]+/)?\d{12}/CloudTrail/"
        r"|(o-[a-z0-9]+/)?\d{12}/CloudTrail/[a-z0-9-]+/(2026/01/02|2026/01/03)/)$"
    )
    for prefix, delimiter, max_keys in calls:
        assert level.match(prefix), prefix
        assert "Digest" not in prefix and "Insight" not in prefix
        if delimiter is None:  # the only listing without a delimiter is the one-key existence probe
            assert (prefix, max_keys) == ("ct/AWSLogs/", 1)


def test_account_filter_lists_only_that_accounts_regions(s3, trail):
    client, recorder = s3
    _, keys = trail
    found = discover_day(INPUT, DAY, accounts=[ACCOUNTS[1]], s3_client=client)
    expected = expected_files(keys, accounts=(ACCOUNTS[1],))
    assert {f.uri: f.size for f in listed_files(found)} == expected and len(expected) == 3 * 2 * 2
    listed = [prefix for prefix, _, _ in recorder.calls]
    assert not any(LONE_ACCOUNT in p or ACCOUNTS[0] in p or ACCOUNTS[2] in p for p in listed)
    assert len(recorder.calls) == 3 + 1 + 3 * 2  # probe, AWSLogs/, org; its CloudTrail/; 3 regions x 2 days
    _assert_only_needed_prefixes(recorder.calls)


def test_region_filter_lists_day_folders_of_that_region_only(s3, trail):
    client, recorder = s3
    _, keys = trail
    found = discover_day(INPUT, DAY, regions=["eu-west-1", "us-east-1"], s3_client=client)
    expected = expected_files(keys, regions=("eu-west-1", "us-east-1"))
    assert {f.uri: f.size for f in listed_files(found)} == expected and len(expected) == 3 * 2 * 2 * 2 + 2
    day_listings = [p for p, _, _ in recorder.calls if re.search(r"/\d{4}/\d{2}/\d{2}/$", p)]
    assert len(day_listings) == 3 * 2 * 2 + 2
    assert not any("ap-northeast-2" in p for p in day_listings)
    _assert_only_needed_prefixes(recorder.calls)

    both = discover_day(INPUT, DAY, accounts=[LONE_ACCOUNT], regions=["us-east-1"], s3_client=client)
    assert {f.uri for f in listed_files(both)} == set(
        expected_files(keys, accounts=(LONE_ACCOUNT,), regions=("us-east-1",))
    )


def test_a_day_without_folders_is_empty(s3):
    client, _ = s3
    found = discover_day(INPUT, dt.date(2025, 6, 1), s3_client=client)
    assert found.files == () and found.folders == ()


def test_input_prefix_without_awslogs_is_input_not_found(s3):
    client, recorder = s3
    with pytest.raises(InputNotFound, match="no AWSLogs"):
        discover_day(f"s3://{BUCKET}/no-such-prefix/", DAY, s3_client=client)
    assert recorder.calls == [("no-such-prefix/AWSLogs/", None, 1)]


def test_the_awslogs_prefix_itself_is_accepted_as_input(s3, trail):
    client, _ = s3
    above = discover_day(INPUT, DAY, s3_client=client)
    assert above.files
    assert discover_day(f"{INPUT.rstrip('/')}/AWSLogs/", DAY, s3_client=client) == above


def test_missing_bucket_is_input_not_found(s3):
    client, _ = s3
    with pytest.raises(InputNotFound):
        discover_day("s3://no-such-bucket-here/ct/", DAY, s3_client=client)
