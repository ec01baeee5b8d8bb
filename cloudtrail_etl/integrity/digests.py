"""CloudTrail digest files: their keys, their documents, and the checks on one digest (pure functions, no I/O).

A digest covers one hour of deliveries of one account and region: it lists each log file delivered in
[digestStartTime, digestEndTime) with the SHA-256 of its uncompressed bytes, and links to the previous digest by key
and by the SHA-256 of its uncompressed bytes. Its signature is not in the file but in the S3 object's metadata
(`signature`, hex; `signature-algorithm`), over `string_to_sign`. A starting digest has null previous* fields.
Backfill digests (`..._backfill.json.gz`, metadata `backfill-generation-timestamp`) list log files the original
digest of that hour missed because of processing delays; they are signed the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import hashlib
import json
import re
import zlib
from typing import Any

DIGEST_FOLDER = "CloudTrail-Digest"
SIGNATURE_ALGORITHM = "SHA256withRSA"
HASH_ALGORITHM = "SHA-256"
# ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHMMSSZ[_backfill].json.gz; trail names may hold "_".
_DIGEST_NAME = re.compile(
    r"^(?P<account>\d{12})_CloudTrail-Digest_(?P<region>[a-z0-9-]+)_(?P<trail>.+)_(?P<home>[a-z]{2}(?:-[a-z]+)+-\d+)_"
    r"(?P<end>\d{8}T\d{6}Z)(?P<backfill>_backfill)?\.json\.gz$"
)
_REQUIRED = ("digestStartTime", "digestEndTime", "digestS3Bucket", "digestS3Object", "digestPublicKeyFingerprint")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_time(text: str) -> dt.datetime:
    """CloudTrail's UTC timestamps (`2026-01-02T14:17:28Z`) as aware datetimes."""
    return dt.datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=dt.timezone.utc)


def format_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime(_TIME_FORMAT)


@dataclasses.dataclass(frozen=True)
class DigestName:
    """What a digest's file name says: its trail (name + home region), end time and whether it is a backfill."""

    account: str
    region: str
    trail: str
    home_region: str
    end: dt.datetime
    backfill: bool

    @property
    def chain(self) -> tuple[str, str, str, str]:
        """Digests of one chain: same account, region, trail and home region."""
        return (self.account, self.region, self.trail, self.home_region)


def parse_digest_name(key: str) -> DigestName | None:
    match = _DIGEST_NAME.match(key.rsplit("/", 1)[-1])
    if not match:
        return None
    end = dt.datetime.strptime(match["end"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    return DigestName(match["account"], match["region"], match["trail"], match["home"], end, bool(match["backfill"]))


def gunzip(data: bytes) -> bytes:
    """The uncompressed bytes of a gzip file, all members (what CloudTrail hashes)."""
    return gzip.decompress(data)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of_gzip(data: bytes) -> str:
    """SHA-256 of the uncompressed content, streamed member by member (multi-member gzip files too)."""
    digest = hashlib.sha256()
    while data:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        digest.update(inflater.decompress(data))
        digest.update(inflater.flush())
        if not inflater.eof:
            raise zlib.error("truncated gzip stream")
        data = inflater.unused_data
    return digest.hexdigest()


@dataclasses.dataclass(frozen=True)
class LogFileEntry:
    bucket: str
    key: str
    hash_value: str


@dataclasses.dataclass(frozen=True)
class Digest:
    """One digest file as read: its parsed document, the hash of its uncompressed bytes, its metadata signature."""

    rel: str  # path under the input root
    document: dict[str, Any]
    content_sha256: str
    signature: str | None = None  # hex, from S3 metadata; None for a local folder
    signature_algorithm: str | None = None

    @property
    def start(self) -> dt.datetime:
        return parse_time(self.document["digestStartTime"])

    @property
    def end(self) -> dt.datetime:
        return parse_time(self.document["digestEndTime"])

    @property
    def previous_key(self) -> str | None:
        return self.document.get("previousDigestS3Object")

    @property
    def previous_bucket(self) -> str | None:
        return self.document.get("previousDigestS3Bucket")

    @property
    def is_start(self) -> bool:
        """A starting digest: validation just enabled or logging restarted; it links to nothing."""
        return self.previous_key is None

    @property
    def log_files(self) -> list[LogFileEntry]:
        return [
            LogFileEntry(entry["s3Bucket"], entry["s3Object"], entry["hashValue"])
            for entry in self.document.get("logFiles") or []
        ]


class DigestFormatError(ValueError):
    """Not gzip, not JSON, or a document without the fields every digest has."""


def parse_digest(rel: str, raw: bytes, metadata: dict[str, str] | None) -> Digest:
    """A digest from its stored (gzip) bytes and, from S3, the object metadata."""
    try:
        content = gunzip(raw)
        document = json.loads(content)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise DigestFormatError(f"not a gzip JSON document ({exc})") from None
    if not isinstance(document, dict) or any(not isinstance(document.get(k), str) for k in _REQUIRED):
        raise DigestFormatError("missing digest fields")
    if not isinstance(document.get("logFiles", []), list):
        raise DigestFormatError("logFiles is not a list")
    try:
        parse_time(document["digestStartTime"]), parse_time(document["digestEndTime"])
    except ValueError:
        raise DigestFormatError("digestStartTime or digestEndTime is not a UTC timestamp") from None
    metadata = metadata or {}
    return Digest(
        rel=rel,
        document=document,
        content_sha256=sha256_hex(content),
        signature=metadata.get("signature"),
        signature_algorithm=metadata.get("signature-algorithm"),
    )


def string_to_sign(document: dict[str, Any], content_sha256: str) -> bytes:
    """digestEndTime, bucket/key, hex SHA-256 of the uncompressed digest, previous signature (`null` if none)."""
    previous = document.get("previousDigestSignature")
    return "\n".join(
        (
            document["digestEndTime"],
            f"{document['digestS3Bucket']}/{document['digestS3Object']}",
            content_sha256,
            "null" if previous is None else previous,
        )
    ).encode("utf-8")
