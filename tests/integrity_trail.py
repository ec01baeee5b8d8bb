"""A signed sample trail for the verify tests, and the tampering they apply, read with gzip + json only."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from cloudtrail_etl.sample import SampleSpec, write_sample_trail
from cloudtrail_etl.sample.digests import digest_metadata, sign_digest

DAY = dt.date(2026, 1, 2)  # KST: delivered in [2026-01-01 15:00Z, 2026-01-02 15:00Z)
DAY_START = dt.datetime(2026, 1, 1, 15, tzinfo=dt.timezone.utc)
DAY_END = DAY_START + dt.timedelta(days=1)
SPEC = SampleSpec(start=dt.date(2026, 1, 1), days=2, delivery_interval_minutes=30, seed=5)
ORG_SPEC = SampleSpec(
    start=dt.date(2026, 1, 1),
    days=2,
    delivery_interval_minutes=60,
    seed=6,
    org_id="o-abcdefghij",
    accounts=("111111111111", "222222222222", "333333333333"),
    regions=("us-east-1",),
)


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def delivered(rel: str) -> dt.datetime:
    """The delivery minute in a log file's name (ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_X.json.gz)."""
    stamp = rel.rsplit("/", 1)[-1].split("_")[3]
    return dt.datetime.strptime(stamp, "%Y%m%dT%H%MZ").replace(tzinfo=dt.timezone.utc)


def in_day(rel: str, start: dt.datetime = DAY_START, end: dt.datetime = DAY_END) -> bool:
    return start <= delivered(rel) < end


def read_json_gz(path: Path) -> dict:
    return json.loads(gzip.decompress(path.read_bytes()))


@dataclass
class Trail:
    root: Path
    metadata: dict[str, dict[str, str]]  # digest key -> S3 metadata

    def logs(self) -> list[str]:
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in (self.root / "AWSLogs").rglob("*.json.gz")
            if "/CloudTrail/" in p.as_posix()
        )

    def digests(self) -> dict[str, dict]:
        """rel -> document, every digest file."""
        return {
            p.relative_to(self.root).as_posix(): read_json_gz(p)
            for p in sorted((self.root / "AWSLogs").rglob("*.json.gz"))
            if "/CloudTrail-Digest/" in p.as_posix()
        }

    def day_logs(self) -> list[str]:
        return [rel for rel in self.logs() if in_day(rel)]

    def day_digests(self) -> dict[str, dict]:
        """Digests whose window overlaps the day."""
        return {
            rel: doc
            for rel, doc in self.digests().items()
            if parse_time(doc["digestStartTime"]) < DAY_END and parse_time(doc["digestEndTime"]) > DAY_START
        }

    def stream_chain(self, account: str, region: str) -> list[str]:
        """The digests of one account and region, oldest first."""
        digests = self.digests()
        return sorted(
            (rel for rel in digests if f"/{account}/CloudTrail-Digest/{region}/" in rel),
            key=lambda rel: digests[rel]["digestEndTime"],
        )

    def listed(self, digest_rel: str) -> list[str]:
        return sorted(entry["s3Object"] for entry in self.digests()[digest_rel]["logFiles"])

    def rewrite_digest(self, rel: str, document: dict) -> None:
        """Write a digest document and sign it with the sample's test key (what CloudTrail would have written)."""
        payload = json.dumps(document, separators=(",", ":")).encode()
        (self.root / rel).write_bytes(gzip.compress(payload, mtime=0))
        self.metadata[rel] = digest_metadata(sign_digest(document, payload))

    def relink_after(self, rel: str) -> None:
        """Re-link and re-sign every digest after `rel` in its chain (after `rel` was rewritten)."""
        parts = rel.split("/")
        at = parts.index("CloudTrail-Digest")
        chain = self.stream_chain(parts[at - 1], parts[at + 1])
        previous = rel
        for current in chain[chain.index(rel) + 1 :]:
            document = read_json_gz(self.root / current)
            raw = gzip.decompress((self.root / previous).read_bytes())
            document["previousDigestHashValue"] = hashlib.sha256(raw).hexdigest()
            document["previousDigestSignature"] = self.metadata[previous]["signature"]
            self.rewrite_digest(current, document)
            previous = current

    def restart_chain_at(self, rel: str) -> None:
        """Logging stopped for the hour before `rel`: that digest and its log files are gone, `rel` is a starting
        digest, and every later digest of its chain is re-linked and re-signed."""
        parts = rel.split("/")
        at = parts.index("CloudTrail-Digest")
        account, region = parts[at - 1], parts[at + 1]
        chain = self.stream_chain(account, region)
        index = chain.index(rel)
        gone = chain[index - 1]
        for log in self.listed(gone):
            (self.root / log).unlink()
        (self.root / gone).unlink()
        self.metadata.pop(gone)
        previous = None
        for current in chain[index:]:
            document = read_json_gz(self.root / current)
            for field in ("S3Bucket", "S3Object", "HashValue", "HashAlgorithm", "Signature"):
                document[f"previousDigest{field}"] = None
            if previous is not None:
                raw = gzip.decompress((self.root / previous).read_bytes())
                document.update(
                    previousDigestS3Bucket=document["digestS3Bucket"],
                    previousDigestS3Object=previous,
                    previousDigestHashValue=hashlib.sha256(raw).hexdigest(),
                    previousDigestHashAlgorithm="SHA-256",
                    previousDigestSignature=self.metadata[previous]["signature"],
                )
            self.rewrite_digest(current, document)
            previous = current


def make_trail(root: Path, spec: SampleSpec = SPEC) -> Trail:
    summary = write_sample_trail(root, spec)
    return Trail(root, dict(summary.digest_metadata))


def copy_trail(trail: Trail, root: Path) -> Trail:
    shutil.copytree(trail.root, root)
    return Trail(root, dict(trail.metadata))


def change_log_file(path: Path) -> None:
    """Same records, one byte more (a space before the closing brace), gzipped again."""
    text = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(text[:-1] + b" }", mtime=0))


def middle_digest(trail: Trail) -> str:
    """A digest wholly inside the day, with log files, of the first account and region."""
    for rel, doc in trail.day_digests().items():
        inside = parse_time(doc["digestStartTime"]) > DAY_START and parse_time(doc["digestEndTime"]) < DAY_END
        if inside and doc["logFiles"] and doc["previousDigestS3Object"]:
            return rel
    raise AssertionError("no digest inside the day")
