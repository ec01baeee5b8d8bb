"""The file operations of the publish protocol (publish.py), by name, on S3 or through Hadoop's FileSystem.

S3 (s3://, s3a://, s3n://) is driven with boto3 requests, not S3A/EMRFS: a file is put in place with one server-side
CopyObject (S3 has no rename; the object appears whole), old files go with DeleteObjects, 1,000 keys a request,
and the journal is one PutObject (atomic). Local disks and HDFS go through storage.Storage: a file is put in place
with a rename (atomic, and the staged copy is gone afterwards). Every change is counted by faults.py.
"""

from __future__ import annotations

import concurrent.futures
import json
from typing import Any, Callable
from urllib.parse import urlparse

from cloudtrail_etl import faults
from cloudtrail_etl.storage import Storage

S3_SCHEMES = ("s3", "s3a", "s3n")
COPY_THREADS = 16  # server-side copies of one day at once: the window a reader sees shrinks with them
DELETE_BATCH = 1000  # DeleteObjects takes at most 1,000 keys


def is_s3(uri: str) -> bool:
    return urlparse(uri).scheme in S3_SCHEMES


def split_s3(uri: str) -> tuple[str, str]:
    """(bucket, key) of an S3 URI, the key without a leading or trailing slash."""
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.strip("/")


class Files:
    """By-name file operations on folders; `s3_client` is made on first use of an S3 URI."""

    def __init__(self, storage: Storage | None, s3_client_factory: Callable[[], Any] | None = None):
        self.storage = storage
        self._s3_factory = s3_client_factory
        self._s3_client = None

    @property
    def s3(self):
        if self._s3_client is None:
            if self._s3_factory is None:
                from cloudtrail_etl.aws import client

                self._s3_client = client("s3")
            else:
                self._s3_client = self._s3_factory()
        return self._s3_client

    # --- reads -----------------------------------------------------------------------------------------------

    def _s3_list(self, folder: str, delimiter: bool) -> tuple[list[str], list[str]]:
        bucket, key = split_s3(folder)
        prefix = key + "/" if key else ""
        names, dirs = [], []
        args = {"Bucket": bucket, "Prefix": prefix, **({"Delimiter": "/"} if delimiter else {})}
        for page in self.s3.get_paginator("list_objects_v2").paginate(**args):
            names += [item["Key"][len(prefix) :] for item in page.get("Contents", [])]
            dirs += [item["Prefix"][len(prefix) :].rstrip("/") for item in page.get("CommonPrefixes", [])]
        return names, dirs

    def list_names(self, folder: str) -> list[str]:
        """Names of the files directly in `folder` (every name, `_SUCCESS` too); [] when it does not exist."""
        if is_s3(folder):
            return sorted(name for name in self._s3_list(folder, True)[0] if name)
        return sorted(self.storage.list_names(folder))

    def list_dirs(self, folder: str) -> list[str]:
        if is_s3(folder):
            return sorted(self._s3_list(folder, True)[1])
        return sorted(self.storage.list_dirs(folder))

    def read_text(self, uri: str) -> str | None:
        if is_s3(uri):
            bucket, key = split_s3(uri)
            try:
                return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
            except self.s3.exceptions.NoSuchKey:
                return None
        return self.storage.read_text(uri)

    # --- changes ---------------------------------------------------------------------------------------------

    def write_text(self, uri: str, text: str, what: str) -> None:
        faults.before_change()
        if is_s3(uri):
            bucket, key = split_s3(uri)
            self.s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"))
        else:
            self.storage.write_text(uri, text)
        faults.changed(what)

    def put_in(self, source_folder: str, names: list[str], target_folder: str, what: str) -> None:
        """Each named file of `source_folder` into `target_folder`: S3 copies (the source stays), else renames."""
        if not names:
            return

        def one(name: str) -> None:
            faults.before_change()
            source, target = f"{source_folder}/{name}", f"{target_folder}/{name}"
            if is_s3(source):
                (bucket, source_key), (target_bucket, target_key) = split_s3(source), split_s3(target)
                self.s3.copy_object(
                    Bucket=target_bucket, Key=target_key, CopySource={"Bucket": bucket, "Key": source_key}
                )
            else:
                self.storage.rename_file(source, target)
            faults.changed(f"{what}: {name}")

        if faults.active() or len(names) == 1 or not is_s3(source_folder):
            for name in names:
                one(name)
            return
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(COPY_THREADS, len(names))) as pool:
            list(pool.map(one, names))  # the first failure is raised, after the others finished

    def delete_names(self, folder: str, names: list[str], what: str) -> None:
        if not names:
            return
        if not is_s3(folder):
            for name in names:
                faults.before_change()
                self.storage.delete(f"{folder}/{name}")
                faults.changed(f"{what}: {name}")
            return
        bucket, key = split_s3(folder)
        for start in range(0, len(names), DELETE_BATCH):
            chunk = names[start : start + DELETE_BATCH]
            faults.before_change()
            objects = [{"Key": f"{key}/{name}"} for name in chunk]
            answer = self.s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                why = f"{first.get('Code')} {first.get('Message')}"
                raise OSError(f"could not delete s3://{bucket}/{first.get('Key')}: {why}")
            faults.changed(f"{what}: {len(chunk)} file(s)")

    def delete_tree(self, folder: str, what: str) -> None:
        """Everything under `folder`."""
        faults.before_change()
        if is_s3(folder):
            names = self._s3_list(folder, False)[0]
            if not names:
                return
            bucket, key = split_s3(folder)
            for start in range(0, len(names), DELETE_BATCH):
                objects = [{"Key": f"{key}/{name}"} for name in names[start : start + DELETE_BATCH]]
                self.s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
        else:
            if not self.storage.exists(folder):
                return
            self.storage.delete(folder)
        faults.changed(what)


def dumps(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=False) + "\n"
