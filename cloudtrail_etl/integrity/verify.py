"""Verify KST days of a trail against its digest files: log files, the digest chain, and the signatures.

For each account and region under the input, over the digests whose hourly windows overlap the days' delivery
time ([D-1 15:00Z, D 15:00Z) per KST day D; digest windows start at a per-trail offset, so they straddle the ends):

- every log file a digest lists, delivered in the days, exists and hashes (SHA-256 of its uncompressed bytes) to
  its hashValue (hashed on Spark's executors, hashing.py);
- every log file of the days' folders delivered inside a window of a valid digest is listed by some digest; a file
  delivered where no valid digest covers the time is unverified, unless the gap ends with a valid starting digest
  (validation or logging was off: CloudTrail digests nothing then), which the report notes as uncovered;
- each digest's previous digest exists and its uncompressed bytes hash to previousDigestHashValue; a starting digest
  (null previous fields) begins a chain; `"logFiles": []` is an hour without deliveries;
- from S3, each digest's signature (object metadata) verifies with the CloudTrail key it names; a local folder has
  no metadata, so the report says signatures were not checked.

Digest folders are named after the digest's END time: the windows that overlap day D and the successors that vouch
for them all end within [D-1 15:00Z, D 17:00Z), i.e. in digest folders D-1 and D.
Backfill digests list files their hour's digest missed; they count as listings and are checked like any digest
(location, signature), but they are not links of the chain (the hour's own digest still has to be there).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pyspark.sql import SparkSession

from cloudtrail_etl.days import utc_bounds, utc_folders
from cloudtrail_etl.discovery import DELIVERY_TIME_FORMAT
from cloudtrail_etl.errors import JobError
from cloudtrail_etl.integrity import rsa
from cloudtrail_etl.integrity.digests import (
    DIGEST_FOLDER,
    SIGNATURE_ALGORITHM,
    Digest,
    DigestFormatError,
    gunzip,
    parse_digest,
    parse_digest_name,
    sha256_hex,
    string_to_sign,
)
from cloudtrail_etl.integrity.hashing import MISSING, HashCheck, hash_and_compare
from cloudtrail_etl.integrity.keys import fetch_public_keys
from cloudtrail_etl.integrity.report import IntegrityReport
from cloudtrail_etl.integrity.store import TrailStore
from cloudtrail_etl.sources.cloudtrail.layout import DELIVERY_TIME_IN_NAME

HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
Interval = tuple[dt.datetime, dt.datetime]


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlaps(span: Interval, intervals: Sequence[Interval]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in intervals)


def _covered(span: Interval, intervals: Sequence[Interval]) -> bool:
    """True when `span` lies inside the union of `intervals` (merged)."""
    return any(start <= span[0] and span[1] <= end for start, end in _merge(intervals))


def delivery_minute(rel: str) -> Interval | None:
    """The minute a log file's name says it was delivered in, or None for a name CloudTrail would not write."""
    match = re.search(DELIVERY_TIME_IN_NAME, rel.rsplit("/", 1)[-1])
    if not match:
        return None
    start = dt.datetime.strptime(match.group(1), DELIVERY_TIME_FORMAT).replace(tzinfo=dt.timezone.utc)
    return start, start + MINUTE


@dataclasses.dataclass
class _Stream:
    """The digests and log folders of one account and region, as found."""

    account_rel: str
    region: str
    digests: dict[str, Digest] = dataclasses.field(default_factory=dict)  # rel -> parsed digest
    unreadable: dict[str, str] = dataclasses.field(default_factory=dict)  # rel -> why it cannot be parsed


class Verifier:
    """One verification: collects digests, checks them on the driver, hashes log files with Spark."""

    def __init__(
        self,
        spark: SparkSession,
        input_uri: str,
        days: Sequence[dt.date],
        accounts: Sequence[str] = (),
        regions: Sequence[str] = (),
        public_keys: Mapping[str, rsa.RsaPublicKey] | None = None,
        s3_client=None,
        executor_s3_config: dict[str, Any] | None = None,
    ):
        if not days:
            raise ValueError("no days to verify")
        self.spark = spark
        self.store = TrailStore(input_uri, s3_client)
        self.days = sorted(set(days))
        self.accounts, self.regions = tuple(accounts), tuple(regions)
        self.public_keys = dict(public_keys) if public_keys is not None else None
        self.executor_s3_config = executor_s3_config
        self.intervals = _merge(utc_bounds(day) for day in self.days)
        self.report = IntegrityReport(days=[d.isoformat() for d in self.days], input=input_uri)

    # ------------------------------------------------------------------ collection (driver, few files)

    def _folder_days(self) -> list[dt.date]:
        return sorted({folder for day in self.days for folder in utc_folders(day)})

    def _collect(self, account_rel: str, region: str) -> _Stream:
        stream = _Stream(account_rel, region)
        for folder_day in self._folder_days():
            rel_folder = f"{account_rel}/{DIGEST_FOLDER}/{region}/{folder_day:%Y/%m/%d}"
            for found in self.store.files(rel_folder):
                rel = self.store.rel(found.uri)
                if parse_digest_name(rel) is None:
                    continue
                self._load(stream, rel)
        return stream

    def _load(self, stream: _Stream, rel: str) -> Digest | None:
        if rel in stream.digests:
            return stream.digests[rel]
        stored = self.store.read(rel)
        if stored is None:
            return None
        raw, metadata = stored
        try:
            digest = parse_digest(rel, raw, metadata)
        except DigestFormatError as exc:
            stream.unreadable[rel] = str(exc)
            return None
        stream.digests[rel] = digest
        return digest

    def _raw_sha(self, rel: str) -> str | None:
        stored = self.store.read(rel)
        if stored is None:
            return None
        try:
            return sha256_hex(gunzip(stored[0]))
        except (OSError, EOFError, ValueError):
            return ""

    # ------------------------------------------------------------------ checks of one digest

    def _location_problem(self, digest: Digest) -> str | None:
        doc = digest.document
        if self.store.s3:
            if doc["digestS3Bucket"] != self.store.bucket or doc["digestS3Object"] != self.store.key_of_rel(digest.rel):
                return "moved: it names another location than the one it was read from"
        elif self.store.rel_of_key(doc["digestS3Object"]) != digest.rel:
            return "moved: it names another location than the one it was read from"
        return None

    def _signature_problem(self, digest: Digest) -> str | None:
        if not self.store.s3:
            return None
        if not digest.signature or not digest.signature_algorithm:
            return "no signature in its S3 metadata"
        if digest.signature_algorithm != SIGNATURE_ALGORITHM:
            return f"unknown signature algorithm {digest.signature_algorithm}"
        fingerprint = digest.document["digestPublicKeyFingerprint"]
        key = (self.public_keys or {}).get(fingerprint)
        if key is None:
            return f"no public key with fingerprint {fingerprint}"
        try:
            signature = bytes.fromhex(digest.signature)
        except ValueError:
            return "signature metadata is not hex"
        if not rsa.verify(key, string_to_sign(digest.document, digest.content_sha256), signature):
            return "signature verification failed"
        return None

    def _ensure_keys(self, streams: Sequence[_Stream]) -> None:
        """Public keys for S3 inputs: the given ones, else CloudTrail's for the home regions in play."""
        if not self.store.s3:
            self.report.signatures = {
                "checked": False,
                "note": "a local folder has no S3 object metadata: digest signatures were not checked",
            }
            return
        source = "file"
        if self.public_keys is None:
            source = "api"
            homes = {parse_digest_name(rel).home_region for s in streams for rel in s.digests}
            starts = [d.start for s in streams for d in s.digests.values()] or [self.intervals[0][0]]
            ends = [d.end for s in streams for d in s.digests.values()] or [self.intervals[-1][1]]
            try:
                self.public_keys = fetch_public_keys(homes, min(starts) - HOUR, max(ends) + HOUR) if homes else {}
            except Exception as exc:
                raise JobError(
                    f"could not get CloudTrail's public keys (give --public-keys FILE instead): {exc}"
                ) from None
        self.report.signatures = {"checked": True, "public_keys": source, "verified": 0, "failed": 0}

    # ------------------------------------------------------------------ the run

    def run(self) -> IntegrityReport:
        streams = [self._collect(acct, region) for acct, region in self.store.streams(self.accounts, self.regions)]
        self.report.accounts_regions = len(streams)
        self._ensure_keys(streams)
        checks: list[HashCheck] = []
        for stream in streams:
            checks.extend(self._verify_stream(stream))
        outcome = hash_and_compare(self.spark, checks, self.executor_s3_config)
        self.report.log_files_verified = outcome.verified
        for rel, problem in outcome.problems.items():
            (self.report.missing_log_files if problem == MISSING else self.report.modified_log_files).append(rel)
        return self.report.finish()

    def _in_scope(self, window: Interval) -> bool:
        return _overlaps(window, self.intervals)

    def _verify_stream(self, stream: _Stream) -> list[HashCheck]:
        report = self.report
        invalid: dict[str, str] = {}
        suspect: list[Interval] = []  # windows of missing or invalid digests
        good: list[Interval] = []  # windows of valid (non-backfill) digests
        explained: list[Interval] = []  # gaps a valid starting digest ends: validation or logging was off

        for rel, reason in stream.unreadable.items():
            name = parse_digest_name(rel)
            window = (name.end - HOUR, name.end)
            if self._in_scope(window):
                invalid[rel] = reason
                suspect.append(window)

        in_scope = {rel: d for rel, d in stream.digests.items() if self._in_scope((d.start, d.end))}
        # A digest's own checks: where it was read from, its signature.
        valid: dict[str, Digest] = {}
        for rel, digest in list(stream.digests.items()):
            signature_problem = self._signature_problem(digest)
            if rel in in_scope and self.store.s3:
                report.signatures["failed" if signature_problem else "verified"] += 1
            problem = self._location_problem(digest) or signature_problem
            if problem:
                invalid[rel] = problem
            else:
                valid[rel] = digest
        # The chain, newest first: each valid digest vouches for its predecessor's content (and signature).
        for rel, digest in sorted(stream.digests.items(), key=lambda item: item[1].end, reverse=True):
            if rel not in valid or parse_digest_name(rel).backfill or digest.start >= self.intervals[-1][1] + HOUR:
                continue
            if digest.is_start:
                if rel in in_scope:
                    report.chain_starts.append(rel)
                continue
            previous = self.store.rel_of_key(digest.previous_key)
            previous_name = parse_digest_name(previous)
            previous_end = previous_name.end if previous_name else digest.start
            if not self._in_scope((previous_end - HOUR, previous_end)):
                continue  # the predecessor's hour belongs to other days
            target = self._load(stream, previous)
            actual = target.content_sha256 if target else self._raw_sha(previous)
            if actual is None:
                report.missing_digests.append(previous)
                suspect.append((previous_end - HOUR, previous_end))
                continue
            if actual != digest.document.get("previousDigestHashValue"):
                invalid.setdefault(previous, f"its content does not match the link in {rel}")
            elif self.store.s3 and target and target.signature != digest.document.get("previousDigestSignature"):
                invalid.setdefault(previous, f"its signature metadata differs from the link in {rel}")
            else:
                continue
            valid.pop(previous, None)
            suspect.append((target.start, target.end) if target else (previous_end - HOUR, previous_end))

        for rel, reason in invalid.items():
            digest = stream.digests.get(rel)
            window = (digest.start, digest.end) if digest else None
            if window is None or self._in_scope(window):
                report.invalid_digests.append(rel)
                report.invalid_digest_reasons[rel] = reason
                if window:
                    suspect.append(window)
        report.digests_checked += len(in_scope) + sum(1 for rel in stream.unreadable if rel in invalid)

        for rel, digest in valid.items():
            if rel in in_scope and not parse_digest_name(rel).backfill:
                good.append((digest.start, digest.end))
        explained.extend(self._gaps_before_starts(stream, valid))
        return self._log_files(stream, valid, invalid, good, suspect, explained)

    @staticmethod
    def _gaps_before_starts(stream: _Stream, valid: Mapping[str, Digest]) -> list[Interval]:
        """[end of the chain's previous digest (or long before), start) for each valid starting digest."""
        gaps = []
        for rel, digest in valid.items():
            name = parse_digest_name(rel)
            if not digest.is_start or name.backfill:
                continue
            earlier = [
                other.end
                for other_rel, other in stream.digests.items()
                if parse_digest_name(other_rel).chain == name.chain and other.end <= digest.start
            ]
            gaps.append((max(earlier) if earlier else digest.start - dt.timedelta(days=400), digest.start))
        return gaps

    def _in_days(self, rel: str, day_folders: set[str]) -> bool:
        minute = delivery_minute(rel)
        if minute is None:
            return rel.rsplit("/", 1)[0] in day_folders
        return _overlaps(minute, self.intervals)

    def _log_files(
        self,
        stream: _Stream,
        valid: Mapping[str, Digest],
        invalid: Mapping[str, str],
        good: list[Interval],
        suspect: list[Interval],
        explained: list[Interval],
    ) -> list[HashCheck]:
        report = self.report
        listed: dict[str, str] = {}  # rel -> expected hash, from valid digests
        for digest in valid.values():
            for entry in digest.log_files:
                listed.setdefault(self.store.rel_of_key(entry.key), entry.hash_value)
        listed_by_invalid = {
            self.store.rel_of_key(entry.key)
            for rel in invalid
            if rel in stream.digests
            for entry in stream.digests[rel].log_files
        }
        day_folders = {
            f"{stream.account_rel}/CloudTrail/{stream.region}/{folder:%Y/%m/%d}" for folder in self._folder_days()
        }
        folders = set(day_folders)
        folders |= {rel.rsplit("/", 1)[0] for rel in listed if self._in_days(rel, day_folders)}
        present: dict[str, str] = {}
        for folder in sorted(folders):
            for found in self.store.files(folder):
                present[self.store.rel(found.uri)] = found.uri

        checks = []
        for rel, expected in sorted(listed.items()):
            if not self._in_days(rel, day_folders):
                continue  # delivered on another day: that day's verification checks it
            if rel in present:
                checks.append(HashCheck(rel, present[rel], expected))
            else:
                report.missing_log_files.append(rel)
        for rel in sorted(present):
            if rel in listed or not self._in_days(rel, day_folders):
                continue
            minute = delivery_minute(rel)
            if rel in listed_by_invalid or (minute and _overlaps(minute, suspect)):
                report.unverified_log_files.append(rel)
            elif minute is None or _covered(minute, good):
                report.unlisted_log_files.append(rel)
            elif _covered(minute, explained):
                report.uncovered_log_files.append(rel)
            else:  # no digest covers it and no chain start explains why: deleted, not delivered yet, or none at all
                report.unverified_log_files.append(rel)
        return checks


def verify_days(
    spark: SparkSession,
    input_uri: str,
    days: Sequence[dt.date],
    accounts: Sequence[str] = (),
    regions: Sequence[str] = (),
    public_keys: Mapping[str, rsa.RsaPublicKey] | None = None,
    s3_client=None,
    executor_s3_config: dict[str, Any] | None = None,
) -> IntegrityReport:
    """Verify the KST `days` of the trail under `input_uri`; the report's `ok` says whether all is intact.

    `public_keys` (fingerprint -> key, see keys.load_public_keys_file): for S3 inputs; None asks CloudTrail's
    ListPublicKeys. `s3_client` is the driver's boto3 S3 client (default: boto3.client("s3")); `executor_s3_config`
    the keyword arguments of the executors' client (default: their environment). Raises InputNotFound when the
    input holds no AWSLogs/.
    """
    return Verifier(spark, input_uri, days, accounts, regions, public_keys, s3_client, executor_s3_config).run()
