"""An unexpected failure is one line naming its root cause; the chain is in the report, the trace on request."""

import pytest

from cloudtrail_etl.errors import describe, error_causes
from cloudtrail_etl.sources.cloudtrail import CloudTrail
from tests.conftest import error_lines, run_cli_captured, write_delivery


def test_a_java_exception_chain_gives_its_root_cause(spark):
    jvm = spark._jvm
    future = jvm.java.util.concurrent.CompletableFuture()
    future.completeExceptionally(
        jvm.java.io.IOException("s3://bucket/AWSLogs/2023/07/19: getFileStatus: 403 Forbidden")
    )
    with pytest.raises(Exception) as caught:
        future.get()
    assert error_causes(caught.value) == [
        "ExecutionException: java.io.IOException: s3://bucket/AWSLogs/2023/07/19: getFileStatus: 403 Forbidden",
        "IOException: s3://bucket/AWSLogs/2023/07/19: getFileStatus: 403 Forbidden",
    ]
    assert describe(caught.value) == "IOException: s3://bucket/AWSLogs/2023/07/19: getFileStatus: 403 Forbidden"


def test_the_innermost_cause_that_names_a_location_is_the_one_line(spark):
    jvm = spark._jvm
    sdk = jvm.java.lang.RuntimeException("Forbidden (Service: Amazon S3; Status Code: 403; Error Code: 403 Forbidden)")
    s3a = jvm.java.io.IOException("s3a://logs/AWSLogs/2023/07/19: getFileStatus on s3a://logs/AWSLogs/2023/07/19", sdk)
    future = jvm.java.util.concurrent.CompletableFuture()
    future.completeExceptionally(s3a)
    with pytest.raises(Exception) as caught:
        future.get()
    causes = error_causes(caught.value)
    assert [cause.split(":")[0] for cause in causes] == ["ExecutionException", "IOException", "RuntimeException"]
    assert describe(caught.value) == f"{causes[1]} (root cause: {causes[2]})"
    assert describe(caught.value).startswith("IOException: s3a://logs/AWSLogs/2023/07/19: getFileStatus")
    assert describe(caught.value).endswith(
        "(root cause: RuntimeException: Forbidden (Service: Amazon S3; Status Code: 403; Error Code: 403 Forbidden))"
    )


def test_python_chains_too():
    try:
        try:
            raise KeyError("inner")
        except KeyError as inner:
            raise RuntimeError("outer\nsecond line") from inner
    except RuntimeError as exc:
        assert error_causes(exc) == ["RuntimeError: outer", "KeyError: 'inner'"]
        assert describe(exc) == "KeyError: 'inner'"


def test_an_unexpected_spark_failure_prints_its_root_cause_in_one_line(spark, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "in" / "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02"
    write_delivery(folder / "a.json.gz", [{"eventTime": "2026-01-02T01:00:00Z", "eventID": "1"}])
    missing = str(tmp_path / "vanished")

    def read_a_vanished_folder(self, spark_session, paths, *args, **options):
        return spark_session.read.json(missing)

    monkeypatch.setattr(CloudTrail, "read_files", read_a_vanished_folder)
    args = ["--input", str(tmp_path / "in"), "--output", str(tmp_path / "out"), "--date", "2026-01-02"]
    code, report = run_cli_captured(*args)
    (err,) = error_lines(capsys.readouterr().err)
    assert code == 1
    assert err.startswith("cloudtrail-etl: error: AnalysisException: ")
    assert "vanished" in err and "Traceback" not in err and "at org.apache" not in err
    assert report["error"] == err.removeprefix("cloudtrail-etl: error: ")
    assert report["error_causes"][-1] == report["error"]

    code, _ = run_cli_captured(*args, "--traceback")
    assert code == 1 and "Traceback (most recent call last)" in capsys.readouterr().err
