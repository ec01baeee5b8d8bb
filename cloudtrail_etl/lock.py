"""One writer at a time: a lock object beside the table (OUTPUT_staging/_lock.json), taken before a run changes
anything and released at its end.

* Taking it is an exclusive create: on S3 `PutObject` with `If-None-Match: *` (S3 answers 412, or 409 to a
  concurrent one, when the key exists), locally `os.open(O_CREAT | O_EXCL)`, elsewhere (HDFS) Hadoop's
  `create(overwrite=false)`.
* The holder renews it every TTL/3 seconds from a daemon thread (a conditional overwrite of its own version).
* A lock is stale when its holder was a process on this host that no longer exists (taken over at once), or when
  it was not renewed for TTL seconds (its holder on another host stopped). The age is the object's age by the
  store's own clock (S3: the response's Date less LastModified; local: now less the file's mtime), so clock skew
  between hosts does not matter on S3. A takeover replaces exactly the stale version: on S3 `PutObject` with
  `If-Match: ETAG` (one of two racing takers gets 412), locally a compare-and-replace under `flock` of a guard file.
* Release deletes only our own version (S3 `DeleteObject` with `If-Match`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import threading
import time
from typing import Any
from urllib.parse import urlparse

from cloudtrail_etl import faults
from cloudtrail_etl.errors import OutputNotWritable, TableLocked
from cloudtrail_etl.files import is_s3, split_s3
from cloudtrail_etl.progress import say

LOCK_NAME = "_lock.json"
TTL_ENV = "CLOUDTRAIL_ETL_LOCK_TTL"
DEFAULT_TTL_S = 300.0
POLL_S = 2.0


def lock_ttl() -> float:
    return float(os.environ.get(TTL_ENV) or DEFAULT_TTL_S)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class _Seen:
    """One version of the lock as read: its record, a token that names this version, its age in seconds."""

    def __init__(self, record: dict[str, Any], token: Any, age_s: float):
        self.record, self.token, self.age_s = record, token, age_s


def _parse(text: str) -> dict[str, Any]:
    try:
        record = json.loads(text)
        return record if isinstance(record, dict) else {}
    except ValueError:  # torn or foreign: judged by its age alone
        return {}


class S3LockObject:
    def __init__(self, client: Any, uri: str):
        self.client, self.uri = client, uri
        self.bucket, self.key = split_s3(uri)

    def create(self, text: str) -> Any | None:
        """The new version's token, or None when the lock exists."""
        try:
            answer = self.client.put_object(Bucket=self.bucket, Key=self.key, Body=text.encode(), IfNoneMatch="*")
        except Exception as exc:  # botocore's ClientError
            if not hasattr(exc, "response"):
                raise
            if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                return None
            raise
        return answer["ETag"]

    def read(self) -> _Seen | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key)
        except Exception as exc:  # botocore's ClientError
            if not hasattr(exc, "response"):
                raise
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        text = answer["Body"].read().decode("utf-8", "replace")
        server_now = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        now = _http_date(server_now) or dt.datetime.now(dt.timezone.utc)
        age = (now - answer["LastModified"]).total_seconds()
        return _Seen(_parse(text), answer["ETag"], max(age, 0.0))

    def replace(self, token: Any, text: str) -> Any | None:
        """Overwrite the version `token` only; the new token, or None when the lock is no longer that version."""
        try:
            answer = self.client.put_object(Bucket=self.bucket, Key=self.key, Body=text.encode(), IfMatch=token)
        except Exception as exc:  # botocore's ClientError
            if not hasattr(exc, "response"):
                raise
            if exc.response.get("Error", {}).get("Code") in (
                "PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "404",
            ):  # fmt: skip
                return None
            raise
        return answer["ETag"]

    def delete(self, token: Any) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key, IfMatch=token)
        except Exception as exc:  # botocore's ClientError
            if not hasattr(exc, "response"):
                raise
            if exc.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "NoSuchKey", "404"):
                raise


def _http_date(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None


class LocalLockFile:
    """A local file; the token of a version is its text. Takeover and release compare and act under a flock of
    the lock's folder (a folder, not a guard file: nothing is left behind)."""

    def __init__(self, path: str):
        self.path = self.uri = path

    def create(self, text: str) -> Any | None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        try:
            handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return None
        with os.fdopen(handle, "w") as out:
            out.write(text)
        return text

    def read(self) -> _Seen | None:
        try:
            with open(self.path) as handle:
                text = handle.read()
            age = time.time() - os.stat(self.path).st_mtime
        except FileNotFoundError:
            return None
        return _Seen(_parse(text), text, max(age, 0.0))

    def _guarded(self, token: Any, action) -> bool:
        guard = os.open(os.path.dirname(self.path), os.O_RDONLY)
        try:
            fcntl.flock(guard, fcntl.LOCK_EX)
            seen = self.read()
            if seen is None or seen.token != token:
                return False
            action()
            return True
        finally:
            os.close(guard)  # releases the flock

    def replace(self, token: Any, text: str) -> Any | None:
        def write() -> None:
            temporary = f"{self.path}.{os.getpid()}.tmp"
            with open(temporary, "w") as out:
                out.write(text)
            os.replace(temporary, self.path)

        return text if self._guarded(token, write) else None

    def delete(self, token: Any) -> None:
        self._guarded(token, lambda: os.unlink(self.path))


class HadoopLockFile:
    """HDFS and other Hadoop file systems: create(overwrite=false) is exclusive on HDFS. Takeover and release read,
    compare and act in separate calls: not race-free (README)."""

    def __init__(self, storage: Any, uri: str):
        self.storage, self.uri = storage, uri

    def create(self, text: str) -> Any | None:
        return text if self.storage.create_exclusive(self.uri, text) else None

    def read(self) -> _Seen | None:
        text = self.storage.read_text(self.uri)
        if text is None:
            return None
        return _Seen(_parse(text), text, self.storage.age_s(self.uri))

    def replace(self, token: Any, text: str) -> Any | None:
        seen = self.read()
        if seen is None or seen.token != token:
            return None
        self.storage.delete(self.uri)
        return self.create(text)

    def delete(self, token: Any) -> None:
        seen = self.read()
        if seen is not None and seen.token == token:
            self.storage.delete(self.uri)


def lock_backend(staging_root: str, storage: Any = None, s3_client: Any = None):
    uri = f"{staging_root.rstrip('/')}/{LOCK_NAME}"
    if is_s3(uri):
        return S3LockObject(s3_client, uri)
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return LocalLockFile(parsed.path if parsed.scheme else uri)
    return HadoopLockFile(storage, uri)


class TableLock:
    """The lock of one table for one run. `acquire` raises TableLocked; `lost` turns true if another run took the
    lock over (we stopped renewing for longer than the TTL): the run then stops before its next change."""

    def __init__(self, backend: Any, run_id: str, table: str, ttl_s: float | None = None):
        self.backend, self.run_id, self.table = backend, run_id, table
        self.ttl_s = lock_ttl() if ttl_s is None else ttl_s
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.started = _now()
        self.token: Any = None
        self.lost = False
        self.taken_over: dict[str, Any] | None = None  # the stale holder we replaced
        self._stop = threading.Event()
        self._mutex = threading.Lock()
        self._renewer: threading.Thread | None = None

    def _record(self) -> str:
        return json.dumps(
            {"run_id": self.run_id, "host": self.host, "pid": self.pid, "started": self.started,
             "renewed": _now(), "ttl_s": self.ttl_s}
        )  # fmt: skip

    def stale_reason(self, seen: _Seen) -> str | None:
        record = seen.record
        if record.get("host") == self.host and isinstance(record.get("pid"), int) and not pid_alive(record["pid"]):
            return f"its process {record['pid']} on this host no longer exists"
        ttl = float(record.get("ttl_s") or self.ttl_s)
        if seen.age_s > ttl:
            return f"not renewed for {seen.age_s:.0f} s (TTL {ttl:.0f} s)"
        return None

    def acquire(self, wait_s: float = 0.0) -> None:
        deadline = time.monotonic() + max(wait_s, 0.0)
        said_waiting = False
        while True:
            faults.before_change()
            try:
                token = self.backend.create(self._record())
            except Exception as exc:  # OSError locally, botocore's ClientError on S3, Py4JJavaError on HDFS
                where = getattr(self.backend, "uri", "the table's lock")
                raise OutputNotWritable(f"cannot write {where} (the table's lock): {str(exc).splitlines()[0]}") from exc
            if token is not None:
                self._hold(token, "lock: taken")
                return
            seen = self.backend.read()
            if seen is None:
                continue  # released meanwhile
            reason = self.stale_reason(seen)
            if reason:
                token = self.backend.replace(seen.token, self._record())
                if token is not None:
                    self.taken_over = {**seen.record, "reason": reason}
                    say(f"took over the table's lock from run {seen.record.get('run_id', '?')}: {reason}")
                    self._hold(token, "lock: taken over")
                    return
                continue  # another run took it first: look again
            holder = seen.record
            named = (
                f"run {holder.get('run_id', '?')} on host {holder.get('host', '?')} (pid {holder.get('pid', '?')}), "
                f"started {holder.get('started', '?')}, renewed {seen.age_s:.0f} s ago"
            )
            left = deadline - time.monotonic()
            if left <= 0:
                waited = f" after waiting {wait_s:g} s" if wait_s else " (--wait-for-lock SECONDS waits for it)"
                raise TableLocked(f"{self.table} is being written by {named}{waited}")
            if not said_waiting:
                say(f"waiting up to {wait_s:g} s for the table's lock, held by {named}")
                said_waiting = True
            time.sleep(min(POLL_S, left))

    def _hold(self, token: Any, what: str) -> None:
        self.token = token
        faults.changed(what)
        self._renewer = threading.Thread(target=self._renew_loop, name="cloudtrail-etl-lock", daemon=True)
        self._renewer.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                faults.before_change()
                with self._mutex:
                    if self._stop.is_set():
                        return
                    token = self.backend.replace(self.token, self._record())
                    if token is None:
                        self.lost = True
                        return
                    self.token = token
            except faults.SimulatedCrash:
                return
            except Exception:  # a passing error: the next renewal tries again, the TTL leaves room for two
                continue

    def check(self) -> None:
        """Raise TableLocked when the lock was taken over by another run."""
        if self.lost:
            raise TableLocked(f"{self.table}: this run's lock was taken over by another run; it stopped here")

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=30)
        if self.token is None or self.lost:
            return
        faults.before_change()
        with self._mutex:
            self.backend.delete(self.token)
            self.token = None
        faults.changed("lock: released")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
