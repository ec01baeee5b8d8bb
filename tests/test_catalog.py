"""The Glue Data Catalog step against moto's standalone server, and the Athena DDL.

moto cannot make a crawl fail (its crawls only go RUNNING -> COMPLETED), so the failure and "stale LastCrawl"
decisions are driven by `ScriptedGlue`, a hand-written stand-in that answers get_crawler from a script.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cloudtrail_etl import catalog
from cloudtrail_etl.catalog import athena_ddl, glue_type, run_crawler, table_input, update_catalog_table
from cloudtrail_etl.errors import CatalogFailed, UsageError
from cloudtrail_etl.sources.cloudtrail.schema import output_schema
from tests.aws import client, crawls_finish_immediately, moto_endpoint, reset_moto  # noqa: F401

DB, TABLE = "ctdb", "events"
ROOT = "s3://etl-bucket/tables/cloudtrail"
ROLE = "arn:aws:iam::123456789012:role/glue-crawler"
CRAWLER = "cloudtrail-crawler"
EXPECTED_CONFIGURATION = {
    "Version": 1.0,
    "CreatePartitionIndex": False,
    "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
    "CrawlerOutput": {
        "Partitions": {"AddOrUpdateBehavior": "InheritFromTable"},
        "Tables": {"AddOrUpdateBehavior": "MergeNewColumns"},
    },
}


@pytest.fixture
def glue(moto_endpoint):  # noqa: F811
    reset_moto(moto_endpoint)
    return client("glue", moto_endpoint)


class FakeTime:
    """An injectable clock: sleep() moves time on instantly, and can run a hook (to advance moto's crawl)."""

    def __init__(self, on_sleep=None):
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep()


def partitions(glue) -> list[dict]:
    found = glue.get_partitions(DatabaseName=DB, TableName=TABLE)["Partitions"]
    return sorted(found, key=lambda p: p["Values"])


# --- types and TableInput --------------------------------------------------------------------------------------


def test_glue_type_maps_spark_types_to_hive_strings():
    from pyspark.sql import types as T

    assert glue_type(T.StringType()) == "string"
    assert glue_type(T.BooleanType()) == "boolean"
    assert glue_type(T.TimestampType()) == "timestamp"
    assert glue_type(T.TimestampNTZType()) == "timestamp"
    assert glue_type(T.LongType()) == "bigint"
    assert glue_type(T.IntegerType()) == "int"
    assert glue_type(T.DoubleType()) == "double"
    assert glue_type(T.DecimalType(20, 4)) == "decimal(20,4)"
    assert glue_type(T.MapType(T.StringType(), T.StringType())) == "map<string,string>"
    resources = T.ArrayType(
        T.StructType(
            [
                T.StructField("arn", T.StringType()),
                T.StructField("accountid", T.StringType()),
                T.StructField("type", T.StringType()),
            ]
        )
    )
    assert glue_type(resources) == "array<struct<arn:string,accountid:string,type:string>>"
    nested = T.StructType(
        [
            T.StructField("a", T.StructType([T.StructField("b", T.LongType()), T.StructField("c", T.BooleanType())])),
            T.StructField("d", T.ArrayType(T.MapType(T.StringType(), T.DoubleType()))),
        ]
    )
    assert glue_type(nested) == "struct<a:struct<b:bigint,c:boolean>,d:array<map<string,double>>>"
    with pytest.raises(ValueError, match="no Glue/Hive type"):
        glue_type(T.NullType())


def test_table_input_is_an_external_parquet_table_of_the_output_schema():
    table = table_input(DB, TABLE, ROOT + "/")
    schema = output_schema()
    columns = table["StorageDescriptor"]["Columns"]
    assert [c["Name"] for c in columns] == schema.fieldNames()
    assert [c["Type"] for c in columns] == [glue_type(f.dataType) for f in schema.fields]
    commented = {f.name: f.metadata["comment"][:255] for f in schema.fields if f.metadata.get("comment")}
    assert commented, "the schema documents some columns"
    assert {c["Name"]: c["Comment"] for c in columns if "Comment" in c} == commented
    assert "proc_ymd" not in {c["Name"] for c in columns}
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["PartitionKeys"][0]["Name"] == "proc_ymd" and table["PartitionKeys"][0]["Type"] == "string"
    assert len(table["PartitionKeys"]) == 1
    assert table["Parameters"] == {"classification": "parquet", "EXTERNAL": "TRUE", "parquet.compression": "ZSTD"}
    sd = table["StorageDescriptor"]
    assert sd["Location"] == ROOT + "/"
    assert sd["InputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    assert sd["OutputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    assert sd["SerdeInfo"]["SerializationLibrary"] == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    assert table_input(DB, TABLE, "s3a://etl-bucket/tables/cloudtrail")["StorageDescriptor"]["Location"] == ROOT + "/"


# --- table mode ------------------------------------------------------------------------------------------------


def test_many_days_go_to_glue_in_batches_and_reruns_update_them(glue):
    codes = [f"2025{month:02d}{day:02d}" for month in (1, 2, 3, 4, 5) for day in range(1, 29)]  # 140 days
    first = update_catalog_table(glue, DB, TABLE, ROOT, codes[:120])
    assert first["partitions_created"] == codes[:120] and first["partitions_updated"] == []
    again = update_catalog_table(glue, DB, TABLE, ROOT, codes)
    assert again["partitions_created"] == codes[120:] and again["partitions_updated"] == codes[:120]
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=DB, TableName=TABLE)
    partitions = [p for page in pages for p in page["Partitions"]]
    assert sorted(p["Values"][0] for p in partitions) == codes
    assert all(p["StorageDescriptor"]["Location"] == f"{ROOT}/proc_ymd={p['Values'][0]}/" for p in partitions)


def test_table_mode_creates_database_table_and_partition_then_reruns_without_duplicates(glue):
    first = update_catalog_table(glue, DB, TABLE, ROOT, "20260102")
    assert first == {
        "mode": "table",
        "table": f"{DB}.{TABLE}",
        "database_created": True,
        "table_created": True,
        "columns_added": [],
        "partitions_created": ["20260102"],
        "partitions_updated": [],
        "partition": "proc_ymd=20260102",
        "partition_location": f"{ROOT}/proc_ymd=20260102/",
        "partition_action": "created",
    }
    glue.get_database(Name=DB)
    table = glue.get_table(DatabaseName=DB, Name=TABLE)["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == output_schema().fieldNames()
    assert [(k["Name"], k["Type"]) for k in table["PartitionKeys"]] == [("proc_ymd", "string")]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["StorageDescriptor"]["Location"] == ROOT + "/"
    (partition,) = partitions(glue)
    assert partition["Values"] == ["20260102"]
    assert partition["StorageDescriptor"]["Location"] == f"{ROOT}/proc_ymd=20260102/"
    assert partition["StorageDescriptor"]["Columns"] == table["StorageDescriptor"]["Columns"]
    assert partition["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")

    # Someone pointed the partition elsewhere; re-running the day puts it back instead of adding a second one.
    stale = {**partition["StorageDescriptor"], "Location": "s3://elsewhere/old/"}
    glue.update_partition(
        DatabaseName=DB,
        TableName=TABLE,
        PartitionValueList=["20260102"],
        PartitionInput={"Values": ["20260102"], "StorageDescriptor": stale},
    )
    again = update_catalog_table(glue, DB, TABLE, ROOT + "/", "20260102")
    assert again["partition_action"] == "updated"
    assert (again["database_created"], again["table_created"], again["columns_added"]) == (False, False, [])
    (partition,) = partitions(glue)
    assert partition["StorageDescriptor"]["Location"] == f"{ROOT}/proc_ymd=20260102/"
    assert len(glue.get_tables(DatabaseName=DB)["TableList"]) == 1

    following = update_catalog_table(glue, DB, TABLE, ROOT, "20260103")
    assert following["partition_action"] == "created"
    assert [p["Values"] for p in partitions(glue)] == [["20260102"], ["20260103"]]
    assert [p["StorageDescriptor"]["Location"] for p in partitions(glue)] == [
        f"{ROOT}/proc_ymd=20260102/",
        f"{ROOT}/proc_ymd=20260103/",
    ]


def test_table_mode_adds_new_columns_to_an_existing_table_and_never_drops_any(glue):
    """A table made by an older version (or a crawler) keeps its own columns and settings; ours are appended."""
    old = table_input(DB, TABLE, ROOT)
    ours = old["StorageDescriptor"]["Columns"]
    legacy = {"Name": "legacy_note", "Type": "string", "Comment": "kept from an older layout"}
    old["StorageDescriptor"]["Columns"] = [*ours[:10], legacy]
    old["Parameters"] = {**old["Parameters"], "owner_note": "set by hand"}
    glue.create_database(DatabaseInput={"Name": DB})
    glue.create_table(DatabaseName=DB, TableInput=old)

    result = update_catalog_table(glue, DB, TABLE, ROOT, "20260102")
    assert (result["database_created"], result["table_created"]) == (False, False)
    assert result["columns_added"] == [c["Name"] for c in ours[10:]]
    table = glue.get_table(DatabaseName=DB, Name=TABLE)["Table"]
    names = [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
    assert names == [*(c["Name"] for c in ours[:10]), "legacy_note", *(c["Name"] for c in ours[10:])]
    assert table["Parameters"]["owner_note"] == "set by hand"
    (partition,) = partitions(glue)
    assert [c["Name"] for c in partition["StorageDescriptor"]["Columns"]] == names

    # Nothing new the second time: the table is left alone.
    before = glue.get_table(DatabaseName=DB, Name=TABLE)["Table"]
    assert update_catalog_table(glue, DB, TABLE, ROOT, "20260102")["columns_added"] == []
    assert glue.get_table(DatabaseName=DB, Name=TABLE)["Table"]["StorageDescriptor"] == before["StorageDescriptor"]


def test_table_mode_failure_is_one_catalog_failed_line():
    # A port nobody listens on: the call fails at once, and never reaches AWS.
    import boto3

    dead = boto3.client(
        "glue",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
    )
    with pytest.raises(CatalogFailed) as caught:
        update_catalog_table(dead, DB, TABLE, ROOT, "20260102")
    message = str(caught.value)
    assert "\n" not in message and f"{DB}.{TABLE}" in message and "failed" in message
    assert caught.value.exit_code == 7


# --- crawler mode against moto ---------------------------------------------------------------------------------


def test_crawler_is_created_for_one_partitioned_parquet_table_and_started(glue):
    result = run_crawler(glue, CRAWLER, location=ROOT, create=True, role=ROLE, database=DB)
    assert result == {
        "mode": "crawler",
        "crawler": CRAWLER,
        "created": True,
        "started": True,
        "waited": False,
        "state": "RUNNING",
        "last_crawl_status": "RUNNING",  # moto's value; AWS would not show a status until the crawl ends
    }
    crawler = glue.get_crawler(Name=CRAWLER)["Crawler"]
    assert crawler["Role"] == ROLE and crawler["DatabaseName"] == DB
    assert crawler["Targets"]["S3Targets"] == [
        {
            "Path": ROOT + "/",
            "Exclusions": ["**/_SUCCESS", "**/_temporary/**", "**/.spark-staging-*/**", "**/*.crc"],
        }
    ]
    assert json.loads(crawler["Configuration"]) == EXPECTED_CONFIGURATION
    assert crawler["SchemaChangePolicy"] == {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"}
    assert crawler["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_EVERYTHING"}
    glue.get_database(Name=DB)  # created for the crawler's output
    assert len(glue.list_crawls(CrawlerName=CRAWLER)["Crawls"]) == 1


def test_crawler_already_running_is_waited_for_then_started_again(glue):
    run_crawler(glue, CRAWLER, location=ROOT, create=True, role=ROLE, database=DB)
    assert glue.get_crawler(Name=CRAWLER)["Crawler"]["State"] == "RUNNING"

    # moto keeps a crawl RUNNING until list_crawls is called: "time passing" lists the crawls.
    fake = FakeTime(on_sleep=lambda: glue.list_crawls(CrawlerName=CRAWLER))
    result = run_crawler(glue, CRAWLER, location=ROOT, create=True, clock=fake.clock, sleep=fake.sleep, poll_s=5)
    assert result["created"] is False and result["started"] is True
    assert fake.sleeps == [5]
    crawls = glue.list_crawls(CrawlerName=CRAWLER)["Crawls"]
    assert len(crawls) == 2
    assert crawls[-1]["StartTime"] >= crawls[0]["StartTime"]


def test_crawler_wait_polls_until_our_crawl_is_finished_and_records_moto_status(glue):
    fake = FakeTime(on_sleep=lambda: glue.list_crawls(CrawlerName=CRAWLER))
    result = run_crawler(
        glue, CRAWLER, location=ROOT, create=True, role=ROLE, database=DB, wait=True, clock=fake.clock, sleep=fake.sleep
    )
    assert fake.sleeps == [10.0]
    assert (result["waited"], result["state"], result["last_crawl_status"]) == (True, "READY", "COMPLETED")


def test_crawler_wait_with_immediate_crawls(glue, moto_endpoint):  # noqa: F811
    crawls_finish_immediately(moto_endpoint)
    run_crawler(glue, CRAWLER, location=ROOT, create=True, role=ROLE, database=DB)
    fake = FakeTime()
    result = run_crawler(glue, CRAWLER, location=ROOT, wait=True, clock=fake.clock, sleep=fake.sleep)
    assert fake.sleeps == []
    assert result["created"] is False
    assert (result["state"], result["last_crawl_status"]) == ("READY", "COMPLETED")
    assert len(glue.list_crawls(CrawlerName=CRAWLER)["Crawls"]) == 2


def test_crawler_wait_times_out_with_the_crawler_still_running(glue):
    fake = FakeTime()
    with pytest.raises(CatalogFailed, match=r"timed out waiting for crawler .*still running \(state RUNNING\)"):
        run_crawler(
            glue,
            CRAWLER,
            location=ROOT,
            create=True,
            role=ROLE,
            database=DB,
            wait=True,
            timeout_s=45,
            poll_s=10,
            clock=fake.clock,
            sleep=fake.sleep,
        )
    assert fake.sleeps == [10, 10, 10, 10, 5]
    assert glue.get_crawler(Name=CRAWLER)["Crawler"]["State"] == "RUNNING"


def test_an_earlier_crawl_that_never_finishes_is_a_bounded_wait(glue):
    run_crawler(glue, CRAWLER, location=ROOT, create=True, role=ROLE, database=DB)
    fake = FakeTime()
    with pytest.raises(CatalogFailed, match=r"timed out waiting for an earlier crawl .*still running"):
        run_crawler(glue, CRAWLER, location=ROOT, timeout_s=30, clock=fake.clock, sleep=fake.sleep)
    assert sum(fake.sleeps) == 30
    assert len(glue.list_crawls(CrawlerName=CRAWLER)["Crawls"]) == 1


def test_missing_crawler_without_create_fails_with_a_hint(glue):
    with pytest.raises(CatalogFailed, match=f"crawler {CRAWLER} does not exist \\(use --create-crawler"):
        run_crawler(glue, CRAWLER, location=ROOT)
    with pytest.raises(CatalogFailed, match="a role and a database are needed"):
        run_crawler(glue, CRAWLER, location=ROOT, create=True, database=DB)
    assert glue.get_crawlers()["Crawlers"] == []


# --- crawl outcomes moto cannot produce ------------------------------------------------------------------------

T_OLD = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


def _crawler(state: str, status: str | None = None, start: dt.datetime | None = None, error: str | None = None):
    crawler: dict = {"Name": CRAWLER, "State": state}
    if status:
        crawler["LastCrawl"] = {"Status": status, "StartTime": start or T_OLD}
        if error:
            crawler["LastCrawl"]["ErrorMessage"] = error
    return {"Crawler": crawler}


class ScriptedGlue:
    """Answers get_crawler from a script (the last answer repeats); start_crawler raises the scripted errors."""

    def __init__(self, answers: list[dict], start_errors: tuple[str, ...] = ()):
        self.answers = list(answers)
        self.start_errors = list(start_errors)
        self.calls: list[str] = []

    def get_crawler(self, Name: str) -> dict:
        self.calls.append("get_crawler")
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def start_crawler(self, Name: str) -> dict:
        self.calls.append("start_crawler")
        if self.start_errors:
            code = self.start_errors.pop(0)
            raise ClientError({"Error": {"Code": code, "Message": f"{code} for {Name}"}}, "StartCrawler")
        return {}


def _soon() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)


@pytest.mark.parametrize("status", ["FAILED", "CANCELLED"])
def test_a_failed_or_cancelled_crawl_raises_with_its_error_message(status):
    glue = ScriptedGlue(
        [
            _crawler("READY", "SUCCEEDED", T_OLD),  # exists; the previous crawl
            _crawler("RUNNING", "SUCCEEDED", T_OLD),
            _crawler("READY", status, _soon(), error="Insufficient Lake Formation permission(s) on ctdb\n(x)"),
        ]
    )
    fake = FakeTime()
    with pytest.raises(CatalogFailed) as caught:
        run_crawler(glue, CRAWLER, location=ROOT, wait=True, clock=fake.clock, sleep=fake.sleep)
    assert str(caught.value) == (
        f"crawler {CRAWLER} crawl {status}: Insufficient Lake Formation permission(s) on ctdb (x)"
    )
    assert glue.calls == ["get_crawler", "start_crawler", "get_crawler", "get_crawler"]


def test_a_stale_failed_last_crawl_is_not_mistaken_for_ours():
    """Right after StartCrawler, LastCrawl may still be the previous (failed) crawl: keep polling."""
    glue = ScriptedGlue(
        [
            _crawler("READY", "FAILED", T_OLD, error="old failure"),
            _crawler("READY", "FAILED", T_OLD, error="old failure"),
            _crawler("RUNNING", "FAILED", T_OLD),
            _crawler("READY", "SUCCEEDED", _soon()),
        ]
    )
    fake = FakeTime()
    result = run_crawler(glue, CRAWLER, location=ROOT, wait=True, clock=fake.clock, sleep=fake.sleep, poll_s=3)
    assert (result["state"], result["last_crawl_status"]) == ("READY", "SUCCEEDED")
    assert fake.sleeps == [3, 3]


def test_our_crawl_is_recognised_by_a_newer_start_time_even_with_a_skewed_local_clock():
    """The service clock may be behind ours: a StartTime later than the previous crawl's is still ours."""
    skewed = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    glue = ScriptedGlue([_crawler("READY", "SUCCEEDED", T_OLD), _crawler("READY", "SUCCEEDED", skewed)])
    fake = FakeTime()
    result = run_crawler(glue, CRAWLER, location=ROOT, wait=True, clock=fake.clock, sleep=fake.sleep)
    assert result["last_crawl_status"] == "SUCCEEDED" and fake.sleeps == []


def test_running_exception_then_operation_timeout_are_retried_within_the_deadline():
    glue = ScriptedGlue(
        [
            _crawler("RUNNING", "SUCCEEDED", T_OLD),
            _crawler("RUNNING", "SUCCEEDED", T_OLD),
            _crawler("READY", "SUCCEEDED", T_OLD + dt.timedelta(days=1)),
        ],
        start_errors=("CrawlerRunningException", "OperationTimeoutException"),
    )
    fake = FakeTime()
    result = run_crawler(glue, CRAWLER, location=ROOT, clock=fake.clock, sleep=fake.sleep, poll_s=7)
    assert result["started"] is True and result["waited"] is False
    assert glue.calls.count("start_crawler") == 3
    assert fake.sleeps == [7, 7]  # the earlier crawl's poll, then a pause before retrying the timed-out start


def test_operation_timeouts_give_up_at_the_deadline():
    glue = ScriptedGlue([_crawler("READY")], start_errors=("OperationTimeoutException",) * 100)
    fake = FakeTime()
    with pytest.raises(CatalogFailed, match=r"starting glue crawler .* failed: OperationTimeoutException"):
        run_crawler(glue, CRAWLER, location=ROOT, timeout_s=25, poll_s=10, clock=fake.clock, sleep=fake.sleep)
    assert fake.sleeps == [10, 10, 5]


def test_other_start_errors_are_catalog_failed():
    glue = ScriptedGlue([_crawler("READY")], start_errors=("AccessDeniedException",))
    with pytest.raises(CatalogFailed, match=f"starting glue crawler {CRAWLER} failed: AccessDeniedException"):
        run_crawler(glue, CRAWLER, location=ROOT)


# --- the job's entry point -------------------------------------------------------------------------------------


def test_publish_day_dispatches_on_the_options(glue):
    from cloudtrail_etl.config import parse_run_args

    base = ["--input", "s3://in/", "--output", ROOT + "/", "--date", "2026-01-02"]
    assert catalog.publish_days(parse_run_args(base), ["20260102"], glue) == {}
    table = catalog.publish_days(parse_run_args([*base, "--catalog-table", f"{DB}.{TABLE}"]), ["20260102"], glue)
    assert table["mode"] == "table" and table["partition"] == "proc_ymd=20260102"
    crawler_args = [*base, "--crawler", CRAWLER, "--create-crawler", "--crawler-role", ROLE, "--crawler-database", DB]
    crawled = catalog.publish_days(parse_run_args(crawler_args), ["20260102"], glue)
    assert crawled["mode"] == "crawler" and crawled["created"] is True


# --- Athena DDL ------------------------------------------------------------------------------------------------


def _ddl_parts(ddl: str) -> tuple[list[str], dict[str, str]]:
    head, _, rest = ddl.partition("\n)\nPARTITIONED BY")
    column_lines = head.split("(\n", 1)[1].split(",\n")
    properties = dict(re.findall(r"'((?:[^'\\]|\\.)*)'='((?:[^'\\]|\\.)*)'", rest.split("TBLPROPERTIES", 1)[1]))
    return column_lines, properties


@pytest.mark.parametrize("location", [ROOT, ROOT + "/", "s3a://etl-bucket/tables/cloudtrail/"])
def test_athena_ddl_has_every_column_once_and_partition_projection(location):
    ddl = athena_ddl("ctdb.cloudtrail", location, "20200101")
    assert ddl.startswith("CREATE EXTERNAL TABLE IF NOT EXISTS `ctdb`.`cloudtrail` (\n")
    column_lines, properties = _ddl_parts(ddl)
    schema = output_schema()
    names = [re.match(r"^  `([^`]+)` ", line).group(1) for line in column_lines]
    assert names == schema.fieldNames()
    for line, field in zip(column_lines, schema.fields):
        assert line.split("` ", 1)[1].split(" COMMENT ")[0] == glue_type(field.dataType)
        if field.metadata.get("comment"):
            escaped = field.metadata["comment"].replace("\\", "\\\\").replace("'", "\\'")
            assert line.endswith(f" COMMENT '{escaped}'")
    assert "\nPARTITIONED BY (`proc_ymd` string)\nSTORED AS PARQUET\n" in ddl
    assert f"\nLOCATION '{ROOT}/'\n" in ddl
    assert properties == {
        "projection.enabled": "true",
        "projection.proc_ymd.type": "date",
        "projection.proc_ymd.format": "yyyyMMdd",
        "projection.proc_ymd.range": "20200101,NOW",
        "projection.proc_ymd.interval": "1",
        "projection.proc_ymd.interval.unit": "DAYS",
        "storage.location.template": ROOT + "/proc_ymd=${proc_ymd}",
        "parquet.compression": "ZSTD",
    }
    assert "proc_ymd" not in names


def test_athena_ddl_escapes_quotes_in_comments_and_checks_start(monkeypatch):
    from pyspark.sql import types as T

    from cloudtrail_etl.sources.cloudtrail import CloudTrail

    schema = T.StructType([T.StructField("odd", T.StringType(), True, {"comment": "it's a \\ test"})])
    monkeypatch.setattr(CloudTrail, "output_schema", lambda self: schema)
    ddl = athena_ddl("t", ROOT)
    assert "  `odd` string COMMENT 'it\\'s a \\\\ test'\n" in ddl
    assert "'projection.proc_ymd.range'='20130101,NOW'" in ddl
    with pytest.raises(UsageError, match="YYYYMMDD"):
        athena_ddl("t", ROOT, "2020-01-01")
