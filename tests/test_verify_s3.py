"""`verify` against S3 (moto's server): signatures from object metadata, hashing on executors with boto3.

The sample trail is uploaded with the metadata CloudTrail puts on digests (`signature`, `signature-algorithm`);
the public key comes as `list-public-keys` JSON, as with `verify --public-keys`. Nothing talks to AWS.
"""

from __future__ import annotations

import gzip
import json

import pytest
from botocore.config import Config

from cloudtrail_etl.integrity.keys import keys_from_listing
from cloudtrail_etl.integrity.verify import verify_days
from cloudtrail_etl.sample.digests import sample_public_keys
from tests.aws import AWS_ENV, moto_endpoint, reset_moto  # noqa: F401
from tests.integrity_trail import DAY, Trail, make_trail, middle_digest, read_json_gz
from tests.test_verify import PROBLEM_LISTS, problems

KEYS = keys_from_listing(sample_public_keys())


def _s3_kwargs(endpoint: str) -> dict:
    return {
        "endpoint_url": endpoint,
        "region_name": AWS_ENV["AWS_DEFAULT_REGION"],
        "aws_access_key_id": AWS_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        "config": Config(s3={"addressing_style": "path"}),
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return make_trail(tmp_path_factory.mktemp("verify-s3") / "trail")


def _upload(s3, name: str, trail: Trail, keys=None) -> None:
    for path in sorted((trail.root / "AWSLogs").rglob("*.json.gz")):
        key = path.relative_to(trail.root).as_posix()
        if keys is None or key in keys:
            s3.put_object(Bucket=name, Key=key, Body=path.read_bytes(), Metadata=trail.metadata.get(key, {}))


@pytest.fixture(scope="module")
def uploaded(built, moto_endpoint):  # noqa: F811
    """The trail in a bucket named as its digests say, uploaded once for the module."""
    import boto3

    reset_moto(moto_endpoint)
    s3 = boto3.client("s3", **_s3_kwargs(moto_endpoint))
    name = next(iter(built.digests().values()))["digestS3Bucket"]
    s3.create_bucket(Bucket=name)
    _upload(s3, name, built)
    return s3, name, built


@pytest.fixture
def bucket(uploaded):
    """(s3 client, bucket, trail); what a test changes or deletes is put back afterwards, added keys removed."""
    s3, name, trail = uploaded
    yield uploaded
    expected = set(trail.logs()) | set(trail.digests())
    present = {
        o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name) for o in page.get("Contents", [])
    }
    for key in present - expected:
        s3.delete_object(Bucket=name, Key=key)
    _upload(s3, name, trail, keys=TOUCHED)
    TOUCHED.clear()


TOUCHED: set[str] = set()  # keys a test changed or deleted


def _verify(spark, s3, name, endpoint, keys=KEYS):
    return verify_days(
        spark, f"s3://{name}/", [DAY], public_keys=keys, s3_client=s3, executor_s3_config=_s3_kwargs(endpoint)
    )


def test_a_clean_trail_on_s3_is_intact_with_every_signature_verified(spark, bucket, moto_endpoint):  # noqa: F811
    s3, name, trail = bucket
    report = _verify(spark, s3, name, moto_endpoint)
    assert report.ok, problems(report)
    assert report.log_files_verified == len(trail.day_logs())
    assert report.digests_checked == len(trail.day_digests())
    assert report.signatures == {
        "checked": True,
        "public_keys": "file",
        "verified": len(trail.day_digests()),
        "failed": 0,
    }


def test_without_the_public_key_every_digest_is_invalid(spark, bucket, moto_endpoint):  # noqa: F811
    s3, name, trail = bucket
    report = _verify(spark, s3, name, moto_endpoint, keys={})
    assert report.invalid_digests == sorted(trail.day_digests())
    assert set(report.invalid_digest_reasons.values()) == {
        f"no public key with fingerprint {next(iter(trail.digests().values()))['digestPublicKeyFingerprint']}"
    }


def middle_digest_of(trail: Trail, account: str, region: str) -> str:
    chain = [rel for rel in trail.stream_chain(account, region) if rel in trail.day_digests()]
    for rel in chain[2:-2]:
        if trail.listed(rel):
            return rel
    raise AssertionError(f"no digest with log files inside the day for {account} {region}")


def test_each_tampering_on_s3_is_named_in_its_own_list(spark, bucket, moto_endpoint):  # noqa: F811
    s3, name, trail = bucket
    streams = sorted({(rel.split("/")[1], rel.split("/")[3]) for rel in trail.digests()})
    assert len(streams) == 4
    # 1. a deleted log file and a changed one (hashed on an executor, read with boto3)
    first = middle_digest_of(trail, *streams[0])
    deleted, changed = trail.listed(first)[:2]
    TOUCHED.update({deleted, changed})
    s3.delete_object(Bucket=name, Key=deleted)
    text = gzip.decompress((trail.root / changed).read_bytes())
    s3.put_object(Bucket=name, Key=changed, Body=gzip.compress(text[:-1] + b" }"))
    # 2. an added log file, in a covered hour of another stream
    model = trail.listed(middle_digest_of(trail, *streams[1]))[0]
    added = model[: -len("ABCDEFGHIJKLMNOP.json.gz")] + "ZZZZZZZZZZZZZZZZ.json.gz"
    s3.put_object(Bucket=name, Key=added, Body=(trail.root / model).read_bytes())
    # 3. a deleted digest
    gone = middle_digest_of(trail, *streams[2])
    TOUCHED.add(gone)
    s3.delete_object(Bucket=name, Key=gone)
    # 4. a digest changed after signing: one log file hidden, the signature kept
    forged = middle_digest_of(trail, *streams[3])
    TOUCHED.add(forged)
    document = read_json_gz(trail.root / forged)
    document["logFiles"] = document["logFiles"][1:]
    s3.put_object(
        Bucket=name,
        Key=forged,
        Body=gzip.compress(json.dumps(document, separators=(",", ":")).encode()),
        Metadata=trail.metadata[forged],
    )

    report = _verify(spark, s3, name, moto_endpoint)
    assert problems(report) == {
        "missing_log_files": [deleted],
        "modified_log_files": [changed],
        "unlisted_log_files": [added],
        "missing_digests": [gone],
        "invalid_digests": [forged],
        "unverified_log_files": sorted(trail.listed(gone) + trail.listed(forged)),
    }
    assert set(problems(report)) == set(PROBLEM_LISTS)
    assert report.invalid_digest_reasons == {forged: "signature verification failed"}
    untouched = len(trail.day_logs()) - 2 - len(trail.listed(gone)) - len(trail.listed(forged))
    assert report.log_files_verified == untouched
    assert report.signatures["failed"] == 1 and report.signatures["verified"] == len(trail.day_digests()) - 2


def test_a_digest_without_signature_metadata_is_invalid(spark, bucket, moto_endpoint):  # noqa: F811
    s3, name, trail = bucket
    victim = middle_digest(trail)
    TOUCHED.add(victim)
    s3.put_object(Bucket=name, Key=victim, Body=(trail.root / victim).read_bytes())  # same bytes, no metadata
    report = _verify(spark, s3, name, moto_endpoint)
    assert problems(report) == {"invalid_digests": [victim], "unverified_log_files": trail.listed(victim)}
    assert report.invalid_digest_reasons == {victim: "no signature in its S3 metadata"}
