"""Where the trail lives: list the log and digest folders and read digest files, from a local folder or S3.

Listings reuse discovery's delimiter walkers (an organization trail is never listed whole). Digest files are few
(24 a day per account and region) and are read here, on the driver; log files are hashed by Spark (hashing.py).
Paths are relative to the input root (`AWSLogs/...`), the form the integrity report uses.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlparse

from cloudtrail_etl.discovery import InputFile, is_s3, make_lister, trail_root
from cloudtrail_etl.errors import InputNotFound
from cloudtrail_etl.sources.cloudtrail.layout import trail_streams


class TrailStore:
    """The trail under one input root: listings by relative folder, digest reads with their S3 metadata."""

    def __init__(self, input_uri: str, s3_client=None):
        self.root = trail_root(input_uri)
        self.lister = make_lister(self.root, s3_client)
        self.s3 = is_s3(self.root)
        if self.s3:
            parsed = urlparse(self.root)
            self.bucket: str | None = parsed.netloc
            self.prefix = parsed.path.strip("/")
        else:
            self.bucket, self.prefix = None, ""
        if not self.lister.exists("AWSLogs"):
            raise InputNotFound(f"no AWSLogs/ folder under --input {input_uri}")

    def streams(self, accounts=(), regions=()) -> Iterator[tuple[str, str]]:
        """(AWSLogs/[o-ORG/]ACCOUNT, REGION) of every selected account and region that has log or digest folders."""
        yield from trail_streams(self.lister, self.root, accounts, regions, kinds=("CloudTrail", "CloudTrail-Digest"))

    def files(self, rel_folder: str) -> list[InputFile]:
        """The .json.gz files directly in a folder (empty when the folder does not exist)."""
        return self.lister.files(rel_folder)

    def rel(self, uri: str) -> str:
        """A listed file's URI as a path under the input root."""
        base = self.lister.uri("")
        return uri[len(base) :].lstrip("/") if uri.startswith(base) else uri

    def uri(self, rel: str) -> str:
        return self.lister.uri(rel)

    def rel_of_key(self, key: str) -> str:
        """An S3 key named inside a digest (bucket prefix included) as a path under the input root."""
        if self.prefix and key.startswith(self.prefix + "/"):
            return key[len(self.prefix) + 1 :]
        if key.startswith("AWSLogs/"):
            return key
        index = key.find("/AWSLogs/")
        return key[index + 1 :] if index >= 0 else key

    def key_of_rel(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def read(self, rel: str) -> tuple[bytes, dict[str, str] | None] | None:
        """(stored bytes, S3 user metadata or None for a local folder), or None when the file does not exist."""
        if not self.s3:
            try:
                with open(os.path.join(self.lister.root, rel), "rb") as handle:
                    return handle.read(), None
            except (FileNotFoundError, NotADirectoryError):
                return None
        from botocore.exceptions import ClientError

        try:
            response = self.lister.client.get_object(Bucket=self.bucket, Key=self.key_of_rel(rel))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        return response["Body"].read(), {k.lower(): v for k, v in (response.get("Metadata") or {}).items()}
