"""Find the delivery folders and files of a run without listing the whole bucket.

Every AWS log this job reads lies under `AWSLogs/` in folders by account, region and UTC date; each source says how
(its layout: sources/). The walk goes level by level with delimiter listings on S3, so an organization trail with
hundreds of accounts costs a few calls per account and region, and only the run's UTC date folders are listed file
by file.

A delivery file's name carries the UTC time it was delivered (or made), and a file holds only records from before
that time: files of the first folder named with a time before the first KST day began (less a margin) cannot hold
its records and are not read. Files whose names do not follow their source's pattern are always read.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import os
import re
from collections.abc import Iterable, Sequence
from typing import Protocol
from urllib.parse import urlparse

from cloudtrail_etl.errors import InputNotFound

ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
REGION_NAME = re.compile(r"^[a-z]{2,4}(-[a-z0-9]+)+-[0-9]+$")
DELIVERY_TIME_FORMAT = "%Y%m%dT%H%M"
LISTING_THREADS = 16


@dataclasses.dataclass(frozen=True)
class InputFile:
    uri: str
    size: int
    folder_day: dt.date | None = None  # the UTC date folder it was listed in
    delivered: str = ""  # DELIVERY_TIME_FORMAT, from the name; "" when the name does not say

    @property
    def name(self) -> str:
        return self.uri.rsplit("/", 1)[-1]


@dataclasses.dataclass(frozen=True)
class DayInput:
    """What one run reads: the paths handed to Spark (folders, or files where a folder also holds subfolders) and
    the log files found in them."""

    folders: tuple[str, ...]
    files: tuple[InputFile, ...]  # the files to read
    skipped: tuple[InputFile, ...] = ()  # listed, but delivered before the first day began
    delivered_since: str = ""  # DELIVERY_TIME_FORMAT: files named with an earlier delivery time are skipped
    folder_count: int = 0  # the folders that hold the files
    # Files in the listed folders that the source does not read (another suffix: another log type, a copy, ...).
    not_read: tuple[InputFile, ...] = ()

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


@dataclasses.dataclass(frozen=True)
class Listing:
    """One folder: its subfolders' names, the files directly in it that the source reads, and the others."""

    subfolders: tuple[str, ...]
    files: tuple[InputFile, ...]
    others: tuple[InputFile, ...] = ()


class Layout(Protocol):
    """Where a source's files lie under AWSLogs/ (sources/*)."""

    def streams(self, lister, input_uri: str, accounts: Sequence[str], regions: Sequence[str]) -> list[str]:
        """The folder of every selected account and region that holds the source's date folders."""

    def day_folders(self, lister, stream: str, folder_day: dt.date, delivered_since: str) -> list[tuple[str, Listing]]:
        """(folder, its listing) of every folder of one UTC date that holds the source's files."""

    def delivered(self, name: str) -> str:
        """The delivery time a file's name carries (DELIVERY_TIME_FORMAT), or ""."""


def delivered_before(delivered: str, since: str) -> bool:
    """True when a file's delivery time (from its name) is known and before `since` (DELIVERY_TIME_FORMAT)."""
    return bool(delivered and since and delivered < since)


def delivered_since_glob(since: str) -> str:
    """A glob alternation ({a,b,...}) that matches a name's delivery time (DELIVERY_TIME_FORMAT, where it stands in
    the name) when it is `since` or later, followed by anything; `*` when `since` is "".

    Text of one shape compares as its first differing character: a later time has `since`'s first i characters and
    then a greater digit. So Spark's file listing (`pathGlobFilter`) skips the files made before the day, instead of
    a filter on the file's name that runs for every line read."""
    if not since:
        return "*"
    later = [f"{since[:i]}[{int(c) + 1}-9]" for i, c in enumerate(since) if c.isdigit() and c != "9"]
    return "{" + ",".join([since, *later]) + "}*"


def is_s3(uri: str) -> bool:
    return urlparse(uri).scheme in ("s3", "s3a", "s3n")


class _LocalLister:
    def __init__(self, root: str):
        self.root = root.rstrip("/")

    def exists(self, rel: str) -> bool:
        return os.path.isdir(os.path.join(self.root, rel))

    def subfolders(self, rel: str) -> list[str]:
        return list(self.listing(rel).subfolders)

    def listing(self, rel: str, folder_day: dt.date | None = None, suffix: str | tuple[str, ...] = "") -> Listing:
        path = os.path.join(self.root, rel)
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return Listing((), ())
        folders = tuple(e.name for e in entries if e.is_dir())
        files = [InputFile(os.path.abspath(e.path), e.stat().st_size, folder_day) for e in entries if e.is_file()]
        return _split(folders, files, suffix)

    def files(self, rel: str, folder_day: dt.date | None = None, suffix: str = ".json.gz") -> list[InputFile]:
        return list(self.listing(rel, folder_day, suffix).files)

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
        return list(self.listing(rel).subfolders)

    def listing(self, rel: str, folder_day: dt.date | None = None, suffix: str | tuple[str, ...] = "") -> Listing:
        folders: list[str] = []
        files: list[InputFile] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(rel), Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                folders.append(common["Prefix"].rstrip("/").rsplit("/", 1)[-1])
            for obj in page.get("Contents", []):
                if not obj["Key"].endswith("/"):
                    files.append(InputFile(f"{self.scheme}://{self.bucket}/{obj['Key']}", int(obj["Size"]), folder_day))
        return _split(tuple(sorted(folders)), files, suffix)

    def files(self, rel: str, folder_day: dt.date | None = None, suffix: str = ".json.gz") -> list[InputFile]:
        return list(self.listing(rel, folder_day, suffix).files)

    def uri(self, rel: str) -> str:
        return f"{self.scheme}://{self.bucket}/{self._key(rel).rstrip('/')}"


def _split(folders: tuple[str, ...], files: list[InputFile], suffix: str | tuple[str, ...]) -> Listing:
    """A folder's listing: the files named with `suffix` (one or several) to read, the others set apart."""
    return Listing(
        folders,
        tuple(f for f in files if f.name.endswith(suffix)),
        tuple(f for f in files if not f.name.endswith(suffix)),
    )


def kinds_of(files: Sequence[InputFile]) -> dict[str, int]:
    """How many files of each kind (what their names end with, from the first dot), most first."""
    kinds: dict[str, int] = {}
    for f in files:
        stem = f.name.lstrip(".")
        kind = "." + stem.split(".", 1)[1] if "." in stem else "(no suffix)"
        kinds[kind] = kinds.get(kind, 0) + 1
    return dict(sorted(kinds.items(), key=lambda item: (-item[1], item[0])))


def not_read_summary(files: Sequence[InputFile], limit: int = 3) -> str:
    """Files listed but not read, by kind, with an example name: "" when none."""
    if not files:
        return ""
    kinds = list(kinds_of(files).items())
    shown = ", ".join(f"{n} {kind}" for kind, n in kinds[:limit])
    more = f" and {len(kinds) - limit} more kinds" if len(kinds) > limit else ""
    return f"{len(files)} files in these folders are not read ({shown}{more}), e.g. {files[0].uri}"


def make_lister(input_uri: str, s3_client=None):
    return _S3Lister(input_uri, s3_client) if is_s3(input_uri) else _LocalLister(input_uri)


def named(kind: str, names: Iterable[str], limit: int = 10) -> str:
    names = sorted(set(names))
    if not names:
        return f"no {kind}"
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{kind} {', '.join(names[:limit])}{more}"


def selected(found: Sequence[tuple[str, str]], wanted: Sequence[str], kind: str, input_uri: str) -> list[str]:
    """The folders of `found` ((folder, the account id or region it stands for)) that `wanted` names; a filter that
    matches nothing is an error naming what the input holds."""
    if not wanted:
        return [rel for rel, _ in found]
    names = {name for _, name in found}
    if not names & set(wanted):
        raise InputNotFound(
            f"--{kind}s {','.join(wanted)} matches nothing under {input_uri}, which holds {named(kind + 's', names)}"
        )
    return [rel for rel, name in found if name in wanted]


def trail_root(input_uri: str) -> str:
    """The location that holds AWSLogs/ (the AWSLogs folder itself is accepted: a common way to name a trail's)."""
    trimmed = input_uri.rstrip("/")
    if trimmed.endswith("/AWSLogs"):
        return trimmed[: -len("/AWSLogs")] or "/"
    return input_uri


def discover(
    input_uri: str,
    layout: Layout,
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
    wanted = [
        (stream, folder_day)
        for stream in layout.streams(lister, input_uri, accounts, regions)
        for folder_day in folder_days
    ]
    paths: list[str] = []
    files: list[InputFile] = []
    not_read: list[InputFile] = []
    folder_count = 0
    # One listing per folder: a quarter of an organization trail is 100K+ of them, each a round trip to S3. They run
    # LISTING_THREADS at a time (boto3 clients are thread-safe); results keep the order above.
    with concurrent.futures.ThreadPoolExecutor(max_workers=LISTING_THREADS) as pool:
        listed = pool.map(lambda folder: layout.day_folders(lister, *folder, delivered_since), wanted)
        for found in listed:
            for rel, listing in found:
                not_read.extend(listing.others)
                if not listing.files:
                    continue
                folder_count += 1
                # Spark lists a folder it is given recursively: one that also holds subfolders is given by its files.
                paths.extend([f.uri for f in listing.files] if listing.subfolders else [lister.uri(rel)])
                files.extend(dataclasses.replace(f, delivered=layout.delivered(f.name)) for f in listing.files)
    kept: list[InputFile] = []
    skipped: list[InputFile] = []
    for f in files:
        (skipped if delivered_before(f.delivered, delivered_since) else kept).append(f)
    return DayInput(tuple(paths), tuple(kept), tuple(skipped), delivered_since, folder_count, tuple(not_read))
