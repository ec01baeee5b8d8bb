"""The run's figures as CloudWatch metrics (`--metrics-namespace NS`), put once, when the report is final.

Users schedule the job and look at it only when an alarm tells them to: the figures of the report go where their
alarms and dashboards live. What is put (every datapoint has the dimensions Source and Table):

* per written day, one datapoint each: RowsWritten, DuplicatesDropped, EventsQuarantined, and SilentStreams when the
  report has the day's `streams` summary;
* per run (the report keeps these for the whole run, not per day): EventsRead, BadFiles, LateEvents,
  RowsWithUnmapped, RunSeconds and RunFailed (0 succeeded, 1 failed); also for a failed run;
* with `--metrics-per-stream`: RowsWritten per day and stream, with Account, Region (and FlowLogId) dimensions too.
  Off by default: CloudWatch bills each distinct set of dimensions as one metric, and an organization has hundreds.

Table is the Glue table of --catalog-table, else the last folder of --output (a crawler names its table after that
folder too), unless --metrics-table names it. Every datapoint carries the time the run ended, not the day it
describes: CloudWatch refuses datapoints older than two weeks (a backfill would fail), and a daily run writes
yesterday, so one datapoint per run is one per day on a dashboard. The day itself is in the report.

A failure to put (no permission, no endpoint, throttling) is one line on stderr and the report's `metrics` entry;
it never fails the run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from cloudtrail_etl.progress import say

BATCH = 1000  # PutMetricData takes at most 1,000 metrics (and 1 MB) per request; a datum here is ~0.3 KB
COUNT, SECONDS, NONE = "Count", "Seconds", "None"
PER_DAY = (
    ("RowsWritten", "rows_written"),
    ("DuplicatesDropped", "duplicates_dropped"),
    ("EventsQuarantined", "events_quarantined"),
)


def table_dimension(output: str, catalog_table: Optional[str] = None, metrics_table: Optional[str] = None) -> str:
    """The Table dimension: named explicitly, else the Glue table, else the last folder of the table root."""
    if metrics_table:
        return metrics_table
    if catalog_table:
        return catalog_table.split(".", 1)[-1]
    return output.rstrip("/").rsplit("/", 1)[-1] or "table"


def _datum(name: str, value: float, dimensions: list[dict[str, str]], when: dt.datetime, unit: str = COUNT) -> dict:
    return {"MetricName": name, "Dimensions": dimensions, "Timestamp": when, "Value": float(value), "Unit": unit}


def _stream_dimensions(stream: dict[str, Any]) -> list[dict[str, str]]:
    found = [("Account", stream.get("account")), ("Region", stream.get("region"))]
    found.append(("FlowLogId", stream.get("flow_log_id")))
    return [{"Name": name, "Value": str(value)} for name, value in found if value]


def metric_data(report: Any, table: str, when: dt.datetime, per_stream: bool = False) -> list[dict[str, Any]]:
    """The datapoints of one run's report (see the module's docstring); `when` is their timestamp."""
    base = [{"Name": "Source", "Value": report.source}, {"Name": "Table", "Value": table}]
    data = []
    for day in report.days:
        if day.status != "written":
            continue  # a day left as it was changed nothing: its counts are in the report, not in the table
        data += [_datum(name, getattr(day, field), base, when) for name, field in PER_DAY]
        streams = getattr(day, "streams", None)
        if isinstance(streams, dict):
            data.append(_datum("SilentStreams", len(streams.get("silent") or []), base, when))
        if per_stream:
            for stream in getattr(day, "volume", None) or []:
                data.append(_datum("RowsWritten", stream.get("rows", 0), base + _stream_dimensions(stream), when))
    data += [
        _datum("EventsRead", report.events_read, base, when),
        _datum("BadFiles", report.bad_file_count, base, when),
        _datum("LateEvents", sum(report.late_events.values()), base, when),
        _datum("RowsWithUnmapped", report.rows_with_unmapped, base, when),
        _datum("RunSeconds", report.duration_s, base, when, SECONDS),
        _datum("RunFailed", 0 if report.status == "succeeded" else 1, base, when, NONE),
    ]
    return data


def _cloudwatch(region: Optional[str]) -> Any:
    """A client that gives up within seconds: metrics must not hold a finished run for boto3's default retries."""
    from botocore.config import Config

    from cloudtrail_etl.aws import client

    config = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"})
    return client("cloudwatch", region, config=config)


def put_metrics(
    report: Any,
    namespace: str,
    table: str,
    region: Optional[str] = None,
    per_stream: bool = False,
    cloudwatch: Any = None,
) -> dict[str, Any]:
    """Put the report's datapoints to `namespace` and record the outcome in `report.metrics`; never raises."""
    when = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    entry: dict[str, Any] = {"namespace": namespace, "table": table, "timestamp": when.isoformat(), "put": 0}
    entry["error"] = None
    try:
        data = metric_data(report, table, when, per_stream)
        cloudwatch = cloudwatch or _cloudwatch(region)
        for start in range(0, len(data), BATCH):
            batch = data[start : start + BATCH]
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=batch)
            entry["put"] += len(batch)
        say(f"metrics: put {entry['put']} datapoints to CloudWatch namespace {namespace} (Table={table})")
    except Exception as exc:  # no permission, no endpoint, throttling: the run's outcome stands
        lines = str(exc).strip().splitlines()
        entry["error"] = f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")
        say(f"metrics: could not put to CloudWatch namespace {namespace} ({entry['put']} put): {entry['error']}")
    report.metrics = entry
    return entry


def put_run_metrics(report: Any, config: Any) -> None:
    """The run path's call (cli.py): a no-op without --metrics-namespace."""
    namespace = getattr(config, "metrics_namespace", None)
    if not namespace:
        return
    table = table_dimension(config.output, config.catalog_table, getattr(config, "metrics_table", None))
    put_metrics(report, namespace, table, config.region, getattr(config, "metrics_per_stream", False))
