"""Digest files of the sample trail, hashed, chained and signed as CloudTrail does, with a fixed test key.

The key pair below is a TEST key, generated once for this project and published here: it signs sample digests so
that `cloudtrail-etl verify` can check them end to end (give it `sample_public_keys()` as --public-keys). It proves
nothing about real CloudTrail files, whose keys come from ListPublicKeys. Stdlib only (no `cryptography`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from cloudtrail_etl.integrity.digests import HASH_ALGORITHM, SIGNATURE_ALGORITHM, string_to_sign
from cloudtrail_etl.integrity.keys import public_keys_json
from cloudtrail_etl.integrity.rsa import RsaPrivateKey, encode_public_key, fingerprint
from cloudtrail_etl.sample.constants import _COMPACT, _EPOCH

# 2048-bit RSA test key (the primes; n = P * Q, e = 65537).
_P = int(
    "d89564323f381c3e1ba8f4bab3e3dc3d289364507cc7c86c6803356b6791ab1f2bf1b3e0038016b999092b9115cc3cc38eb8d7b0a24fac4"
    "78beef07c18b8ca895b0995fcd53304550bc7834d9013ea8c9bad877c3c1f8036ff37fc976ea58333dfafebd356ec6c58fda5b3958b3d8d"
    "ef0a4367f1db8049835f3de05f4639868b",
    16,
)
_Q = int(
    "cbafd91c53d2199601df0a3ca97b7784ef2bbdec6a7a6a1eaa5afbc5dfa7b690824ce5a886bb00e094aa03556fb90ba4a6201bf1d135267"
    "15eaf5870ee7590765b6f4d749aaa821885f74074d82ed6c28a7cbc4fe732e569b2d232ee1313658aad0d0275455fe8732184a6998c7a78"
    "982675ad28d22a47b46f5e31c688270da5",
    16,
)
TEST_KEY = RsaPrivateKey(_P, _Q)
TEST_KEY_FINGERPRINT = fingerprint(encode_public_key(TEST_KEY.public))
# The validity the test key's list-public-keys entry claims.
_KEY_VALID_FROM = dt.datetime(2013, 1, 1, tzinfo=dt.timezone.utc)
_KEY_VALID_TO = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)


def digest_document(
    *,
    account: str,
    bucket: str,
    key: str,
    start: str,
    end: str,
    entries: list[tuple[str, str, str, str, str]],
    previous: tuple[str, str, str] | None,
) -> dict[str, Any]:
    """A digest document: entries are (bucket, key, sha256 of uncompressed bytes, oldest, newest event time);
    `previous` is (key, sha256 of its uncompressed bytes, its signature), None for a starting digest."""
    return {
        "awsAccountId": account,
        "digestStartTime": start,
        "digestEndTime": end,
        "digestS3Bucket": bucket,
        "digestS3Object": key,
        "digestPublicKeyFingerprint": TEST_KEY_FINGERPRINT,
        "digestSignatureAlgorithm": SIGNATURE_ALGORITHM,
        "newestEventTime": max((entry[4] for entry in entries), default=None),
        "oldestEventTime": min((entry[3] for entry in entries), default=None),
        "previousDigestS3Bucket": bucket if previous else None,
        "previousDigestS3Object": previous[0] if previous else None,
        "previousDigestHashValue": previous[1] if previous else None,
        "previousDigestHashAlgorithm": HASH_ALGORITHM if previous else None,
        "previousDigestSignature": previous[2] if previous else None,
        "logFiles": [
            {
                "s3Bucket": log_bucket,
                "s3Object": log_key,
                "hashValue": sha,
                "hashAlgorithm": HASH_ALGORITHM,
                "newestEventTime": newest,
                "oldestEventTime": oldest,
            }
            for log_bucket, log_key, sha, oldest, newest in entries
        ],
    }


def sign_digest(document: dict[str, Any], payload: bytes) -> str:
    """Hex signature of a digest whose uncompressed bytes are `payload`, with the test key."""
    return TEST_KEY.sign(string_to_sign(document, hashlib.sha256(payload).hexdigest())).hex()


def digest_metadata(signature: str) -> dict[str, str]:
    """The S3 user metadata CloudTrail puts on a digest object."""
    return {"signature": signature, "signature-algorithm": SIGNATURE_ALGORITHM}


def sample_public_keys() -> dict[str, Any]:
    """The test key as `aws cloudtrail list-public-keys` prints keys (for `verify --public-keys`)."""
    return public_keys_json([TEST_KEY.public], _KEY_VALID_FROM, _KEY_VALID_TO)


class DigestsMixin:
    """Hourly digest files of a stream; mixed into the stream (delivery.py)."""

    def _digest_windows(self, day0: int) -> dict[int, list[tuple[str, str, str, str]]]:
        """Hourly digest windows at a per-stream offset, contiguous from the first delivery's hour.

        The draws of the old layout (random hours) are kept, so that the log files stay byte-identical for a seed;
        run() adds the windows of the hours in which files are delivered, _write_digests() the empty ones."""
        self.digest_offset = 60 + int(self.rnd() * 3000)
        for _day in range(self.spec.days):
            self.rng.sample(range(23), 1 + int(self.rnd() < 0.5))
        return {(day0 - self.digest_offset) // 3600: []}

    def _write_digests(self, windows: dict[int, list[tuple[str, str, str, str]]]) -> None:
        """One signed digest per hour, each linked to the previous one; the first is a starting digest."""
        previous: tuple[str, str, str] | None = None  # key, sha256 of its JSON, signature
        for index in range(min(windows), max(windows) + 1):
            entries = sorted(windows.get(index, []))
            start = index * 3600 + self.digest_offset
            end = start + 3600
            key = self._digest_key(end)
            document = digest_document(
                account=self.account,
                bucket=self.bucket,
                key=key,
                start=self.ts(start),
                end=self.ts(end),
                entries=[(self.bucket, name, sha, first, last) for name, sha, first, last in entries],
                previous=previous,
            )
            payload = json.dumps(document, separators=_COMPACT).encode()
            signature = sign_digest(document, payload)
            self.writer.write(key, payload)
            self.writer.signatures[key] = signature
            self.writer.digests += 1
            previous = (key, hashlib.sha256(payload).hexdigest(), signature)

    def _digest_key(self, end: int) -> str:
        moment = _EPOCH + dt.timedelta(seconds=end)
        return (
            f"{self.digest_prefix}{moment:%Y/%m/%d}/{self.account}_CloudTrail-Digest_{self.region}_{self.trail_name}_"
            f"{self.region}_{moment:%Y%m%dT%H%M%SZ}.json.gz"
        )
