"""Delivery layout: one stream per account and region writes a file every interval into its UTC folder."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from cloudtrail_etl.sample.constants import _ALNUM, _COMPACT, _DECIMAL_RE, _EPOCH, _GZIP_LEVEL, _LATE_FILE_RATE, _UTC
from cloudtrail_etl.sample.digests import DigestsMixin, digest_metadata
from cloudtrail_etl.sample.identities import IdentitiesMixin, _Actor
from cloudtrail_etl.sample.records import RecordsMixin
from cloudtrail_etl.sample.spec import SampleSpec, SampleSummary
from cloudtrail_etl.sample.templates import TemplatesMixin


def write_sample_trail(root: Path, spec: SampleSpec = SampleSpec()) -> SampleSummary:  # noqa: B008 (frozen)
    """Write a deterministic sample trail under ROOT/AWSLogs and return its counts.

    Each account/region stream has its own RNG seeded from spec.seed, so output does not depend on dict order,
    the clock or the time zone of the machine. Files already under ROOT are left alone (write to an empty folder).
    distinct_event_ids assumes no collision among 122-bit random eventIDs.
    """
    root = Path(root)
    master = random.Random(spec.seed)
    bucket = f"aws-cloudtrail-logs-{spec.accounts[0]}-{master.getrandbits(32):08x}"
    writer = _Writer(root)
    totals = [0, 0, 0, 0]  # files, events, duplicate files, duplicate events
    for account in spec.accounts:
        for region in spec.regions:
            stream_rng = random.Random(master.getrandbits(64))
            trail = _Trail(spec, account, region, bucket, stream_rng, writer)
            files, events, dup_files, dup_events = trail.run()
            totals[0] += files
            totals[1] += events
            totals[2] += dup_files
            totals[3] += dup_events
    return SampleSummary(
        root=root,
        files_written=totals[0],
        events_written=totals[1],
        distinct_event_ids=totals[1] - totals[3],
        duplicate_files=totals[2],
        digest_files=writer.digests,
        digest_metadata={key: digest_metadata(sig) for key, sig in sorted(writer.signatures.items())},
    )


class _Writer:
    """Writes gzip files reproducibly (mtime 0, no file name in the header) and creates each folder once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made: set[str] = set()
        self.digests = 0
        self.signatures: dict[str, str] = {}  # digest key -> hex signature (S3 metadata `signature`)

    def write(self, key: str, payload: bytes) -> None:
        folder, _, _ = key.rpartition("/")
        if folder not in self.made:
            (self.root / folder).mkdir(parents=True, exist_ok=True)
            self.made.add(folder)
        (self.root / key).write_bytes(gzip.compress(payload, compresslevel=_GZIP_LEVEL, mtime=0))


class _Trail(RecordsMixin, IdentitiesMixin, TemplatesMixin, DigestsMixin):
    """The deliveries of one account and region: files every interval, events, duplicates and digests."""

    def __init__(
        self,
        spec: SampleSpec,
        account: str,
        region: str,
        bucket: str,
        rng: random.Random,
        writer: _Writer,
    ) -> None:
        self.spec = spec
        self.account = account
        self.region = region
        self.bucket = bucket
        self.rng = rng
        self.rnd = rng.random
        self.bits = rng.getrandbits
        self.writer = writer
        self.trail_name = "org-trail" if spec.org_id else "management-events"
        org = f"{spec.org_id}/" if spec.org_id else ""
        self.log_prefix = f"AWSLogs/{org}{account}/CloudTrail/{region}/"
        self.digest_prefix = f"AWSLogs/{org}{account}/CloudTrail-Digest/{region}/"
        self.minutes: dict[int, str] = {}
        self.tls_cache: dict[tuple[str, int, bool], dict[str, str]] = {}
        self.pools: dict[int, list[_Actor]] = {}
        self.has_decimal = False
        self.digest_offset = 0
        self._make_resources()
        self._make_static_actors()
        self.table = self._template_table()

    # ---------------------------------------------------------------- deliveries

    def events(self, deliver: int) -> list[dict[str, Any]]:
        """The records of one file delivered at epoch second `deliver`: events 1-15 minutes old, a few much older."""
        rnd = self.rnd
        low, high = self.spec.events_per_file
        count = low + int(rnd() * (high - low + 1))
        times = [deliver - 60 - int(rnd() * rnd() * 840) for _ in range(count)]
        if rnd() < _LATE_FILE_RATE:
            for i in range(min(count, 1 + int(rnd() * 3))):
                times[i] = deliver - 900 - int(rnd() * 13_500)  # 15 minutes .. 4 hours late
        times.sort()
        table = self.table
        size = len(table)
        records = [table[int(rnd() * size)](t) for t in times]
        if rnd() < 0.02:  # a record re-sent with corrected data carries an addendum naming the original
            rec = records[int(rnd() * count)]
            if "requestID" in rec:
                rec["addendum"] = {
                    "reason": "UPDATED_DATA",
                    "updatedFields": self.pick(("userIdentity", "requestParameters,responseElements", "tlsDetails")),
                    "originalRequestID": rec["requestID"],
                    "originalEventID": self.uuid(),
                }
        return records

    def log_key(self, deliver: int) -> str:
        moment = _EPOCH + dt.timedelta(seconds=deliver)
        suffix = "".join(self.rng.choices(_ALNUM, k=16))
        return (
            f"{self.log_prefix}{moment:%Y/%m/%d}/{self.account}_CloudTrail_{self.region}_{moment:%Y%m%dT%H%MZ}_"
            f"{suffix}.json.gz"
        )

    def run(self) -> tuple[int, int, int, int]:
        """Write every delivery of this stream, then its digests; return (files, events, dup files, dup events)."""
        spec = self.spec
        rnd = self.rnd
        day0 = int((dt.datetime.combine(spec.start, dt.time(), _UTC) - _EPOCH).total_seconds())
        interval = spec.delivery_interval_minutes * 60.0
        slots = int(spec.days * 86400 // interval)
        jitter = min(60.0, interval / 2)
        windows = self._digest_windows(day0)
        files = events = dup_files = dup_events = 0
        for slot in range(slots):
            deliver = day0 + int(slot * interval + rnd() * jitter)
            self.has_decimal = False
            records = self.events(deliver)
            text = json.dumps({"Records": records}, separators=_COMPACT)
            if self.has_decimal:
                text = _DECIMAL_RE.sub(r"\1", text)
            payload = text.encode()
            deliveries = [deliver]
            if rnd() < spec.duplicate_rate:
                deliveries.append(deliver + 120 + int(rnd() * 780))
            for when in deliveries:
                key = self.log_key(when)
                self.writer.write(key, payload)
                window = windows.setdefault((when - self.digest_offset) // 3600, [])
                sha = hashlib.sha256(payload).hexdigest()
                window.append((key, sha, records[0]["eventTime"], records[-1]["eventTime"]))
            files += len(deliveries)
            events += len(records) * len(deliveries)
            if len(deliveries) > 1:
                dup_files += 1
                dup_events += len(records)
        self._write_digests(windows)
        return files, events, dup_files, dup_events
