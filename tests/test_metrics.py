"""--metrics-namespace: a real run's figures put to moto's CloudWatch (standalone server on 127.0.0.1) and read back
with get_metric_data equal its report; a CloudWatch that cannot be reached costs one stderr line, never the run."""

from __future__ import annotations

import datetime as dt
import socket
from types import SimpleNamespace

import pytest

from cloudtrail_etl.metrics import BATCH, metric_data, put_metrics, table_dimension
from tests.aws import client, moto_endpoint, reset_moto  # noqa: F401
from tests.conftest import run_cli_captured

NAMESPACE = "Test/cloudtrail-etl"
DAY = "2023-07-10"


def read_back(cloudwatch, name: str, dimensions: dict[str, str], around: dt.datetime) -> float | None:
    """The Sum of one metric (exactly these dimensions) in the 10 minutes around `around`; None: no datapoint."""
    query = {
        "Id": "m",
        "MetricStat": {
            "Metric": {
                "Namespace": NAMESPACE,
                "MetricName": name,
                "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions.items()],
            },
            "Period": 600,
            "Stat": "Sum",
        },
    }
    start = around - dt.timedelta(minutes=5)
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[query], StartTime=start, EndTime=start + dt.timedelta(minutes=10)
    )
    values = answer["MetricDataResults"][0]["Values"]
    return sum(values) if values else None


def expected_from(report: dict) -> dict[str, float]:
    """What the run should have put, derived from its report: per written day summed, per run once."""
    written = [day for day in report["days"] if day["status"] == "written"]
    expected = {
        "RowsWritten": sum(day["rows_written"] for day in written),
        "DuplicatesDropped": sum(day["duplicates_dropped"] for day in written),
        "EventsQuarantined": sum(day["events_quarantined"] for day in written),
        "EventsRead": report["events_read"],
        "BadFiles": report["bad_file_count"],
        "LateEvents": sum(report["late_events"].values()),
        "RowsWithUnmapped": report["rows_with_unmapped"],
        "RunSeconds": report["duration_s"],
        "RunFailed": 0 if report["status"] == "succeeded" else 1,
    }
    with_streams = [day for day in written if isinstance(day.get("streams"), dict)]
    if with_streams:  # the day's streams summary (issue 25's other half): its silent ones
        expected["SilentStreams"] = sum(len(day["streams"]["silent"]) for day in with_streams)
    return expected


def test_a_runs_metrics_read_back_from_cloudwatch_equal_its_report(spark, moto_endpoint, realdata, tmp_path):  # noqa: F811
    reset_moto(moto_endpoint)
    out = tmp_path / "ct_table"
    args = ["--input", str(realdata), "--output", str(out), "--date", DAY, "--metrics-namespace", NAMESPACE]
    code, report = run_cli_captured(*args, "--metrics-per-stream")
    assert code == 0 and report["status"] == "succeeded" and report["rows_written"] > 0
    entry = report["metrics"]
    assert entry["namespace"] == NAMESPACE and entry["table"] == "ct_table" and entry["error"] is None
    around = dt.datetime.fromisoformat(entry["timestamp"])

    cloudwatch = client("cloudwatch", moto_endpoint)
    dimensions = {"Source": "cloudtrail", "Table": "ct_table"}
    expected = expected_from(report)
    found = {name: read_back(cloudwatch, name, dimensions, around) for name in expected}
    assert found == pytest.approx(expected)

    streams = [
        (stream, day) for day in report["days"] if day["status"] == "written" for stream in day.get("volume") or []
    ]
    for stream, _ in streams:  # --metrics-per-stream: one RowsWritten per account, region (and flow log)
        keys = {"Account": stream["account"], "Region": stream["region"]}
        if stream.get("flow_log_id"):
            keys["FlowLogId"] = stream["flow_log_id"]
        assert read_back(cloudwatch, "RowsWritten", {**dimensions, **keys}, around) == stream["rows"]
    written_days = sum(day["status"] == "written" for day in report["days"])
    with_streams = sum(isinstance(day.get("streams"), dict) for day in report["days"] if day["status"] == "written")
    assert entry["put"] == 3 * written_days + with_streams + len(streams) + 6  # every datapoint was put
    # No metric per account without the flag: the ones listed are the dimension sets above.
    listed = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert {tuple(sorted(d["Name"] for d in m["Dimensions"])) for m in listed} <= {
        ("Source", "Table"),
        ("Account", "Region", "Source", "Table"),
        ("Account", "FlowLogId", "Region", "Source", "Table"),
    }


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def test_a_cloudwatch_that_cannot_be_reached_is_one_stderr_line_and_a_report_entry(
    spark,
    moto_endpoint,  # noqa: F811 (fake credentials and region for the session)
    realdata,
    tmp_path,
    monkeypatch,
    capsys,
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    capsys.readouterr()
    args = ["--input", str(realdata), "--output", str(tmp_path / "t"), "--date", DAY]
    code, report = run_cli_captured(*args, "--metrics-namespace", NAMESPACE, "--report", str(tmp_path / "r.json"))
    assert code == 0 and report["status"] == "succeeded"
    assert report["metrics"]["put"] == 0 and "Could not connect" in report["metrics"]["error"]
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "metrics:" in line]
    assert len(lines) == 1 and "could not put to CloudWatch namespace Test/cloudtrail-etl" in lines[0], err[-2000:]
    assert "Traceback" not in err
    import json

    assert json.loads((tmp_path / "r.json").read_text())["metrics"] == report["metrics"]


def test_a_failed_run_puts_run_failed_1(spark, moto_endpoint, tmp_path):  # noqa: F811
    """A run that fails (here: its input does not exist, exit 3) still puts RunFailed = 1 and its seconds."""
    reset_moto(moto_endpoint)
    args = ["--input", str(tmp_path / "none"), "--output", str(tmp_path / "t"), "--date", DAY]
    code, report = run_cli_captured(*args, "--metrics-namespace", NAMESPACE, "--metrics-table", "trail")
    assert code != 0 and report["status"] == "failed"
    assert report["metrics"]["error"] is None
    around = dt.datetime.fromisoformat(report["metrics"]["timestamp"])
    cloudwatch = client("cloudwatch", moto_endpoint)
    dimensions = {"Source": "cloudtrail", "Table": "trail"}
    assert read_back(cloudwatch, "RunFailed", dimensions, around) == 1
    assert read_back(cloudwatch, "RunSeconds", dimensions, around) == pytest.approx(report["duration_s"])
    assert read_back(cloudwatch, "RowsWritten", dimensions, around) is None  # no day was written


# --- without a server: what is put, in batches ---------------------------------------------------------------------


class _Recorder:
    """Stands in for a CloudWatch client: records each put_metric_data request."""

    def __init__(self):
        self.requests: list[dict] = []

    def put_metric_data(self, **request):
        self.requests.append(request)


def _report(streams: int) -> SimpleNamespace:
    volume = [
        {"account": f"{i:012d}", "region": "ap-northeast-2", "rows": i, "hours": [0] * 24} for i in range(streams)
    ]
    summary = {"present": streams, "silent": [{"account": "1"}], "reference_day": None}
    day = SimpleNamespace(status="written", rows_written=10, duplicates_dropped=1, events_quarantined=2,
                          volume=volume, streams=summary)  # fmt: skip
    kept = SimpleNamespace(status="kept: fewer rows", rows_written=99, duplicates_dropped=0, events_quarantined=0)
    return SimpleNamespace(source="vpcflow", days=[day, kept], events_read=13, bad_file_count=0, late_events={},
                           rows_with_unmapped=0, duration_s=1.5, status="succeeded", metrics=None)  # fmt: skip


def test_datapoints_are_put_in_batches_within_the_apis_limit():
    report, recorder = _report(streams=BATCH + 500), _Recorder()
    entry = put_metrics(report, NAMESPACE, "vpcflow", per_stream=True, cloudwatch=recorder)
    sizes = [len(request["MetricData"]) for request in recorder.requests]
    assert sizes == [BATCH, 510] and entry["put"] == sum(sizes) and entry["error"] is None
    assert report.metrics is entry
    data = [datum for request in recorder.requests for datum in request["MetricData"]]
    assert {datum["Timestamp"] for datum in data} == {dt.datetime.fromisoformat(entry["timestamp"])}
    silent = [datum["Value"] for datum in data if datum["MetricName"] == "SilentStreams"]
    assert silent == [1.0]
    rows = [datum for datum in data if datum["MetricName"] == "RowsWritten"]
    assert len(rows) == 1 + BATCH + 500 and rows[0]["Value"] == 10.0  # the kept day put nothing


def test_no_stream_metrics_without_the_flag():
    data = metric_data(_report(streams=3), "t", dt.datetime.now(dt.timezone.utc))
    assert all({d["Name"] for d in datum["Dimensions"]} == {"Source", "Table"} for datum in data)


def test_the_table_dimension():
    assert table_dimension("s3://lake/cloudtrail/parquet/cloudtrail/") == "cloudtrail"
    assert table_dimension("s3://lake/x", catalog_table="security.trail") == "trail"
    assert table_dimension("s3://lake/x", "security.trail", metrics_table="mine") == "mine"
