"""The two jars that let local Spark 3.5 use s3:// (S3A), taken from PyPI because Maven Central is not reachable.

The sdist of `sagemaker-pyspark` bundles `hadoop-aws-3.3.1.jar` and `aws-java-sdk-bundle-1.11.901.jar`. They match
the Hadoop 3.3.x client that pyspark 3.5 ships (not pyspark 4.x, which has Hadoop 3.4 and AWS SDK v2).
`ensure_s3_jars()` downloads the sdist once with pip (no install, no dependencies), extracts only those two jars,
checks their SHA-256 and caches them in `.venv/s3-jars/` (rebuilt with the venv); later calls just return them.

    python -m tests.s3_jars [DEST]   # prints the jar paths, comma-separated (the value for --jars)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DEST = ROOT / ".venv" / "s3-jars"
DEST_ENV = "CLOUDTRAIL_ETL_S3_JARS"  # overrides DEFAULT_DEST

SDIST = "sagemaker-pyspark==1.4.5"  # 181.5 MB sdist
SDIST_JAR_DIR = "sagemaker_pyspark-1.4.5/deps/jars"
# name -> (bytes, sha256) of the jars as found in that sdist
JARS = {
    "hadoop-aws-3.3.1.jar": (870_644, "6be50ad8a8b445d2802381b085b2a3ede5c29d353450a6a21f16b2fefa962b6e"),
    "aws-java-sdk-bundle-1.11.901.jar": (
        192_321_266,
        "b87175b32a16544cc1b37cf40390eb375833e62bed67f8ce6cde4b7ad6429ead",
    ),
}


class JarsUnavailable(RuntimeError):
    """The jars are not cached and could not be fetched (no network, pip failure, unexpected content)."""


def _cached(dest: Path) -> list[Path] | None:
    paths = [dest / name for name in JARS]
    if all(p.is_file() and p.stat().st_size == size for p, (size, _) in zip(paths, JARS.values())):
        return paths
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(dest: Path):
    """One fetch at a time per cache directory (parallel test runs)."""
    dest.mkdir(parents=True, exist_ok=True)
    with (dest / ".lock").open("w") as lock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            yield
            return
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _download_sdist(workdir: Path, timeout_s: float) -> Path:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "--retries",
        "2",
        "--timeout",
        "30",
        "--no-deps",
        "--no-binary",
        ":all:",
        SDIST,
        "-d",
        str(workdir),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JarsUnavailable(f"pip download {SDIST} failed: {exc}") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise JarsUnavailable(f"pip download {SDIST} exited with {done.returncode}: {tail[0]}")
    found = sorted(workdir.glob("sagemaker_pyspark-*.tar.gz"))
    if not found:
        raise JarsUnavailable(f"pip download {SDIST} saved no sdist in {workdir}")
    return found[0]


def _extract(sdist: Path, dest: Path) -> None:
    with tarfile.open(sdist, "r:gz") as archive:
        for name, (size, sha256) in JARS.items():
            try:
                member = archive.getmember(f"{SDIST_JAR_DIR}/{name}")
            except KeyError:
                raise JarsUnavailable(f"{sdist.name} has no {SDIST_JAR_DIR}/{name}") from None
            source = archive.extractfile(member)
            if source is None:
                raise JarsUnavailable(f"{name} in {sdist.name} is not a regular file")
            partial = dest / f".{name}.part"
            with source, partial.open("wb") as target:
                while block := source.read(1 << 20):
                    target.write(block)
            if partial.stat().st_size != size or _sha256(partial) != sha256:
                partial.unlink()
                raise JarsUnavailable(f"{name} in {sdist.name} is not the expected jar (size or SHA-256 differs)")
            os.replace(partial, dest / name)  # atomic: a reader never sees half a jar


def ensure_s3_jars(dest: Path | str | None = None, timeout_s: float = 900) -> list[Path]:
    """Paths of hadoop-aws and aws-java-sdk-bundle in `dest`, fetched from PyPI the first time only."""
    dest = Path(dest or os.environ.get(DEST_ENV) or DEFAULT_DEST)
    cached = _cached(dest)
    if cached:
        return cached
    with _locked(dest):
        cached = _cached(dest)  # another process may have fetched them meanwhile
        if cached:
            return cached
        with tempfile.TemporaryDirectory(prefix="s3-jars-", dir=dest) as tmp:
            _extract(_download_sdist(Path(tmp), timeout_s), dest)
    cached = _cached(dest)
    if not cached:  # pragma: no cover - _extract raised otherwise
        raise JarsUnavailable(f"jars missing in {dest} after extraction")
    return cached


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    started = time.monotonic()
    try:
        jars = ensure_s3_jars(args[0] if args else None)
    except JarsUnavailable as exc:
        print(f"s3_jars: {exc}", file=sys.stderr)
        return 1
    print(f"s3_jars: ready in {time.monotonic() - started:.1f} s", file=sys.stderr)
    print(",".join(str(p) for p in jars))
    return 0


if __name__ == "__main__":
    sys.exit(main())
