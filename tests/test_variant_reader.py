"""The VARIANT reader (Spark 4) against the map reader: the same input through both, the output compared row for row.

On Spark 3.5 (no VARIANT) only the reader choice and the report's reader run. JSON text (free-form payloads,
`unmapped`) is compared as parsed JSON: a VARIANT object lists its keys in sorted order and numbers in canonical
form, so only the bytes of that text may differ (variant_reader.py's docstring).
"""

import gzip
import json

import pyspark
import pytest
from pyspark.sql import functions as F

from cloudtrail_etl import transform as T
from cloudtrail_etl.sources.cloudtrail import readers
from cloudtrail_etl.sources.cloudtrail import records as R
from cloudtrail_etl.sources.cloudtrail.schema import record_schema
from tests.conftest import read_table_dir, run_cli_captured, write_delivery
from tests.test_transform import RECORD, records_df

spark4 = pytest.mark.skipif(int(pyspark.__version__.split(".")[0]) < 4, reason="VARIANT needs Spark 4")

# The tricky cases of test_transform.py: case variants, unknown keys at depth, values of another JSON type,
# records that are not objects or not JSON, times that cannot be placed.
TRICKY = [
    {
        "eventTime": "2026-01-01T14:59:59Z",
        "eventID": "e1",
        "readOnly": True,
        "userIdentity": {"type": "AssumedRole", "sessionContext": {"mfa": "false"}},
        "requestParameters": {"maxResults": 50, "tags": [{"k": "v"}], "nested": {"a": None}},
        "resources": [{"ARN": "arn:aws:s3:::b", "type": "AWS::S3::Bucket"}, {"ARN": "arn:2"}],
    },
    {
        "eventTime": "2026-01-01T00:00:00Z",
        "eventID": "e2",
        "newTopField": {"x": [1, 2]},
        "userIdentity": {"type": "Root", "sessionContext": {"mfa": "true", "newDeep": "v"}},
        "resources": [{"ARN": "a", "extra": 1}],
    },
    {
        "eventTime": "2026-01-01T00:00:00Z",
        "eventID": "e3",
        "brandNewField": {"x": 1, "y": ["a", "b"], "z": {"deep": [{"k": None}]}},
        "newList": [1, "two", {"three": 3}],
        "newText": 'say "hi"\n',
        "newEmpty": {},
        "newNull": None,
        "newNumber": 7,
        "newBool": False,
        "newJsonText": '{"a": 1}',
        "userIdentity": {"type": "Root", "newNested": {"a": [True, False]}},
    },
    {
        "eventtime": "2026-01-01T00:00:00Z",
        "eventid": "lower-id",
        "resources": [{"arn": "arn:aws:s3:::b/k", "type": "AWS::S3::Object"}, {"ARN": "arn:aws:s3:::b"}],
        "UserIdentity": {"TYPE": "IAMUser", "SessionContext": {"MFA": "true"}},
    },
    {
        "eventTime": "2026-01-01T00:00:00Z",
        "eventID": "exact",
        "EventID": "variant",
        "resources": [{"ARN": "exact", "arn": "variant"}],
    },
    {"eventTime": "2026-01-01T00:00:00Z", "EVENTID": "first", "EventId": "second"},
    {"eventTime": "2026-01-01T00:00:00Z", "eventID": "t1", "readOnly": "true", "userIdentity": "not-an-object"},
    {"eventTime": "2026-01-01T00:00:00Z", "eventID": "t2", "readOnly": "maybe", "resources": {"ARN": "x"}},
    {"eventTime": "2026-01-01T00:00:00Z", "eventID": "t3", "userIdentity": {"type": {"nested": True}}},
    {"eventTime": "2026-01-01T00:00:00Z", "eventID": "t4", "readOnly": 1, "managementEvent": "FALSE"},
    {"eventTime": "2026-01-01T00:00:00Z", "eventID": "t5", "userIdentity": None, "errorCode": None},
    {
        "eventTime": "2026-01-01T00:00:00Z",
        "eventID": "s3",
        "resources": [
            {"type": "AWS::S3::Object", "ARNPrefix": "arn:aws:s3:::target-bucket/"},
            {"accountId": "012345678901", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::target-bucket"},
        ],
        "tlsDetails": {"tlsVersion": "TLSv1.3", "keyExchange": "x25519", "newTls": 1},
        "addendum": {"reason": "r", "updatedFields": "u", "more": [1]},
    },
    {"eventID": "no-time"},
    {"eventTime": "yesterday"},
    {"eventTime": "2026-01-01T10:00:00"},
    {"eventTime": "2026-13-45T10:00:00Z"},
    {"eventTime": 20260101},
]
NOT_RECORDS = ["[1, 2]", "not json", '"text"', "5"]


def _normal(value):
    """A value with JSON text parsed (objects and arrays), at any depth: what both readers must agree on."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _rows(df, order):
    return [_normal(row.asDict(recursive=True)) for row in df.orderBy(*order).collect()]


@spark4
@pytest.mark.parametrize("schema", [RECORD, record_schema()], ids=["test-schema", "cloudtrail-schema"])
def test_both_readers_type_the_tricky_records_alike(spark, schema):
    from cloudtrail_etl.sources.cloudtrail import variant_reader as V

    records = records_df(spark, *TRICKY, *NOT_RECORDS)
    columns = [T.RECORD_INDEX, T.QUARANTINE_REASON, R.EVENTTIME_KST, R.EVENT, R.UNMAPPED]
    by_map = R.parse_records(records, schema).select(*columns)
    by_variant = V.parse_records(records, schema).select(*columns)
    assert by_variant.schema == by_map.schema
    expected = _rows(by_map, [T.RECORD_INDEX])
    assert _rows(by_variant, [T.RECORD_INDEX]) == expected
    assert len(expected) == len(TRICKY) + len(NOT_RECORDS)
    assert sum(1 for row in expected if row[R.UNMAPPED]) >= 8  # the cases do reach unmapped


@spark4
def test_event_id_for_dedup_matches_ignoring_case(spark):
    from cloudtrail_etl.sources.cloudtrail import variant_reader as V

    records = records_df(spark, {"eventID": "1"}, {"eventid": "2"}, {"EventId": "3"}, {"x": 1}, "[1]")
    as_map = records.select(T.RECORD_INDEX, F.from_json(T.RECORD_TEXT, R.JSON_OBJECT).alias(R.ROOT_OBJECT))
    by_map = as_map.select(T.RECORD_INDEX, R.record_event_id().alias("id"))
    as_variant = records.select(T.RECORD_INDEX, F.try_parse_json(T.RECORD_TEXT).alias(readers.RECORD_VARIANT))
    by_variant = as_variant.select(T.RECORD_INDEX, V.record_event_id().alias("id"))
    assert _rows(by_variant, [T.RECORD_INDEX]) == _rows(by_map, [T.RECORD_INDEX])


@spark4
def test_of_two_case_variants_the_variant_reader_takes_the_first_in_sorted_order(spark):
    """The one documented difference: a VARIANT object keeps no key order (variant_reader.py)."""
    from cloudtrail_etl.sources.cloudtrail import variant_reader as V

    records = records_df(spark, {"EventId": "in-file-first", "EVENTID": "sorted-first"})
    as_variant = records.select(F.try_parse_json(T.RECORD_TEXT).alias(readers.RECORD_VARIANT))
    assert as_variant.select(V.record_event_id()).first()[0] == "sorted-first"


def test_reader_choice():
    assert readers.reader_for("3.5.6", {"CLOUDTRAIL_ETL_READER": "variant"}) == "map"  # no VARIANT before Spark 4
    assert readers.reader_for("4.1.1", {}) == "map"
    assert readers.reader_for("4.1.1", {"CLOUDTRAIL_ETL_READER": "variant"}) == "variant"
    assert readers.reader_for("4.1.1", {"CLOUDTRAIL_ETL_READER": "MAP"}) == "map"
    with pytest.raises(ValueError, match="CLOUDTRAIL_ETL_READER"):
        readers.reader_for("4.1.1", {"CLOUDTRAIL_ETL_READER": "json"})


def _run(monkeypatch, reader, input_dir, out, day, *extra):
    monkeypatch.setenv(readers.ENV, reader)
    code, report = run_cli_captured("--input", str(input_dir), "--output", str(out), "--date", day, *extra)
    return code, report


# What a user reads of a report: everything but where it wrote, how long it took and the reader.
_REPORT_SAME = (
    "status",
    "input_files",
    "input_bytes",
    "bad_file_count",
    "events_read",
    "events_in_day",
    "events_outside_day",
    "events_for_other_days",
    "events_quarantined",
    "quarantine_reasons",
    "duplicates_dropped",
    "rows_written",
    "rows_with_unmapped",
    "unmapped_fields",
    "output_files",
)


def _compare_runs(monkeypatch, tmp_path, input_dir, day, *extra):
    results = {}
    for reader in ("map", "variant"):
        out = tmp_path / reader / "table"
        code, report = _run(monkeypatch, reader, input_dir, out, day, *extra)
        rows = read_table_dir(out / f"proc_ymd={day.replace('-', '')}")
        key = lambda r: (r["eventid"] or "", str(r["eventtime"]), json.dumps(_normal(r), default=str))  # noqa: E731
        results[reader] = (code, report, sorted((_normal(r) for r in rows), key=key))
    (map_code, map_report, map_rows), (var_code, var_report, var_rows) = results["map"], results["variant"]
    assert map_report["reader"] == "map" and var_report["reader"] == "variant"
    assert var_code == map_code
    assert {k: var_report[k] for k in _REPORT_SAME} == {k: map_report[k] for k in _REPORT_SAME}
    assert [(b["path"].rsplit("/", 1)[-1], b["reason"]) for b in var_report["bad_files"]] == [
        (b["path"].rsplit("/", 1)[-1], b["reason"]) for b in map_report["bad_files"]
    ]
    assert len(var_rows) == len(map_rows)
    for got, want in zip(var_rows, map_rows):
        assert got == want
    return map_report, map_rows


@spark4
def test_both_readers_write_the_same_table_for_tricky_files(spark, tmp_path, monkeypatch):
    root = tmp_path / "in" / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1" / "2026" / "01" / "01"

    def name(hhmm, tag):
        return root / f"111122223333_CloudTrail_us-east-1_20260101T{hhmm}Z_{tag}.json.gz"

    day_records = [
        {**r, "eventTime": "2026-01-01T16:00:00Z"} if r.get("eventTime") == "2026-01-01T00:00:00Z" else r
        for r in TRICKY
    ]
    write_delivery(name("1600", "aaaa"), day_records)
    mixed = '{"Records": [{"eventTime": "2026-01-01T17:00:00Z", "eventID": "m1"}, [1, 2], "x", 5]}'
    write_delivery(name("1700", "bbbb"), [], raw=gzip.compress(mixed.encode()))
    write_delivery(
        name("1705", "cccc"),
        [],
        raw=gzip.compress(b'{"Records": [{"a"'),
    )
    write_delivery(name("1710", "dddd"), [], raw=gzip.compress(b'{"other": 1}'))
    write_delivery(
        name("1715", "eeee"),
        [],
        raw=gzip.compress(b'{"Records": "x"}'),
    )
    write_delivery(
        name("1720", "ffff"),
        [{"eventTime": "2026-01-01T18:00:00Z", "eventID": "e2", "newKey": {"b": 1, "a": 2}}],
        indent=2,
    )
    report, rows = _compare_runs(monkeypatch, tmp_path, tmp_path / "in", "2026-01-02", "--skip-bad-files")
    assert report["events_quarantined"] >= 8 and report["bad_file_count"] == 3
    assert report["duplicates_dropped"] == 1 and len(rows) == report["rows_written"] > 8


@spark4
def test_both_readers_write_the_same_table_for_real_files(spark, tmp_path, monkeypatch, realdata):
    report, rows = _compare_runs(monkeypatch, tmp_path, realdata, "2023-07-10")
    assert report["rows_written"] == len(rows) == 2900


def test_spark35_reports_the_map_reader(spark, tmp_path, monkeypatch, realdata):
    if int(pyspark.__version__.split(".")[0]) >= 4:
        pytest.skip("Spark 4: the readers are compared above")
    code, report = _run(monkeypatch, "variant", realdata, tmp_path / "t", "2023-07-10")
    assert code == 0 and report["reader"] == "map" and report["rows_written"] == 2900


def test_an_unknown_reader_is_a_usage_error(spark, tmp_path, monkeypatch, realdata):
    from cloudtrail_etl.cli import run_command

    monkeypatch.setenv(readers.ENV, "json")
    report_path = tmp_path / "report.json"
    args = ["--input", str(realdata), "--output", str(tmp_path / "t"), "--date", "2023-07-10"]
    assert run_command([*args, "--report", str(report_path)]) == 2
    report = json.loads(report_path.read_text())
    assert report["status"] == "failed" and "CLOUDTRAIL_ETL_READER" in report["error"]
