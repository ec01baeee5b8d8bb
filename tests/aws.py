"""moto's standalone server for tests that talk to "AWS": never real AWS, always 127.0.0.1.

Use it with `from tests.aws import moto_endpoint  # noqa: F401`. The server is shared by every module that imports
the fixture (pytest makes one fixture per importing module, so a reference count keeps it to one process) and
is stopped, and the environment restored, when the last user is torn down at the end of the session.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",  # never ask 169.254.169.254 for a region or credentials
}
# Anything that could point boto3 at a real account or another endpoint while the tests run.
_CLEARED_ENV = (
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_GLUE",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)
_ENV_KEYS = ("AWS_ENDPOINT_URL", *AWS_ENV, *_CLEARED_ENV)
CRAWL_MODEL = "glue::crawl"


def client(service: str, endpoint: str, region: str = AWS_ENV["AWS_DEFAULT_REGION"]):
    """A boto3 client bound to the moto endpoint explicitly, whatever the environment says."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_command(port: int) -> list[str]:
    script = Path(sys.executable).with_name("moto_server")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "moto.server"]
    return [*base, "-H", "127.0.0.1", "-p", str(port)]


def _post(endpoint: str, path: str, body: Optional[dict[str, Any]] = None) -> None:
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(
        endpoint + path, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status >= 300:  # pragma: no cover - moto answers 200/201
            raise RuntimeError(f"moto {path} answered {response.status}")


def reset_moto(endpoint: str) -> None:
    """Forget every bucket, table and crawler, and put crawls back to moto's default (RUNNING until listed).

    /moto-api/reset clears the backends but not the state manager, so the crawl transition is unset as well.
    """
    _post(endpoint, "/moto-api/reset")
    _post(endpoint, "/moto-api/state-manager/unset-transition", {"model_name": CRAWL_MODEL})


def crawls_finish_immediately(endpoint: str) -> None:
    """Make every crawl COMPLETED as soon as it is looked at (moto's state manager)."""
    _post(
        endpoint,
        "/moto-api/state-manager/set-transition",
        {"model_name": CRAWL_MODEL, "transition": {"progression": "immediate"}},
    )


class _MotoServer:
    def __init__(self) -> None:
        self.users = 0
        self.endpoint = ""
        self.process: Optional[subprocess.Popen] = None
        self.log = None
        self.saved_env: dict[str, Optional[str]] = {}

    def acquire(self) -> str:
        if self.users == 0:
            self._start()
        self.users += 1
        return self.endpoint

    def release(self) -> None:
        self.users -= 1
        if self.users == 0:
            self._stop()

    def _start(self) -> None:
        port = _free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        self.log = tempfile.NamedTemporaryFile(prefix="moto-server-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(_server_command(port), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.endpoint + "/moto-api/data.json", timeout=1):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    self._stop()
                    raise RuntimeError(f"moto_server did not answer on {self.endpoint}") from None
                time.sleep(0.1)
        self.saved_env = {key: os.environ.get(key) for key in _ENV_KEYS}
        for key in _CLEARED_ENV:
            os.environ.pop(key, None)
        os.environ.update(AWS_ENV)
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint

    def _stop(self) -> None:
        for key, value in self.saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self.saved_env = {}
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - moto stops on SIGTERM
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None
        if self.log is not None:
            self.log.close()
            os.unlink(self.log.name)
            self.log = None


_SERVER = _MotoServer()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The URL of a moto server on 127.0.0.1, with AWS_ENDPOINT_URL and fake credentials set for the session."""
    endpoint = _SERVER.acquire()
    try:
        yield endpoint
    finally:
        _SERVER.release()
