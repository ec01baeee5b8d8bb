"""Spark itself on s3:// URIs: the job reads real CloudTrail files from moto's S3 and publishes the day there.

Spark 3.5 only: S3A comes from hadoop-aws 3.3.1 + aws-java-sdk-bundle 1.11.901 (taken from PyPI, see s3_jars.py),
which fit pyspark 3.5's Hadoop 3.3 client; `s3://` is mapped to S3AFileSystem as EMR and Glue map it to their own.
Everything talks to moto on 127.0.0.1; nothing may reach AWS.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.aws import AWS_ENV, client, moto_endpoint, reset_moto  # noqa: F401
from tests.conftest import read_records

pyspark = pytest.importorskip("pyspark")
if int(pyspark.__version__.split(".")[0]) != 3:
    pytest.skip(
        f"s3:// via S3A needs hadoop-aws 3.3.x, which fits pyspark 3.x only (this is pyspark {pyspark.__version__})",
        allow_module_level=True,
    )

BUCKET = "cloudtrail-spark-s3"
ACCOUNT_FOLDER = "AWSLogs/218007301253/CloudTrail/us-east-1/2023/07/10"
INPUT = f"s3://{BUCKET}/logs"
OUTPUT = f"s3://{BUCKET}/lake/cloudtrail"
REPORT = f"s3://{BUCKET}/lake/report.json"
REPORT_REFUSED = f"s3://{BUCKET}/lake/report-refused.json"
DAY_PREFIX = "lake/cloudtrail/proc_ymd=20230710/"
STAGING_PREFIX = "lake/cloudtrail_staging/"


@pytest.fixture(scope="module")
def s3_jars():
    from tests.s3_jars import JarsUnavailable, ensure_s3_jars

    try:
        return ensure_s3_jars()
    except JarsUnavailable as exc:
        pytest.skip(f"hadoop-aws / aws-java-sdk-bundle jars unavailable: {exc}")


def s3a_submit_args(jars, endpoint: str) -> str:
    """PYSPARK_SUBMIT_ARGS: the jars, s3:// and s3a:// as S3A against moto, fake keys, then `pyspark-shell`."""
    hadoop = {
        "fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "fs.s3a.endpoint": endpoint,
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": "false",
        "fs.s3a.access.key": AWS_ENV["AWS_ACCESS_KEY_ID"],
        "fs.s3a.secret.key": AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        "fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "fs.s3a.fast.upload": "true",
        # Fail fast instead of retrying for minutes if moto is gone.
        "fs.s3a.attempts.maximum": "3",
        "fs.s3a.retry.limit": "3",
        "fs.s3a.connection.establish.timeout": "5000",
        "fs.s3a.connection.timeout": "20000",
    }
    confs = [f"--conf spark.hadoop.{key}={value}" for key, value in hadoop.items()]
    return " ".join(["--jars", ",".join(str(j) for j in jars), *confs, "pyspark-shell"])


def run_job(jars, endpoint: str) -> subprocess.CompletedProcess:
    process = start_job(jars, endpoint, REPORT)
    stdout, stderr = process.communicate(timeout=600)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def start_job(jars, endpoint: str, report: str, args: list[str] | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,  # boto3 (discovery) -> moto
        **AWS_ENV,
        "AWS_EC2_METADATA_DISABLED": "true",  # neither boto3 nor the Java SDK may look for instance credentials
        "PYSPARK_SUBMIT_ARGS": s3a_submit_args(jars, endpoint),
        "CLOUDTRAIL_ETL_MASTER": "local[2]",
        "SPARK_LOCAL_IP": "127.0.0.1",  # the driver binds to loopback only
    }
    env.pop("PYSPARK_GATEWAY_PORT", None)
    args = args or ["--input", INPUT, "--output", OUTPUT, "--date", "2023-07-10", "--report", report]
    return subprocess.Popen(
        [sys.executable, "-m", "cloudtrail_etl", "run", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def keys(s3, prefix: str) -> list[str]:
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        found.extend(obj["Key"] for obj in page.get("Contents", []))
    return sorted(found)


def leftovers_in_staging(s3) -> list[str]:
    """Objects left under the staging root; S3A may leave an empty `lake/cloudtrail_staging/` marker, no data."""
    return [k for k in keys(s3, STAGING_PREFIX) if not k.endswith("/")]


EARLY_NAME = "218007301253_CloudTrail_us-east-1_20230709T0205Z_EarlyCopy0000001.json.gz"


def parquet_keys(s3) -> list[str]:
    return [k for k in keys(s3, DAY_PREFIX) if k.endswith(".parquet")]


def eventids(s3) -> list[str]:
    """The day's rows, downloaded with boto3 and read with pyarrow (independent of Spark)."""
    import pyarrow.parquet as pq

    ids: list[str] = []
    for key in parquet_keys(s3):
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        ids.extend(pq.read_table(io.BytesIO(body), columns=["eventid"]).column("eventid").to_pylist())
    return ids


def report_object(s3) -> dict:
    return json.loads(s3.get_object(Bucket=BUCKET, Key="lake/report.json")["Body"].read())


@pytest.fixture(scope="module")
def trail(moto_endpoint, realdata):  # noqa: F811
    """A bucket holding the 55 real delivery files of UTC 2023-07-10 under logs/, and an early copy in 2023/07/09."""
    reset_moto(moto_endpoint)
    s3 = client("s3", moto_endpoint)
    s3.create_bucket(Bucket=BUCKET)
    files = sorted((realdata / ACCOUNT_FOLDER).glob("*.json.gz"))
    for path in files:
        s3.upload_file(str(path), BUCKET, f"logs/{ACCOUNT_FOLDER}/{path.name}")
    # A copy in folder D-1 named as delivered at 02:05Z, before the KST day began: never read (were it read, its
    # events would show up in events_read).
    early = ACCOUNT_FOLDER.replace("/2023/07/10", "/2023/07/09")
    s3.upload_file(str(files[0]), BUCKET, f"logs/{early}/{EARLY_NAME}")
    return s3, files


def explain(done: subprocess.CompletedProcess) -> str:
    return f"exit {done.returncode}\nstdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-6000:]}"


def test_spark_reads_and_publishes_the_day_through_s3_uris(s3_jars, trail, moto_endpoint):  # noqa: F811
    s3, files = trail
    expected = sorted(r["eventID"] for r in read_records(files))
    assert len(expected) == len(set(expected)) == 2900

    first = run_job(s3_jars, moto_endpoint)
    assert first.returncode == 0, explain(first)
    stdout_report = json.loads(first.stdout.strip().splitlines()[-1])
    report = report_object(s3)
    assert report == stdout_report
    assert report["status"] == "succeeded"
    assert report["input_files"] == 55 and report["bad_files"] == []
    assert report["files_delivered_before_day"] == 1
    assert report["events_read"] == report["rows_written"] == 2900
    assert report["output_path"] == f"{OUTPUT}/proc_ymd=20230710"
    first_keys = parquet_keys(s3)
    assert first_keys and report["output_files"] == len(first_keys)
    assert report["output_bytes"] == sum(s3.head_object(Bucket=BUCKET, Key=k)["ContentLength"] for k in first_keys)
    assert sorted(eventids(s3)) == expected
    assert leftovers_in_staging(s3) == []
    assert keys(s3, "lake/cloudtrail_quarantine/") == []

    # Two re-runs of the day started at the same moment: one takes the table's lock (a conditional PutObject), the
    # other refuses at once with exit 11, naming the holder, and changes nothing.
    pair = [start_job(s3_jars, moto_endpoint, REPORT), start_job(s3_jars, moto_endpoint, REPORT_REFUSED)]
    outputs = [process.communicate(timeout=600) for process in pair]
    done = [subprocess.CompletedProcess(p.args, p.returncode, out, err) for p, (out, err) in zip(pair, outputs)]
    assert sorted(d.returncode for d in done) == [0, 11], "\n".join(explain(d) for d in done)
    winner = [d.returncode for d in done].index(0)
    refused = done[1 - winner]
    assert "is being written by run " in refused.stderr
    report_keys = ["lake/report.json", "lake/report-refused.json"]  # where each of the pair wrote its report

    def written_report(index: int) -> dict:
        return json.loads(s3.get_object(Bucket=BUCKET, Key=report_keys[index])["Body"].read())

    refused_report = written_report(1 - winner)
    assert refused_report["status"] == "failed" and refused_report["rows_written"] == 0
    again = written_report(winner)
    assert again["rows_written"] == 2900 and again["output_files"] == len(parquet_keys(s3))
    second_keys = parquet_keys(s3)
    assert set(second_keys).isdisjoint(first_keys)  # the partition was replaced, not appended to
    assert sorted(eventids(s3)) == expected
    assert leftovers_in_staging(s3) == []  # neither the staged day nor the replaced one
    # Nothing but the day's data files (and at most Spark's _SUCCESS marker) in the partition.
    others = [k for k in keys(s3, DAY_PREFIX) if k not in second_keys]
    assert others in ([], [f"{DAY_PREFIX}_SUCCESS"]), others
    # Only the one partition under the table root (S3A's empty "dir/" marker objects aside).
    table_keys = [k for k in keys(s3, "lake/cloudtrail/") if not k.endswith("/")]
    assert {k.split("/")[2] for k in table_keys} == {"proc_ymd=20230710"}


def test_jars_are_cached_after_the_first_fetch(s3_jars):
    from tests.s3_jars import JARS, ensure_s3_jars

    assert [Path(p).name for p in s3_jars] == list(JARS)
    assert ensure_s3_jars() == s3_jars


FLOW_BUCKET = "vpcflow-parquet-s3"


def test_flow_logs_delivered_as_parquet_are_read_from_s3(s3_jars, moto_endpoint):  # noqa: F811
    """The real flow log records as Parquet deliveries on moto's S3: footers read by ranged GETs, a cut file named."""
    import gzip

    import pyarrow.parquet as pq

    from cloudtrail_etl.sample.vpcflow import parquet_delivery
    from tests.test_realdata_vpcflow import REAL_FLOWS

    s3 = client("s3", moto_endpoint)
    s3.create_bucket(Bucket=FLOW_BUCKET)
    records = 0
    for path in sorted(REAL_FLOWS.rglob("*.log.gz")):
        with gzip.open(path, "rt") as handle:
            fields, lines = tuple(handle.readline().split()), handle.read().splitlines()
        records += len(lines)
        key = "flows/" + str(path.relative_to(REAL_FLOWS)).replace(".log.gz", ".log.parquet")
        s3.put_object(Bucket=FLOW_BUCKET, Key=key, Body=parquet_delivery(fields, lines))
        cut = parquet_delivery(fields, lines)
    cut_key = key.replace("fl-5a016d6827c328aff", "fl-0123456789abcdef0")
    s3.put_object(Bucket=FLOW_BUCKET, Key=cut_key, Body=cut[: len(cut) // 2])
    out = f"s3://{FLOW_BUCKET}/lake/vpcflow"
    args = ["--source", "vpcflow", "--input", f"s3://{FLOW_BUCKET}/flows", "--output", out, "--date", "2017-10-02"]
    process = start_job(s3_jars, moto_endpoint, "", [*args, "--skip-bad-files"])
    stdout, stderr = process.communicate(timeout=600)
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    assert done.returncode == 0, explain(done)
    report = json.loads(stdout.strip().splitlines()[-1])
    assert report["input_files"] == 4 and report["events_read"] == report["rows_written"] == records == 360
    assert [(b["path"], b["reason"].split(":")[0]) for b in report["bad_files"]] == [
        (f"s3://{FLOW_BUCKET}/{cut_key}", "not a readable Parquet file")
    ]
    day = [
        obj["Key"]
        for obj in s3.list_objects_v2(Bucket=FLOW_BUCKET, Prefix="lake/vpcflow/proc_ymd=20171002/")["Contents"]
        if obj["Key"].endswith(".parquet")
    ]
    rows = sum(
        pq.read_metadata(io.BytesIO(s3.get_object(Bucket=FLOW_BUCKET, Key=k)["Body"].read())).num_rows for k in day
    )
    assert rows == 360
