"""Find the delivery folders and files of a KST day without listing the whole bucket.

Walks `AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/` level by level (delimiter listings on S3), so an
organization trail with hundreds of accounts costs a few calls per account and region, and only the two UTC day
folders are listed file by file. Digest, Insight and other sibling folders are never entered.

A file's name carries its delivery time, and a file holds only records from before it: files of folder D-1
delivered before the KST day began (15:00Z, less a margin) cannot hold its events and are not read. They are
about 30% of the two folders. Files whose names do not follow CloudTrail's pattern are always read.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import os
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlparse

from cloudtrail_etl.days import first_delivery, utc_folders
from cloudtrail_etl.errors import InputNotFound

LOG_SUFFIX = ".json.gz"
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
REGION_NAME = re.compile(r"^[a-z]{2,4}(-[a-z0-9]+)+-[0-9]+$")
# ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_RANDOM.json.gz: group 1 is the delivery time, comparable as text.
# ASCII classes only, so that Java and Python read it alike: the reader applies it in Spark (reader.py) too.
DELIVERY_TIME_IN_NAME = r"_CloudTrail_[a-z0-9-]+_([0-9]{8}T[0-9]{4})Z_[A-Za-z0-9]+\.json\.gz$"
DELIVERY_TIME_FORMAT = "%Y%m%dT%H%M"
LISTING_THREADS = 16


@dataclasses.dataclass(frozen=True)
class InputFile:
    uri: str
    size: int
    folder_day: dt.date | None = None  # the UTC date folder it was listed in

    @property
    def name(self) -> str:
        return self.uri.rsplit("/", 1)[-1]


@dataclasses.dataclass(frozen=True)
class DayInput:
    """What one run reads: the date folders (handed to Spark) and the log files found in them."""

    folders: tuple[str, ...]
    files: tuple[InputFile, ...]  # the files to read
    skipped: tuple[InputFile, ...] = ()  # listed, but delivered before the day began
    delivered_since: str = ""  # DELIVERY_TIME_FORMAT: files named with an earlier delivery time are skipped

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def delivered_before(name: str, since: str) -> bool:
    """True when the file name says it was delivered before `since` (DELIVERY_TIME_FORMAT)."""
    match = re.search(DELIVERY_TIME_IN_NAME, name)
    return bool(match and since and match.group(1) < since)


def is_s3(uri: str) -> bool:
    return urlparse(uri).scheme in ("s3", "s3a", "s3n")


class _LocalLister:
    def __init__(self, root: str):
        self.root = root.rstrip("/")

    def exists(self, rel: str) -> bool:
        return os.path.isdir(os.path.join(self.root, rel))

    def subfolders(self, rel: str) -> list[str]:
        path = os.path.join(self.root, rel)
        try:
            return sorted(name for name in os.listdir(path) if os.path.isdir(os.path.join(path, name)))
        except FileNotFoundError:
            return []

    def files(self, rel: str, folder_day: dt.date | None = None) -> list[InputFile]:
        path = os.path.join(self.root, rel)
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except FileNotFoundError:
            return []
        return [
            InputFile(os.path.abspath(e.path), e.stat().st_size, folder_day)
            for e in entries
            if e.is_file() and e.name.endswith(LOG_SUFFIX)
        ]

    def uri(self, rel: str) -> str:
        return os.path.abspath(os.path.join(self.root, rel))


class _S3Lister:
    """Delimiter listings with boto3; honours AWS_ENDPOINT_URL (moto in tests)."""

    def __init__(self, root: str, client=None):
        parsed = urlparse(root)
        self.scheme, self.bucket = parsed.scheme, parsed.netloc
        self.prefix = parsed.path.strip("/")
        if client is None:
            import boto3

            client = boto3.client("s3")
        self.client = client

    def _key(self, rel: str) -> str:
        parts = [p for p in (self.prefix, rel.strip("/")) if p]
        return "/".join(parts) + "/"

    def _pages(self, rel: str, delimiter: bool):
        paginator = self.client.get_paginator("list_objects_v2")
        kwargs = {"Bucket": self.bucket, "Prefix": self._key(rel)}
        if delimiter:
            kwargs["Delimiter"] = "/"
        yield from paginator.paginate(**kwargs)

    def exists(self, rel: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            response = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._key(rel), MaxKeys=1)
        except ClientError as exc:  # NoSuchBucket, AccessDenied, ...: the input cannot be read at all
            error = exc.response.get("Error", {})
            reason = f"{error.get('Code')} {error.get('Message', '')}".strip()
            raise InputNotFound(f"cannot list s3://{self.bucket}/{self._key(rel)}: {reason}") from None
        return response.get("KeyCount", 0) > 0

    def subfolders(self, rel: str) -> list[str]:
        names = []
        for page in self._pages(rel, delimiter=True):
            for common in page.get("CommonPrefixes", []):
                names.append(common["Prefix"].rstrip("/").rsplit("/", 1)[-1])
        return sorted(names)

    def files(self, rel: str, folder_day: dt.date | None = None) -> list[InputFile]:
        found = []
        for page in self._pages(rel, delimiter=True):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(LOG_SUFFIX):
                    uri = f"{self.scheme}://{self.bucket}/{obj['Key']}"
                    found.append(InputFile(uri, int(obj["Size"]), folder_day))
        return found

    def uri(self, rel: str) -> str:
        return f"{self.scheme}://{self.bucket}/{self._key(rel).rstrip('/')}"


def make_lister(input_uri: str, s3_client=None):
    return _S3Lister(input_uri, s3_client) if is_s3(input_uri) else _LocalLister(input_uri)


def _account_roots(lister) -> list[str]:
    """Every AWSLogs/ACCOUNT and AWSLogs/o-ORG/ACCOUNT folder under the input."""
    roots = []
    for name in lister.subfolders("AWSLogs"):
        if ACCOUNT_ID.match(name):
            roots.append(f"AWSLogs/{name}")
        elif _ORG.match(name):
            members = lister.subfolders(f"AWSLogs/{name}")
            roots.extend(f"AWSLogs/{name}/{account}" for account in members if ACCOUNT_ID.match(account))
    return roots


def _named(kind: str, names: Iterable[str], limit: int = 10) -> str:
    names = sorted(set(names))
    if not names:
        return f"no {kind}"
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{kind} {', '.join(names[:limit])}{more}"


def _selected(found: Sequence[str], wanted: Sequence[str], kind: str, input_uri: str) -> list[str]:
    """`found` restricted to `wanted`; a filter that matches nothing is an error naming what the input holds."""
    if not wanted:
        return list(found)
    names = {rel.rsplit("/", 1)[-1] for rel in found}
    if not names & set(wanted):
        raise InputNotFound(
            f"--{kind}s {','.join(wanted)} matches nothing under {input_uri}, which holds {_named(kind + 's', names)}"
        )
    return [rel for rel in found if rel.rsplit("/", 1)[-1] in wanted]


def discover_day(
    input_uri: str,
    day: dt.date,
    accounts: Sequence[str] = (),
    regions: Sequence[str] = (),
    s3_client=None,
) -> DayInput:
    """The files of one KST day: UTC folders D-1 and D, less those delivered before the day began."""
    since = first_delivery(day).strftime(DELIVERY_TIME_FORMAT)
    return discover(input_uri, utc_folders(day), since, accounts, regions, s3_client)


def trail_root(input_uri: str) -> str:
    """The location that holds AWSLogs/ (the AWSLogs folder itself is accepted: a common way to name a trail's)."""
    trimmed = input_uri.rstrip("/")
    if trimmed.endswith("/AWSLogs"):
        return trimmed[: -len("/AWSLogs")] or "/"
    return input_uri


def trail_streams(
    lister, input_uri: str, accounts: Sequence[str] = (), regions: Sequence[str] = (), kinds=("CloudTrail",)
) -> list[tuple[str, str]]:
    """(AWSLogs/[o-ORG/]ACCOUNT, REGION) of every selected account and region that has a `kinds` folder
    (CloudTrail, CloudTrail-Digest). A filter that matches nothing raises InputNotFound naming what there is."""
    streams = []
    for account_rel in _selected(_account_roots(lister), accounts, "account", input_uri):
        found = {region for kind in kinds for region in lister.subfolders(f"{account_rel}/{kind}")}
        streams += [f"{account_rel}/{region}" for region in sorted(found) if REGION_NAME.match(region)]
    return [tuple(rel.rsplit("/", 1)) for rel in _selected(streams, regions, "region", input_uri)]  # type: ignore[misc]


def discover(
    input_uri: str,
    folder_days: Sequence[dt.date],
    delivered_since: str,
    accounts: Sequence[str] = (),
    regions: Sequence[str] = (),
    s3_client=None,
) -> DayInput:
    """List the UTC folders `folder_days` of every (selected) account and region under `input_uri`, each once;
    files named with a delivery time before `delivered_since` are set aside (`skipped`)."""
    if not is_s3(input_uri) and not os.path.exists(urlparse(input_uri).path if "://" in input_uri else input_uri):
        raise InputNotFound(f"--input {input_uri} does not exist")
    input_uri = trail_root(input_uri)
    lister = make_lister(input_uri, s3_client)
    if not lister.exists("AWSLogs"):
        raise InputNotFound(f"no AWSLogs/ folder under --input {input_uri}")
    folders: list[str] = []
    files: list[InputFile] = []
    wanted = [
        (f"{account_rel}/CloudTrail/{region}/{folder_day:%Y/%m/%d}", folder_day)
        for account_rel, region in trail_streams(lister, input_uri, accounts, regions)
        for folder_day in folder_days
    ]
    # One listing per folder: a quarter of an organization trail is 100K+ of them, each a round trip to S3. They run
    # LISTING_THREADS at a time (boto3 clients are thread-safe); results keep the order above.
    with concurrent.futures.ThreadPoolExecutor(max_workers=LISTING_THREADS) as pool:
        listed = pool.map(lambda folder: lister.files(*folder), wanted)
        for (rel, _), found in zip(wanted, listed):
            if found:
                folders.append(lister.uri(rel))
                files.extend(found)
    kept: list[InputFile] = []
    skipped: list[InputFile] = []
    for f in files:
        (skipped if delivered_before(f.name, delivered_since) else kept).append(f)
    return DayInput(tuple(folders), tuple(kept), tuple(skipped), delivered_since)
