import contextlib
import gzip
import io
import json
import os
from pathlib import Path

import pytest

# No test may reach the EC2 instance metadata service (a region or credentials lookup of boto3 or of the job).
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "invictus-aws-dataset"


@pytest.fixture(scope="session")
def spark():
    os.environ.setdefault("CLOUDTRAIL_ETL_MASTER", "local[2]")
    from cloudtrail_etl.session import get_spark

    session = get_spark("cloudtrail-etl-tests")
    session.conf.set("spark.sql.shuffle.partitions", "4")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.fail(f"real CloudTrail files missing: {REALDATA}")
    return REALDATA


def read_records(paths) -> list[dict]:
    """The records of delivery files, read with gzip + json only (independent of the job)."""
    records = []
    for path in sorted(paths):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            records.extend(json.load(handle)["Records"])
    return records


def write_delivery(path: Path, records, *, raw: bytes | None = None, indent=None) -> Path:
    """One delivery file, gzipped, as CloudTrail writes it (or raw bytes for broken files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = raw if raw is not None else gzip.compress(json.dumps({"Records": records}, indent=indent).encode())
    path.write_bytes(data)
    return path


def run_cli_captured(*args: str) -> tuple[int, dict]:
    """Run `cloudtrail-etl run ...` in this process (the shared Spark session); return exit code and report."""
    from cloudtrail_etl.cli import run_command

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = run_command(list(args))
    return code, json.loads(buffer.getvalue().strip().splitlines()[-1])


def read_table_dir(path) -> list[dict]:
    """Rows of written Parquet files, read with pyarrow (independent of Spark)."""
    import pyarrow.parquet as pq

    files = sorted(Path(path).glob("*.parquet"))
    rows: list[dict] = []
    for file in files:
        rows.extend(pq.read_table(file).to_pylist())
    return rows


def error_lines(stderr: str) -> list[str]:
    """The job's error lines (stderr also carries its progress lines, `cloudtrail-etl: [  12.3 s] ...`)."""
    lines = stderr.splitlines()
    others = [line for line in lines if not line.startswith(("cloudtrail-etl: error: ", "cloudtrail-etl: ["))]
    assert others == [], f"stderr holds lines that are not the job's own: {others}"
    return [line for line in lines if line.startswith("cloudtrail-etl: error: ")]
