"""Hash log files on Spark's executors: SHA-256 of each file's uncompressed bytes, compared there with the digest's.

Why on executors: a day of an organization trail is 100K+ files; downloading them one by one on the driver would
take longer than converting the day. The driver sends out (path, location, expected hash) triples, each task
reads its files (local paths with open(), S3 objects with boto3 and a few threads, since S3 reads wait on the
network) and only problems and a count come back: no file content ever reaches the driver.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlparse

from pyspark.sql import SparkSession

MODIFIED = "modified"  # the uncompressed bytes no longer hash to the digest's hashValue (or are not gzip at all)
MISSING = "missing"  # gone between the listing and the read
_FILES_PER_TASK = 400
_S3_THREADS = 8


@dataclasses.dataclass(frozen=True)
class HashCheck:
    rel: str  # path under the input root, as reported
    uri: str  # local path or s3://bucket/key
    expected: str  # hex SHA-256 from the digest


@dataclasses.dataclass
class HashOutcome:
    verified: int
    problems: dict[str, str]  # rel -> MODIFIED | MISSING


def _check_local(item: tuple[str, str, str]) -> str | None:
    from cloudtrail_etl.integrity.digests import sha256_of_gzip

    _rel, path, expected = item
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return MISSING
    try:
        return None if sha256_of_gzip(data) == expected else MODIFIED
    except Exception:  # not gzip, truncated: its content is not what CloudTrail hashed
        return MODIFIED


def _check_s3(client: Any, item: tuple[str, str, str]) -> str | None:
    from botocore.exceptions import ClientError

    from cloudtrail_etl.integrity.digests import sha256_of_gzip

    _rel, uri, expected = item
    parsed = urlparse(uri)
    try:
        data = client.get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            return MISSING
        raise
    try:
        return None if sha256_of_gzip(data) == expected else MODIFIED
    except Exception:
        return MODIFIED


def check_partition(items: Iterable[tuple[str, str, str]], s3_config: dict[str, Any] | None) -> Iterator[tuple]:
    """Runs in a task: yields (rel, problem) for each bad file, then ("", count of good files)."""
    items = list(items)
    if not items:
        return
    if items[0][1].startswith(("s3://", "s3a://", "s3n://")):
        from concurrent.futures import ThreadPoolExecutor

        import boto3

        client = boto3.client("s3", **(s3_config or {}))  # boto3 clients are safe to share between threads
        with ThreadPoolExecutor(_S3_THREADS) as pool:
            outcomes = list(pool.map(lambda item: _check_s3(client, item), items))
    else:
        outcomes = [_check_local(item) for item in items]
    good = 0
    for item, outcome in zip(items, outcomes):
        if outcome is None:
            good += 1
        else:
            yield (item[0], outcome)
    yield ("", good)


def hash_and_compare(
    spark: SparkSession, checks: Sequence[HashCheck], s3_config: dict[str, Any] | None = None
) -> HashOutcome:
    """Check every file's uncompressed SHA-256 against its digest entry, in Spark tasks of a few hundred files.

    `s3_config`: keyword arguments for the executors' boto3 S3 client (e.g. endpoint_url); None uses the
    executors' own environment (instance role, AWS_ENDPOINT_URL), as EMR and Glue set it up."""
    if not checks:
        return HashOutcome(0, {})
    rows = [(c.rel, c.uri, c.expected) for c in checks]
    slices = max(spark.sparkContext.defaultParallelism, -(-len(rows) // _FILES_PER_TASK))
    slices = min(slices, len(rows))
    config = dict(s3_config) if s3_config else None
    results = (
        spark.sparkContext.parallelize(rows, slices).mapPartitions(lambda part: check_partition(part, config)).collect()
    )
    verified = 0
    problems: dict[str, str] = {}
    for rel, value in results:
        if rel == "":
            verified += value
        else:
            problems[rel] = value
    return HashOutcome(verified, problems)
