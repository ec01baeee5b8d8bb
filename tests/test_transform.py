"""Each transformation on small DataFrames, compared with chispa."""

import datetime as dt
import json

import pytest
from chispa import assert_df_equality
from pyspark.sql import Row
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from cloudtrail_etl import transform as T
from cloudtrail_etl.sources.cloudtrail import records as R

RECORD = StructType(
    [
        StructField("eventTime", TimestampType()),
        StructField("eventID", StringType()),
        StructField("readOnly", BooleanType()),
        StructField(
            "userIdentity",
            StructType(
                [
                    StructField("type", StringType()),
                    StructField("sessionContext", StructType([StructField("mfa", StringType())])),
                ]
            ),
        ),
        StructField("requestParameters", StringType()),
        StructField(
            "resources", ArrayType(StructType([StructField("ARN", StringType()), StructField("type", StringType())]))
        ),
    ]
)


def records_df(spark, *records):
    rows = [("f.json.gz", i, r if isinstance(r, str) else json.dumps(r)) for i, r in enumerate(records)]
    return spark.createDataFrame(rows, f"{T.SOURCE_FILE} string, {T.RECORD_INDEX} int, {T.RECORD_TEXT} string")


def parse(spark, *records):
    return R.parse_records(records_df(spark, *records), RECORD).orderBy(T.RECORD_INDEX).collect()


def test_explode_records_keeps_file_position_text_and_map(spark):
    element = f"struct<{T.RECORD_TEXT}: string, {R.ROOT_OBJECT}: map<string,string>>"
    files = spark.createDataFrame(
        [("a.json.gz", [(None, {"eventID": "1"}), ("42", None)]), ("b.json.gz", None), ("c.json.gz", [])],
        f"{T.SOURCE_FILE} string, records array<{element}>",
    )
    expected = spark.createDataFrame(
        [("a.json.gz", 0, None, {"eventID": "1"}), ("a.json.gz", 1, "42", None)],
        f"{T.SOURCE_FILE} string, {T.RECORD_INDEX} int, {T.RECORD_TEXT} string, {R.ROOT_OBJECT} map<string,string>",
    )
    assert_df_equality(R.explode_records(files), expected, ignore_nullable=True)


def test_parse_types_nested_fields_and_keeps_payloads_as_json_text(spark):
    (row,) = parse(
        spark,
        {
            "eventTime": "2026-01-01T14:59:59Z",
            "eventID": "e1",
            "readOnly": True,
            "userIdentity": {"type": "AssumedRole", "sessionContext": {"mfa": "false"}},
            "requestParameters": {"maxResults": 50, "tags": [{"k": "v"}], "nested": {"a": None}},
            "resources": [{"ARN": "arn:aws:s3:::b", "type": "AWS::S3::Bucket"}, {"ARN": "arn:2"}],
        },
    )
    event = row[R.EVENT]
    assert event.eventTime == dt.datetime(2026, 1, 1, 14, 59, 59, tzinfo=dt.timezone.utc).astimezone().replace(
        tzinfo=None
    )
    assert event.eventID == "e1" and event.readOnly is True
    assert event.userIdentity.type == "AssumedRole" and event.userIdentity.sessionContext.mfa == "false"
    assert json.loads(event.requestParameters) == {"maxResults": 50, "tags": [{"k": "v"}], "nested": {"a": None}}
    assert [(r.ARN, r.type) for r in event.resources] == [("arn:aws:s3:::b", "AWS::S3::Bucket"), ("arn:2", None)]
    assert row[R.UNMAPPED] is None
    assert row[T.QUARANTINE_REASON] is None
    assert row[R.EVENTTIME_KST] == dt.datetime(2026, 1, 1, 23, 59, 59)


def test_unknown_fields_at_any_depth_go_to_unmapped(spark):
    (row,) = parse(
        spark,
        {
            "eventTime": "2026-01-01T00:00:00Z",
            "newTopField": {"x": [1, 2]},
            "userIdentity": {"type": "Root", "sessionContext": {"mfa": "true", "newDeep": "v"}},
            "resources": [{"ARN": "a", "extra": 1}],
        },
    )
    assert json.loads(row[R.UNMAPPED]) == {
        "newTopField": {"x": [1, 2]},
        "userIdentity.sessionContext.newDeep": "v",
        "resources[]": [{"ARN": "a", "extra": 1}],
    }
    assert row[R.EVENT].userIdentity.sessionContext.mfa == "true"


def test_unmapped_keeps_objects_and_arrays_as_json_values(spark):
    new = {"x": 1, "y": ["a", "b"], "z": {"deep": [{"k": None}]}}
    (row,) = parse(
        spark,
        {
            "eventTime": "2026-01-01T00:00:00Z",
            "brandNewField": new,
            "newList": [1, "two", {"three": 3}],
            "newText": 'say "hi"\n',
            "newEmpty": {},
            "newNull": None,
            "userIdentity": {"type": "Root", "newNested": {"a": [True, False]}},
        },
    )
    unmapped = json.loads(row[R.UNMAPPED])
    assert unmapped == {
        "brandNewField": new,
        "newList": [1, "two", {"three": 3}],
        "newText": 'say "hi"\n',
        "newEmpty": {},
        "newNull": None,
        "userIdentity.newNested": {"a": [True, False]},
    }
    # What Athena's json_extract(unmapped, '$["brandNewField"].x') reads: a JSON path into the value.
    paths = spark.createDataFrame([(row[R.UNMAPPED],)], "u string").select(
        F.get_json_object("u", "$.brandNewField.x").alias("x"),
        F.get_json_object("u", "$.brandNewField.y[1]").alias("y1"),
        F.get_json_object("u", "$['userIdentity.newNested'].a[0]").alias("a0"),
    )
    assert paths.first().asDict() == {"x": "1", "y1": "b", "a0": "true"}


def test_keys_that_differ_only_in_case_fill_the_field(spark):
    (lower, clash, two_variants) = parse(
        spark,
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
    )
    event = lower[R.EVENT]
    assert lower[T.QUARANTINE_REASON] is None and event.eventTime is not None
    assert event.eventID == "lower-id"
    assert [(r.ARN, r.type) for r in event.resources] == [
        ("arn:aws:s3:::b/k", "AWS::S3::Object"),
        ("arn:aws:s3:::b", None),
    ]
    assert event.userIdentity.type == "IAMUser" and event.userIdentity.sessionContext.mfa == "true"
    assert lower[R.UNMAPPED] is None

    assert clash[R.EVENT].eventID == "exact" and clash[R.EVENT].resources[0].ARN == "exact"
    assert json.loads(clash[R.UNMAPPED]) == {
        "EventID": "variant",
        "resources[]": [{"ARN": "exact", "arn": "variant"}],
    }
    assert two_variants[R.EVENT].eventID == "first"
    assert json.loads(two_variants[R.UNMAPPED]) == {"EventId": "second"}


def test_dedup_matches_the_event_id_key_ignoring_case(spark):
    rows = [("a.json.gz", 0, {"eventID": "1"}), ("b.json.gz", 0, {"eventid": "1"}), ("b.json.gz", 1, {"EventId": "2"})]
    df = spark.createDataFrame(
        rows, f"{T.SOURCE_FILE} string, {T.RECORD_INDEX} int, {R.ROOT_OBJECT} map<string,string>"
    )
    kept = T.drop_duplicate_deliveries(df, R.record_event_id()).orderBy(T.SOURCE_FILE, T.RECORD_INDEX)
    assert [(r[T.SOURCE_FILE], r[T.RECORD_INDEX]) for r in kept.collect()] == [("a.json.gz", 0), ("b.json.gz", 1)]


def test_values_of_another_json_type_are_kept(spark):
    rows = parse(
        spark,
        {"eventTime": "2026-01-01T00:00:00Z", "readOnly": "true", "userIdentity": "not-an-object"},
        {"eventTime": "2026-01-01T00:00:00Z", "readOnly": "maybe", "resources": {"ARN": "x"}},
        {"eventTime": "2026-01-01T00:00:00Z", "userIdentity": {"type": {"nested": True}}},
    )
    assert rows[0][R.EVENT].readOnly is True  # the string "true" is still true, not null
    assert json.loads(rows[0][R.UNMAPPED]) == {"userIdentity": "not-an-object"}
    assert rows[1][R.EVENT].readOnly is None
    assert json.loads(rows[1][R.UNMAPPED]) == {"readOnly": "maybe", "resources": {"ARN": "x"}}
    # An object where a string was expected stays, as its JSON text, in the string column.
    assert json.loads(rows[2][R.EVENT].userIdentity.type) == {"nested": True}
    assert rows[2][R.UNMAPPED] is None


def test_records_that_cannot_be_placed_in_a_day_get_a_reason(spark):
    rows = parse(
        spark,
        "[1, 2]",
        "not json",
        {"eventID": "no-time"},
        {"eventTime": "yesterday"},
        {"eventTime": "2026-01-01T10:00:00"},  # no zone: its instant would depend on a time zone setting
        {"eventTime": "2026-13-45T10:00:00Z"},
    )
    assert [r[T.QUARANTINE_REASON] for r in rows] == [
        R.REASON_NOT_OBJECT,
        R.REASON_NOT_OBJECT,
        R.REASON_NO_EVENTTIME,
        R.REASON_BAD_EVENTTIME,
        R.REASON_BAD_EVENTTIME,
        R.REASON_BAD_EVENTTIME,
    ]
    assert all(r[R.EVENTTIME_KST] is None for r in rows)


@pytest.mark.parametrize(
    ("text", "kst"),
    [
        ("2026-01-01T15:00:00Z", dt.datetime(2026, 1, 2, 0, 0)),
        ("2026-01-01T14:59:59.999Z", dt.datetime(2026, 1, 1, 23, 59, 59, 999000)),
        ("2026-01-02T00:00:00+09:00", dt.datetime(2026, 1, 2, 0, 0)),
        ("2026-01-01T10:30:00-04:30", dt.datetime(2026, 1, 2, 0, 0)),
        ("2024-02-28T20:00:00Z", dt.datetime(2024, 2, 29, 5, 0)),
    ],
)
def test_kst_wall_clock_from_any_zone(spark, text, kst):
    df = spark.createDataFrame([(text,)], "t string")
    out = df.select(F.convert_timezone(F.lit("UTC"), F.lit("Asia/Seoul"), R.utc_wall_clock(F.col("t"))).alias("k"))
    assert out.first().k == kst


def test_proc_ymd_and_keep_days(spark):
    df = spark.createDataFrame(
        [
            (dt.datetime(2026, 1, 1, 23, 59, 59), None),
            (dt.datetime(2026, 1, 2, 0, 0, 0), None),
            (dt.datetime(2026, 1, 2, 23, 59, 59), None),
            (dt.datetime(2026, 1, 2, 12, 0, 0), "eventTime is missing"),
        ],
        f"{R.EVENTTIME_KST} timestamp_ntz, {T.QUARANTINE_REASON} string",
    )
    with_day = T.add_proc_ymd(df, R.EVENTTIME_KST)
    assert [r.proc_ymd for r in with_day.collect()] == ["20260101", "20260102", "20260102", "20260102"]
    kept = T.keep_days(with_day, dt.date(2026, 1, 2), dt.date(2026, 1, 2))
    assert sorted(r[R.EVENTTIME_KST] for r in kept.collect()) == [
        dt.datetime(2026, 1, 2, 0, 0, 0),
        dt.datetime(2026, 1, 2, 23, 59, 59),
    ]
    both = T.keep_days(with_day, dt.date(2026, 1, 1), dt.date(2026, 1, 2))
    assert len(both.collect()) == 3  # the quarantined row stays out


def test_duplicates_collapse_by_eventid_but_rows_without_one_are_all_kept(spark):
    schema = f"eventid string, {T.SOURCE_FILE} string, {T.RECORD_INDEX} int, v string"
    df = spark.createDataFrame(
        [
            ("a", "f1", 0, "x"),
            ("a", "f2", 0, "x"),
            ("b", "f1", 1, "y"),
            (None, "f1", 2, "same"),
            (None, "f2", 2, "same"),
            (None, "f2", 3, "same"),
        ],
        schema,
    )
    out = T.drop_duplicate_deliveries(df, "eventid")
    assert out.columns == df.columns
    assert sorted((r.eventid, r.v) for r in out.collect() if r.eventid) == [("a", "x"), ("b", "y")]
    assert out.filter(F.col("eventid").isNull()).count() == 3


def test_flatten_structs_recursively_with_lowercase_names(spark):
    schema = StructType(
        [
            StructField("eventID", StringType()),
            StructField(
                "userIdentity",
                StructType(
                    [
                        StructField(
                            "sessionContext",
                            StructType(
                                [
                                    StructField("sessionIssuer", StructType([StructField("userName", StringType())])),
                                    StructField("attributes", MapType(StringType(), StringType())),
                                ]
                            ),
                        )
                    ]
                ),
            ),
            StructField("resources", ArrayType(StructType([StructField("ARN", StringType())]))),
            StructField("count", LongType()),
        ]
    )
    df = spark.createDataFrame([("e", Row(Row(Row("alice"), {"k": "v"})), [Row("arn:1")], 3)], schema)
    expected_schema = StructType(
        [
            StructField("eventid", StringType()),
            StructField("useridentity_sessioncontext_sessionissuer_username", StringType()),
            StructField("useridentity_sessioncontext_attributes", MapType(StringType(), StringType())),
            StructField("resources", ArrayType(StructType([StructField("arn", StringType())]))),
            StructField("count", LongType()),
        ]
    )
    expected = spark.createDataFrame([("e", "alice", {"k": "v"}, [Row("arn:1")], 3)], expected_schema)
    assert_df_equality(T.flatten_structs(df), expected, ignore_nullable=True)


def test_flatten_refuses_colliding_names(spark):
    df = spark.createDataFrame([(Row("x"), "y")], "a struct<b: string>, a_b string")
    with pytest.raises(ValueError, match="a_b"):
        T.flatten_structs(df)


def test_s3_data_event_resources_with_arnprefix_fit_the_record_schema(spark):
    from cloudtrail_etl.sources.cloudtrail.schema import record_schema

    record = {
        "eventTime": "2026-01-01T00:00:00Z",
        "eventID": "s3-delete-objects",
        "resources": [
            {"type": "AWS::S3::Object", "ARNPrefix": "arn:aws:s3:::target-bucket/"},
            {"accountId": "012345678901", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::target-bucket"},
        ],
    }
    (row,) = R.parse_records(records_df(spark, record), record_schema()).collect()
    assert [(r.ARN, r.accountId, r.type, r.ARNPrefix) for r in row[R.EVENT].resources] == [
        (None, None, "AWS::S3::Object", "arn:aws:s3:::target-bucket/"),
        ("arn:aws:s3:::target-bucket", "012345678901", "AWS::S3::Bucket", None),
    ]
    assert row[R.UNMAPPED] is None


def test_in_utc_folder_looks_below_the_last_awslogs_folder_only(spark):
    paths = [
        "s3://b/AWSLogs/111122223333/CloudTrail/ap-northeast-2/2026/01/01/f.json.gz",
        "s3://b/x/AWSLogs/111122223333/vpcflowlogs/ap-northeast-2/year=2026/month=01/day=01/hour=23/f.log.gz",
        "s3://b/AWSLogs/111122223333/CloudTrail/ap-northeast-2/2026/01/02/f.json.gz",
        "s3://b/2026/01/01/AWSLogs/111122223333/CloudTrail/ap-northeast-2/2026/01/02/f.json.gz",
        "s3://b/AWSLogs/111122223333/vpcflowlogs/ap-northeast-2/year=2026/month=01/day=011/f.log.gz",
    ]
    df = spark.createDataFrame([(p,) for p in paths], "_source_file string")
    found = df.select(T.in_utc_folder(F.col("_source_file"), dt.date(2026, 1, 1)).alias("in")).collect()
    assert [row["in"] for row in found] == [True, True, False, False, False]
