"""The sample generator writes what CloudTrail writes. Files are read back with gzip + json only."""

from __future__ import annotations

import collections
import datetime as dt
import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest

from cloudtrail_etl.sample import SampleSpec, SampleSummary, write_sample_trail

LOG_RE = re.compile(
    r"^AWSLogs/(?:(?P<org>o-[a-z0-9]{10,32})/)?(?P<account>\d{12})/CloudTrail/(?P<region>[a-z]{2}-[a-z]+-\d)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P=account)_CloudTrail_(?P=region)_(?P<stamp>\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$"
)
DIGEST_RE = re.compile(
    r"^AWSLogs/(?:(?P<org>o-[a-z0-9]{10,32})/)?(?P<account>\d{12})/CloudTrail-Digest/(?P<region>[a-z]{2}-[a-z]+-\d)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P=account)_CloudTrail-Digest_(?P=region)_[A-Za-z0-9-]+_(?P=region)_(?P<stamp>\d{8}T\d{6}Z)\.json\.gz$"
)
UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
EVENT_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
REQUIRED_KEYS = {
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "requestParameters",
    "responseElements",
    "eventID",
    "readOnly",
    "eventType",
    "managementEvent",
    "recipientAccountId",
    "eventCategory",
}
# Small enough for a fast suite; one UTC day of 4 streams, 48 deliveries each.
SMALL = SampleSpec(start=dt.date(2026, 1, 1), days=1, delivery_interval_minutes=30, seed=11)


def log_files(root: Path) -> dict[str, Path]:
    return {
        p.relative_to(root).as_posix(): p
        for p in sorted((root / "AWSLogs").rglob("*.json.gz"))
        if "/CloudTrail/" in p.as_posix()
    }


def digest_files(root: Path) -> dict[str, Path]:
    return {
        p.relative_to(root).as_posix(): p
        for p in sorted((root / "AWSLogs").rglob("*.json.gz"))
        if "/CloudTrail-Digest/" in p.as_posix()
    }


def read_doc(path: Path) -> dict:
    with gzip.open(path, "rb") as handle:
        return json.loads(handle.read())


def stamp_time(stamp: str) -> dt.datetime:
    return dt.datetime.strptime(stamp, "%Y%m%dT%H%MZ")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, SampleSummary, dict[str, list[dict]]]:
    root = tmp_path_factory.mktemp("sample")
    summary = write_sample_trail(root, SMALL)
    records = {key: read_doc(path)["Records"] for key, path in log_files(root).items()}
    return root, summary, records


def test_layout_and_file_names_follow_the_delivery_time(small):
    root, _summary, records = small
    every = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert every, "nothing written"
    assert all(LOG_RE.match(key) or DIGEST_RE.match(key) for key in every), [
        k for k in every if not (LOG_RE.match(k) or DIGEST_RE.match(k))
    ]
    seen = set()
    for key in records:
        match = LOG_RE.match(key)
        assert match["org"] is None
        stamp = stamp_time(match["stamp"])
        # the folder is the UTC delivery date of the file
        assert (match["y"], match["m"], match["d"]) == (f"{stamp:%Y}", f"{stamp:%m}", f"{stamp:%d}")
        assert dt.datetime(2026, 1, 1) <= stamp < dt.datetime(2026, 1, 2, 0, 16)
        seen.add((match["account"], match["region"]))
    assert seen == {(a, r) for a in SMALL.accounts for r in SMALL.regions}


def test_files_are_one_line_of_compact_json_with_records(small):
    root, _summary, _records = small
    for path in list(log_files(root).values())[:20]:
        text = gzip.decompress(path.read_bytes()).decode()
        assert "\n" not in text and ", " not in text[:200] and '": ' not in text[:200]
        assert text.startswith('{"Records":[{"eventVersion":"')


def test_org_trail_adds_the_organization_level(tmp_path):
    spec = SampleSpec(days=1, delivery_interval_minutes=120, accounts=("123456789012",), org_id="o-abc123defg")
    summary = write_sample_trail(tmp_path, spec)
    keys = [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json.gz")]
    assert len(log_files(tmp_path)) == summary.files_written > 0
    for key in keys:
        match = LOG_RE.match(key) or DIGEST_RE.match(key)
        assert match, key
        assert match["org"] == "o-abc123defg"
        assert key.startswith("AWSLogs/o-abc123defg/123456789012/")
    assert digest_files(tmp_path)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    spec = SampleSpec(days=1, delivery_interval_minutes=90, duplicate_rate=0.2, seed=3)
    first, second, third = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_sample_trail(first, spec)
    write_sample_trail(second, spec)
    write_sample_trail(third, SampleSpec(days=1, delivery_interval_minutes=90, duplicate_rate=0.2, seed=4))

    def snapshot(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.json.gz"))}

    a, b, c = snapshot(first), snapshot(second), snapshot(third)
    assert a == b
    assert set(a) != set(c)
    assert sorted(a.values()) != sorted(c.values())
    for data in a.values():
        assert data[:2] == b"\x1f\x8b"
        assert data[4:8] == b"\x00\x00\x00\x00"  # gzip mtime 0: no clock in the output
        assert not data[3] & 0x08  # no original file name in the header


def test_counts_match_the_summary(small):
    root, summary, records = small
    assert summary.root == root
    assert summary.files_written == len(records)
    events = [rec for recs in records.values() for rec in recs]
    assert summary.events_written == len(events)
    assert summary.distinct_event_ids == len({rec["eventID"] for rec in events})
    low, high = SMALL.events_per_file
    assert all(low <= len(recs) <= high for recs in records.values())
    assert summary.digest_files == len(digest_files(root))


def test_every_record_has_the_required_keys_and_types(small):
    _root, _summary, records = small
    for key, recs in records.items():
        match = LOG_RE.match(key)
        stamp = stamp_time(match["stamp"])
        for rec in recs:
            assert rec.keys() >= REQUIRED_KEYS, REQUIRED_KEYS - rec.keys()
            assert EVENT_TIME_RE.match(rec["eventTime"])
            assert dt.datetime.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ") < stamp + dt.timedelta(minutes=1)
            assert UUID4_RE.match(rec["eventID"])
            assert rec["eventVersion"] in {"1.08", "1.09", "1.10", "1.11"}
            assert isinstance(rec["readOnly"], bool) and isinstance(rec["managementEvent"], bool)
            assert rec["awsRegion"] == match["region"]
            assert rec["recipientAccountId"] == match["account"]
            assert rec["eventType"] in {"AwsApiCall", "AwsServiceEvent", "AwsConsoleSignIn"}
            assert rec["eventCategory"] in {"Management", "Data"}
            assert rec["managementEvent"] == (rec["eventCategory"] == "Management")
            assert rec.get("sessionCredentialFromConsole", "true") == "true"
            assert isinstance(rec["userIdentity"], dict)
            if rec["eventType"] == "AwsServiceEvent":
                assert "type" not in rec["userIdentity"]
                assert isinstance(rec["serviceEventDetails"], dict)
            if "errorCode" in rec:
                assert rec["responseElements"] is None and rec["errorMessage"]


def test_identity_types_have_their_real_shapes(small):
    _root, _summary, records = small
    by_type: dict[str | None, list[dict]] = collections.defaultdict(list)
    for recs in records.values():
        for rec in recs:
            by_type[rec["userIdentity"].get("type")].append(rec["userIdentity"])
    expected = {"Root", "IAMUser", "AssumedRole", "AWSService", "FederatedUser", "AWSAccount", "IdentityCenterUser"}
    assert expected | {None} <= set(by_type)
    for ident in by_type["AssumedRole"]:
        context = ident["sessionContext"]
        assert context["sessionIssuer"]["type"] == "Role"
        assert context["attributes"]["mfaAuthenticated"] == "false"
        assert "webIdFederationData" in context
    assert any(i["sessionContext"].get("ec2RoleDelivery") == "2.0" for i in by_type["AssumedRole"])
    assert any("sourceIdentity" in i["sessionContext"] for i in by_type["AssumedRole"])
    assert all("userName" in i for i in by_type["IAMUser"])
    assert {i.get("accessKeyId", "")[:4] for i in by_type["IAMUser"]} == {"AKIA", "ASIA", ""}  # "": console sign-in
    assert all(set(i) == {"type", "invokedBy"} or "inScopeOf" in i for i in by_type["AWSService"])
    assert all({"userId", "identityStoreArn"} == set(i["onBehalfOf"]) for i in by_type["IdentityCenterUser"])
    assert all("credentialId" in i for i in by_type["IdentityCenterUser"])
    assert all(set(i) == {"accountId", "invokedBy"} for i in by_type[None])


def test_payloads_vary_in_shape_and_json_type(small):
    root, _summary, records = small
    events = [rec for recs in records.values() for rec in recs]
    params = [r["requestParameters"] for r in events if r["requestParameters"]]
    max_results = {type(p["maxResults"]) for p in params if "maxResults" in p}
    tags = {type(p["tags"]) for p in params if "tags" in p}
    assert max_results == {str, int}
    assert tags == {list, dict}
    assert any(r["requestParameters"] is None for r in events)
    assert any(isinstance(r["responseElements"], dict) for r in events)
    assert any(isinstance(r.get("additionalEventData"), dict) for r in events)
    assert any(r["eventCategory"] == "Data" and r["eventName"] in {"GetObject", "PutObject"} for r in events)
    assert any("type" not in res for r in events for res in r.get("resources", []))
    assert any("keyExchange" in r.get("tlsDetails", {}) for r in events)
    assert any("vpcEndpointAccountId" in r for r in events) and any("vpcEndpointId" in r for r in events)
    assert any("sharedEventID" in r for r in events)
    assert any(r["sourceIPAddress"] == "AWS Internal" for r in events)
    assert any(r["sourceIPAddress"].endswith(".amazonaws.com") for r in events)
    assert any(re.match(r"^\d+\.\d+\.\d+\.\d+$", r["sourceIPAddress"]) for r in events)
    assert any(
        set(r.get("addendum", {})) == {"reason", "updatedFields", "originalRequestID", "originalEventID"}
        for r in events
    )
    pairs = {(r["eventSource"], r["eventName"]) for r in events}
    assert {
        ("sts.amazonaws.com", "AssumeRole"),
        ("kms.amazonaws.com", "Decrypt"),
        ("dynamodb.amazonaws.com", "DescribeStream"),
        ("signin.amazonaws.com", "ConsoleLogin"),
    } <= pairs
    errors = sum("errorCode" in r for r in events) / len(events)
    assert 0.02 < errors < 0.1
    # decimals such as 1.50 are written as such (json.dumps alone would give 1.5)
    raw = b"".join(gzip.decompress(p.read_bytes()) for p in log_files(root).values())
    assert re.search(rb'"(threshold|targetValue)":\d+\.\d*0[,}]', raw)


def test_duplicate_deliveries_repeat_whole_files_under_new_names(tmp_path):
    spec = SampleSpec(days=1, delivery_interval_minutes=60, accounts=("111122223333",), duplicate_rate=0.5)
    summary = write_sample_trail(tmp_path, spec)
    files = {key: read_doc(path)["Records"] for key, path in log_files(tmp_path).items()}
    assert summary.duplicate_files > 0
    where: dict[str, list[str]] = collections.defaultdict(list)
    for key, recs in files.items():
        for rec in recs:
            where[rec["eventID"]].append(key)
    repeated = {eid: keys for eid, keys in where.items() if len(keys) > 1}
    assert repeated
    assert all(len(keys) == 2 and keys[0] != keys[1] for keys in repeated.values())
    assert summary.events_written - summary.distinct_event_ids == len(repeated)
    pairs = {tuple(sorted(keys)) for keys in repeated.values()}
    assert len(pairs) == summary.duplicate_files
    for one, two in pairs:
        assert files[one] == files[two]
        delay = abs(stamp_time(LOG_RE.match(one)["stamp"]) - stamp_time(LOG_RE.match(two)["stamp"]))
        assert dt.timedelta(minutes=1) <= delay <= dt.timedelta(minutes=16)
    assert summary.files_written == len(files) == spec.days * 24 * len(spec.regions) + summary.duplicate_files


def test_events_are_delivered_late_some_in_the_next_utc_folder(small):
    _root, _summary, records = small
    lags, next_folder = [], 0
    for key, recs in records.items():
        match = LOG_RE.match(key)
        folder = dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
        stamp = stamp_time(match["stamp"])
        for rec in recs:
            event = dt.datetime.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
            lags.append(stamp - event)
            next_folder += event.date() < folder
    assert next_folder > 0
    lags.sort()
    assert lags[0] >= dt.timedelta(0)
    assert lags[int(len(lags) * 0.95)] <= dt.timedelta(minutes=15)
    assert dt.timedelta(minutes=16) < lags[-1] <= dt.timedelta(hours=4, minutes=1)


def test_digest_files_list_log_files_with_their_hashes(small):
    root, summary, records = small
    digests = digest_files(root)
    assert summary.digest_files == len(digests) >= SMALL.days * len(SMALL.accounts) * len(SMALL.regions)
    streams = set()
    listed = 0
    for key, path in digests.items():
        match = DIGEST_RE.match(key)
        streams.add((match["account"], match["region"]))
        doc = read_doc(path)
        assert "Records" not in doc
        assert doc["awsAccountId"] == match["account"]
        assert doc["digestS3Object"] == key
        assert doc["digestSignatureAlgorithm"] == "SHA256withRSA"
        for entry in doc["logFiles"]:
            assert entry["s3Object"] in records
            data = gzip.decompress((root / entry["s3Object"]).read_bytes())
            assert entry["hashValue"] == hashlib.sha256(data).hexdigest()
            listed += 1
    assert streams == {(a, r) for a in SMALL.accounts for r in SMALL.regions}
    assert listed > 0


@pytest.mark.parametrize(
    "changes",
    [
        {"days": 0},
        {"accounts": ("12345",)},
        {"regions": ("Seoul",)},
        {"org_id": "org-1"},
        {"delivery_interval_minutes": 0},
        {"events_per_file": (10, 5)},
        {"duplicate_rate": 1.5},
    ],
)
def test_impossible_specs_are_rejected(changes):
    with pytest.raises(ValueError):
        SampleSpec(**changes)
