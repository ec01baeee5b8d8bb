"""Make a written day visible in the Glue Data Catalog (and so in Athena).

Three ways, from cheapest to most hands-off:

* `update_catalog_table`: keep one table whose columns come from the source's `output_schema()` and add the days'
  partitions with
  Glue API calls (batches of 100). Deterministic, a handful of calls per run, no crawler to pay for or wait on.
* `run_crawler`: start (optionally create) a Glue crawler over the table root and optionally wait for it.
* `athena_ddl`: a `CREATE EXTERNAL TABLE` with partition projection; Athena then needs no partitions at all.

Only boto3 is imported here at module level: Spark types are imported where a schema is turned into Hive types.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional

from botocore.exceptions import BotoCoreError, ClientError

from cloudtrail_etl.errors import CatalogFailed, UsageError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from pyspark.sql.types import DataType

    from cloudtrail_etl.config import JobConfig

PARTITION_COLUMN = "proc_ymd"
INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
GLUE_COMMENT_MAX = 255  # Glue rejects longer column comments
TABLE_PARAMETERS = {"classification": "parquet", "EXTERNAL": "TRUE", "parquet.compression": "ZSTD"}

# What Spark leaves next to the data files: a crawler that reads them invents tables or fails on them.
CRAWLER_EXCLUSIONS = ["**/_SUCCESS", "**/_temporary/**", "**/.spark-staging-*/**", "**/*.crc"]
# One table for the whole root (not one per folder), partitions inherit the table schema, new columns are merged.
BATCH_SIZE = 100  # BatchCreatePartition and BatchUpdatePartition take at most 100 partitions a call
CRAWLER_CONFIGURATION = {
    "Version": 1.0,
    # Crawlers add a partition index by default, which needs glue:CreatePartitionIndex; one key of daily partitions
    # gains little from it (deploy/README.md).
    "CreatePartitionIndex": False,
    "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas"},
    "CrawlerOutput": {
        "Partitions": {"AddOrUpdateBehavior": "InheritFromTable"},
        "Tables": {"AddOrUpdateBehavior": "MergeNewColumns"},
    },
}
CRAWLER_SCHEMA_CHANGE_POLICY = {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"}
CRAWLER_RECRAWL_POLICY = {"RecrawlBehavior": "CRAWL_EVERYTHING"}
# LastCrawl.Status values that mean the crawl did not do its job. Anything else (AWS: SUCCEEDED; moto: COMPLETED,
# RUNNING) is recorded as given, so that an unexpected value shows up in the report instead of failing the run.
FAILED_CRAWL_STATUSES = frozenset({"FAILED", "CANCELLED"})
_CLOCK_SLACK = dt.timedelta(seconds=1)

# The keys of a GetTable answer that UpdateTable accepts back in its TableInput.
_TABLE_INPUT_KEYS = (
    "Name",
    "Description",
    "Owner",
    "LastAccessTime",
    "LastAnalyzedTime",
    "Retention",
    "StorageDescriptor",
    "PartitionKeys",
    "ViewOriginalText",
    "ViewExpandedText",
    "TableType",
    "Parameters",
    "TargetTable",
    "ViewDefinition",
)


# --- types and table definitions -------------------------------------------------------------------------------


def glue_type(data_type: DataType) -> str:
    """The Hive type string Glue and Athena expect for a Spark type (struct field names as Spark has them)."""
    from pyspark.sql import types as T

    # Both timestamp flavours are a Parquet timestamp that Athena reads as `timestamp`: the instant (INT96) and the
    # KST wall clock (INT64, isAdjustedToUTC=false) that shows exactly as written.
    simple = [
        (T.StringType, "string"),
        (T.BooleanType, "boolean"),
        (T.TimestampNTZType, "timestamp"),
        (T.TimestampType, "timestamp"),
        (T.DateType, "date"),
        (T.LongType, "bigint"),
        (T.IntegerType, "int"),
        (T.ShortType, "smallint"),
        (T.ByteType, "tinyint"),
        (T.DoubleType, "double"),
        (T.FloatType, "float"),
        (T.BinaryType, "binary"),
    ]
    for spark_class, hive in simple:
        if isinstance(data_type, spark_class):
            return hive
    if isinstance(data_type, T.DecimalType):
        return f"decimal({data_type.precision},{data_type.scale})"
    if isinstance(data_type, T.ArrayType):
        return f"array<{glue_type(data_type.elementType)}>"
    if isinstance(data_type, T.MapType):
        return f"map<{glue_type(data_type.keyType)},{glue_type(data_type.valueType)}>"
    if isinstance(data_type, T.StructType):
        return "struct<" + ",".join(f"{f.name}:{glue_type(f.dataType)}" for f in data_type.fields) + ">"
    raise ValueError(f"no Glue/Hive type for Spark type {data_type.simpleString()}")


def _source(name: str):
    from cloudtrail_etl.sources import get_source

    return get_source(name)


def table_columns(source: str = "cloudtrail") -> list[dict[str, str]]:
    """Glue Column entries for every Parquet column of the source's table, in file order, with the schema's
    comments."""
    columns = []
    for field in _source(source).output_schema().fields:
        column = {"Name": field.name, "Type": glue_type(field.dataType)}
        comment = (field.metadata or {}).get("comment")
        if comment:
            column["Comment"] = str(comment)[:GLUE_COMMENT_MAX]
        columns.append(column)
    return columns


def table_root(location: str) -> str:
    """The table root as Glue and Athena want it: s3:// scheme (they know no s3a/s3n) and one trailing slash."""
    root = location.strip()
    for scheme in ("s3a://", "s3n://"):
        if root.startswith(scheme):
            root = "s3://" + root[len(scheme) :]
    return root.rstrip("/") + "/"


def partition_location(location: str, day_code: str) -> str:
    return f"{table_root(location)}{PARTITION_COLUMN}={day_code}/"


def _storage_descriptor(location: str, columns: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Columns": columns,
        "Location": location,
        "InputFormat": INPUT_FORMAT,
        "OutputFormat": OUTPUT_FORMAT,
        "Compressed": False,
        "SerdeInfo": {"SerializationLibrary": SERDE, "Parameters": {"serialization.format": "1"}},
        "StoredAsSubDirectories": False,
    }


def table_input(database: str, table: str, location: str, source: str = "cloudtrail") -> dict[str, Any]:
    """A Glue TableInput for the source's external Parquet table partitioned by proc_ymd (a string, not in the
    files).

    `database` is not part of a TableInput; it is accepted so every catalog helper names the table the same way.
    """
    del database
    return {
        "Name": table,
        "Description": _source(source).description,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": dict(TABLE_PARAMETERS),
        "PartitionKeys": [{"Name": PARTITION_COLUMN, "Type": "string", "Comment": "KST day of the records, YYYYMMDD"}],
        "StorageDescriptor": _storage_descriptor(table_root(location), table_columns(source)),
    }


# --- errors ----------------------------------------------------------------------------------------------------


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        text = f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())


def _failed(what: str, exc: BaseException) -> CatalogFailed:
    return CatalogFailed(f"{what} failed: {_one_line(exc)}")


# --- table mode ------------------------------------------------------------------------------------------------


def _merge_columns(
    existing: list[dict[str, Any]], wanted: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Existing columns kept as they are and in their order (never dropped), ours that are missing appended."""
    have = {column["Name"].lower() for column in existing}
    added = [copy.deepcopy(column) for column in wanted if column["Name"].lower() not in have]
    return [*copy.deepcopy(existing), *added], [column["Name"] for column in added]


def _ensure_database(glue: Any, database: str) -> bool:
    """True when this call created the database."""
    try:
        glue.get_database(Name=database)
        return False
    except ClientError as exc:
        if _code(exc) != "EntityNotFoundException":
            raise
    try:
        glue.create_database(
            DatabaseInput={"Name": database, "Description": "created by cloudtrail-etl for AWS log tables"}
        )
        return True
    except ClientError as exc:
        if _code(exc) == "AlreadyExistsException":  # created concurrently: fine
            return False
        raise


def _ensure_table(
    glue: Any, database: str, table: str, location: str, source: str
) -> tuple[dict[str, Any], bool, list[str]]:
    """(the table's StorageDescriptor, created?, columns added); adds our new columns to an existing table."""
    wanted = table_input(database, table, location, source)
    try:
        current = glue.get_table(DatabaseName=database, Name=table)["Table"]
    except ClientError as exc:
        if _code(exc) != "EntityNotFoundException":
            raise
        try:
            glue.create_table(DatabaseName=database, TableInput=wanted)
            return wanted["StorageDescriptor"], True, []
        except ClientError as create_exc:
            if _code(create_exc) != "AlreadyExistsException":
                raise
            current = glue.get_table(DatabaseName=database, Name=table)["Table"]

    descriptor = current.get("StorageDescriptor") or {}
    merged, added = _merge_columns(descriptor.get("Columns", []), wanted["StorageDescriptor"]["Columns"])
    if added:
        update = {key: copy.deepcopy(current[key]) for key in _TABLE_INPUT_KEYS if key in current}
        update.setdefault("StorageDescriptor", copy.deepcopy(wanted["StorageDescriptor"]))
        update["StorageDescriptor"]["Columns"] = merged
        glue.update_table(DatabaseName=database, TableInput=update)
    descriptor = {**descriptor, "Columns": merged}
    if not descriptor.get("Location"):
        descriptor["Location"] = table_root(location)
    return descriptor, False, added


def _partition_input(descriptor: dict[str, Any], location: str, day_code: str) -> dict[str, Any]:
    """The day's partition: the table's formats and current columns, its own folder."""
    partition_descriptor = _storage_descriptor(partition_location(location, day_code), descriptor["Columns"])
    for key in ("InputFormat", "OutputFormat", "SerdeInfo"):
        if descriptor.get(key):
            partition_descriptor[key] = copy.deepcopy(descriptor[key])
    return {
        "Values": [day_code],
        "StorageDescriptor": partition_descriptor,
        "Parameters": {"classification": "parquet"},
    }


def _batch_errors(response: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(day code, error code, message) of each partition a batch call did not take."""
    return [
        (
            "/".join(error.get("PartitionValues") or error.get("PartitionValueList") or []),
            error.get("ErrorDetail", {}).get("ErrorCode", ""),
            error.get("ErrorDetail", {}).get("ErrorMessage", ""),
        )
        for error in response.get("Errors", [])
    ]


def _raise_for(errors: list[tuple[str, str, str]], database: str, table: str) -> None:
    if errors:
        named = "; ".join(f"{PARTITION_COLUMN}={code}: {kind} {message}".strip() for code, kind, message in errors)
        raise CatalogFailed(f"glue partitions of {database}.{table}: {named}")


def _add_partitions(glue: Any, database: str, table: str, inputs: list[dict[str, Any]]) -> tuple[list, list]:
    """(created, updated) day codes: BatchCreatePartition, and BatchUpdatePartition for the days that exist."""
    created: list[str] = []
    updated: list[str] = []
    for start in range(0, len(inputs), BATCH_SIZE):
        chunk = inputs[start : start + BATCH_SIZE]
        response = glue.batch_create_partition(DatabaseName=database, TableName=table, PartitionInputList=chunk)
        errors = _batch_errors(response)
        _raise_for([e for e in errors if e[1] != "AlreadyExistsException"], database, table)
        existing = {code for code, _, _ in errors}
        created += [p["Values"][0] for p in chunk if p["Values"][0] not in existing]
        # Re-runs of days: point their partitions at the current folders and columns instead of duplicating them.
        entries = [
            {"PartitionValueList": p["Values"], "PartitionInput": p} for p in chunk if p["Values"][0] in existing
        ]
        if entries:
            failed = _batch_errors(glue.batch_update_partition(DatabaseName=database, TableName=table, Entries=entries))
            if failed:
                raise CatalogFailed(
                    f"glue partitions of {database}.{table}: " + "; ".join(": ".join(e) for e in failed)
                )
            updated += [entry["PartitionValueList"][0] for entry in entries]
    return created, updated


def update_catalog_table(
    glue: Any, database: str, table: str, location: str, day_codes: str | Sequence[str], source: str = "cloudtrail"
) -> dict[str, Any]:
    """Create the database and table if missing and add (or refresh) the days' partitions, in batches of
    BATCH_SIZE; safe to re-run."""
    codes = [day_codes] if isinstance(day_codes, str) else list(day_codes)
    name = f"{database}.{table}"
    step = f"glue catalog update of {name}"
    try:
        database_created = _ensure_database(glue, database)
        step = f"glue table {name}"
        descriptor, table_created, added = _ensure_table(glue, database, table, location, source)
        step = f"glue partitions {PARTITION_COLUMN}={codes[0]}..{codes[-1]} of {name}"
        inputs = [_partition_input(descriptor, location, code) for code in codes]
        created, updated = _add_partitions(glue, database, table, inputs)
    except (ClientError, BotoCoreError) as exc:
        raise _failed(step, exc) from exc
    result: dict[str, Any] = {
        "mode": "table",
        "table": name,
        "database_created": database_created,
        "table_created": table_created,
        "columns_added": added,
        "partitions_created": created,
        "partitions_updated": updated,
    }
    if len(codes) == 1:
        result["partition"] = f"{PARTITION_COLUMN}={codes[0]}"
        result["partition_location"] = inputs[0]["StorageDescriptor"]["Location"]
        result["partition_action"] = "created" if created else "updated"
    return result


def crawler_definition(name: str, location: str, role: str, database: str) -> dict[str, Any]:
    """CreateCrawler arguments for one Hive-partitioned Parquet table at `location`."""
    return {
        "Name": name,
        "Role": role,
        "DatabaseName": database,
        "Description": "cloudtrail-etl: one Parquet table partitioned by proc_ymd",
        "Targets": {"S3Targets": [{"Path": table_root(location), "Exclusions": list(CRAWLER_EXCLUSIONS)}]},
        "SchemaChangePolicy": dict(CRAWLER_SCHEMA_CHANGE_POLICY),
        "RecrawlPolicy": dict(CRAWLER_RECRAWL_POLICY),
        "Configuration": json.dumps(CRAWLER_CONFIGURATION, separators=(",", ":")),
    }


def _as_utc(value: Any) -> Optional[dt.datetime]:
    if not isinstance(value, dt.datetime):
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


def _crawl_is_ours(crawler: dict[str, Any], previous_start: Optional[dt.datetime], t0: dt.datetime) -> bool:
    """Is LastCrawl the crawl we started at t0 rather than an older one?

    Judged first without trusting the local clock: no crawl was known before we started, or this one started
    later than the one seen then. Otherwise StartTime >= t0, with a second of slack because the service reports
    times to the millisecond and its clock is not ours.
    """
    start = _as_utc((crawler.get("LastCrawl") or {}).get("StartTime"))
    if start is None:
        return False
    if previous_start is None or start > previous_start:
        return True
    return start >= t0 - _CLOCK_SLACK


def run_crawler(
    glue: Any,
    name: str,
    *,
    location: str,
    create: bool = False,
    role: Optional[str] = None,
    database: Optional[str] = None,
    wait: bool = False,
    timeout_s: float = 1800,
    poll_s: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Start the crawler (creating it if asked) and, with `wait`, return only once its crawl has finished.

    One deadline (`timeout_s` from the call) bounds both waiting for an already running crawl and waiting for ours,
    so a run never hangs on the catalog step. `clock` and `sleep` are injectable so tests need not wait.
    """
    deadline = clock() + timeout_s
    step = f"glue crawler {name}"
    created = False
    try:
        try:
            crawler = glue.get_crawler(Name=name)["Crawler"]
        except ClientError as exc:
            if _code(exc) != "EntityNotFoundException":
                raise
            if not create:
                raise CatalogFailed(
                    f"crawler {name} does not exist (use --create-crawler with --crawler-role and "
                    "--crawler-database to create it)"
                ) from None
            if not (role and database):
                raise CatalogFailed(f"cannot create crawler {name}: a role and a database are needed") from None
            step = f"creating glue crawler {name}"
            _ensure_database(glue, database)  # a crawl into a missing database fails late; create it now
            try:
                glue.create_crawler(**crawler_definition(name, location, role, database))
                created = True
            except ClientError as create_exc:
                if _code(create_exc) != "AlreadyExistsException":
                    raise
            crawler = glue.get_crawler(Name=name)["Crawler"]

        step = f"starting glue crawler {name}"
        previous_start = _as_utc((crawler.get("LastCrawl") or {}).get("StartTime"))
        t0 = dt.datetime.now(dt.timezone.utc)
        while True:
            try:
                glue.start_crawler(Name=name)
                break
            except ClientError as exc:
                code = _code(exc)
                if code == "OperationTimeoutException" and _remaining(deadline, clock) > 0:
                    sleep(min(poll_s, _remaining(deadline, clock)))  # transient on the service side: retry
                    continue
                if code != "CrawlerRunningException":
                    raise
            # Someone else's crawl (a schedule, a parallel run) is going: it may have started before our files
            # landed, so wait for it and start our own.
            crawler = _wait_until_ready(glue, name, deadline, poll_s, clock, sleep, why="an earlier crawl")
            previous_start = _as_utc((crawler.get("LastCrawl") or {}).get("StartTime")) or previous_start
            t0 = dt.datetime.now(dt.timezone.utc)

        if wait:
            step = f"waiting for glue crawler {name}"
            crawler = _wait_for_our_crawl(glue, name, previous_start, t0, deadline, poll_s, clock, sleep)
        else:
            crawler = glue.get_crawler(Name=name)["Crawler"]
    except (ClientError, BotoCoreError) as exc:
        raise _failed(step, exc) from exc

    last = crawler.get("LastCrawl") or {}
    return {
        "mode": "crawler",
        "crawler": name,
        "created": created,
        "started": True,
        "waited": wait,
        "state": crawler.get("State"),
        "last_crawl_status": last.get("Status"),
    }


def _remaining(deadline: float, clock: Callable[[], float]) -> float:
    return deadline - clock()


def _wait_until_ready(
    glue: Any,
    name: str,
    deadline: float,
    poll_s: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    why: str,
) -> dict[str, Any]:
    while True:
        crawler = glue.get_crawler(Name=name)["Crawler"]
        if crawler.get("State") == "READY":
            return crawler
        left = _remaining(deadline, clock)
        if left <= 0:
            raise CatalogFailed(
                f"timed out waiting for {why} of crawler {name} to finish; it is still running "
                f"(state {crawler.get('State')})"
            )
        sleep(min(poll_s, left))


def _wait_for_our_crawl(
    glue: Any,
    name: str,
    previous_start: Optional[dt.datetime],
    t0: dt.datetime,
    deadline: float,
    poll_s: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    while True:
        crawler = glue.get_crawler(Name=name)["Crawler"]
        if crawler.get("State") == "READY" and _crawl_is_ours(crawler, previous_start, t0):
            last = crawler.get("LastCrawl") or {}
            status = last.get("Status")
            if status in FAILED_CRAWL_STATUSES:
                message = " ".join(str(last.get("ErrorMessage") or "no error message").split())
                raise CatalogFailed(f"crawler {name} crawl {status}: {message}")
            return crawler
        left = _remaining(deadline, clock)
        if left <= 0:
            raise CatalogFailed(
                f"timed out waiting for crawler {name}; it is still running (state {crawler.get('State')}), "
                "check it in the Glue console"
            )
        sleep(min(poll_s, left))


# --- Athena DDL ------------------------------------------------------------------------------------------------


def _sql_string(text: str) -> str:
    """A single-quoted SQL/HiveQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def athena_ddl(table: str, location: str, start: str = "20130101", source: str = "cloudtrail") -> str:
    """CREATE EXTERNAL TABLE with partition projection on proc_ymd: Athena computes the day folders itself,
    so no partition has to be added to the catalog after a run (other engines still need partitions)."""
    if not re.match(r"^\d{8}$", start):
        raise UsageError(f"--start {start!r} is not YYYYMMDD")
    root = table_root(location)
    name = ".".join(f"`{part}`" for part in table.split("."))
    lines = []
    for field in _source(source).output_schema().fields:
        line = f"  `{field.name}` {glue_type(field.dataType)}"
        comment = (field.metadata or {}).get("comment")
        if comment:
            line += f" COMMENT {_sql_string(str(comment))}"
        lines.append(line)
    properties = {
        "projection.enabled": "true",
        f"projection.{PARTITION_COLUMN}.type": "date",
        f"projection.{PARTITION_COLUMN}.format": "yyyyMMdd",
        f"projection.{PARTITION_COLUMN}.range": f"{start},NOW",
        f"projection.{PARTITION_COLUMN}.interval": "1",
        f"projection.{PARTITION_COLUMN}.interval.unit": "DAYS",
        "storage.location.template": f"{root.rstrip('/')}/{PARTITION_COLUMN}=${{{PARTITION_COLUMN}}}",
        "parquet.compression": "ZSTD",
    }
    props = ",\n".join(f"  {_sql_string(key)}={_sql_string(value)}" for key, value in properties.items())
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {name} (\n"
        + ",\n".join(lines)
        + "\n)\n"
        + f"PARTITIONED BY (`{PARTITION_COLUMN}` string)\n"
        + "STORED AS PARQUET\n"
        + f"LOCATION {_sql_string(root)}\n"
        + f"TBLPROPERTIES (\n{props}\n)"
    )


# --- the publish protocol (publish.py) --------------------------------------------------------------------------

# Glue calls that change the catalog: counted by faults.py, so a crash can be injected right after each.
_CHANGING_PREFIXES = ("create_", "update_", "batch_create_", "batch_update_", "start_", "delete_")


class CountedGlue:
    """A Glue client whose changing calls are fault-injection points (faults.py); everything else passes through."""

    def __init__(self, glue: Any):
        self._glue = glue

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._glue, name)
        if not name.startswith(_CHANGING_PREFIXES):
            return method

        def counted(*args: Any, **kwargs: Any) -> Any:
            from cloudtrail_etl import faults

            faults.before_change()
            answer = method(*args, **kwargs)
            faults.changed(f"glue {name}")
            return answer

        return counted


def glue_client(region: Optional[str]) -> Any:
    from cloudtrail_etl import aws

    try:
        return CountedGlue(aws.client("glue", aws.require_region(region)))
    except (BotoCoreError, ClientError) as exc:
        raise _failed("creating a glue client", exc) from exc


def partition_location_now(glue: Any, database: str, table: str, values: Sequence[str]) -> Optional[str]:
    """The partition's current location; None when the database, the table or the partition does not exist."""
    try:
        partition = glue.get_partition(DatabaseName=database, TableName=table, PartitionValues=list(values))
    except ClientError as exc:
        if _code(exc) == "EntityNotFoundException":
            return None
        raise _failed(f"glue get partition {values} of {database}.{table}", exc) from exc
    return partition["Partition"].get("StorageDescriptor", {}).get("Location")


def point_partition(glue: Any, database: str, table: str, values: Sequence[str], location: str) -> None:
    """Point an existing partition at `location` (UpdatePartition), everything else of it kept."""
    step = f"glue partition {values} of {database}.{table} -> {location}"
    try:
        partition = glue.get_partition(DatabaseName=database, TableName=table, PartitionValues=list(values))
        current = partition["Partition"]
        keys = ("Values", "StorageDescriptor", "Parameters", "LastAccessTime", "LastAnalyzedTime")
        wanted = {key: copy.deepcopy(current[key]) for key in keys if key in current}
        if wanted.get("StorageDescriptor", {}).get("Location") == location:
            return
        wanted.setdefault("StorageDescriptor", {})["Location"] = location
        glue.update_partition(
            DatabaseName=database, TableName=table, PartitionValueList=list(values), PartitionInput=wanted
        )
    except (ClientError, BotoCoreError) as exc:
        raise _failed(step, exc) from exc


def catalog_step(config: JobConfig, day_codes: Sequence[str]) -> Optional[dict[str, Any]]:
    """What the run's catalog step does, as data the journal keeps (publish.py): a recovery repeats it."""
    if config.catalog_table:
        database, table = config.catalog_table.split(".", 1)
        return {"mode": "table", "database": database, "table": table, "location": config.output,
                "values": list(day_codes), "region": config.region, "source": config.source}  # fmt: skip
    if config.crawler:
        return {"mode": "crawler", "name": config.crawler, "location": config.output, "region": config.region}
    return None


def repeat_catalog_step(glue: Any, step: dict[str, Any]) -> str:
    """Do a journal's catalog step again (it is idempotent): the partitions, or a crawl. What was done."""
    if step["mode"] == "table":
        update_catalog_table(glue, step["database"], step["table"], step["location"], step["values"], step["source"])
        return "repeated"
    return restart_crawler(glue, step["name"])


def restart_crawler(glue: Any, name: str) -> str:
    """Start the crawler, not waiting for it. A crawl already running is left to finish: if the crashed run
    started it, it crawls the finished swap; if not, the next run's crawl will (a recovery must not block a run
    for a crawl's length)."""
    try:
        glue.start_crawler(Name=name)
        return "repeated"
    except ClientError as exc:
        if _code(exc) == "CrawlerRunningException":
            return "not repeated: a crawl is running"
        raise _failed(f"starting glue crawler {name}", exc) from exc


# --- entry point for the job -----------------------------------------------------------------------------------


def publish_days(config: JobConfig, day_codes: Sequence[str], glue: Any = None) -> dict[str, Any]:
    """The catalog step of a run, for the days it wrote, chosen by the options: {} when neither --catalog-table nor
    --crawler is set. One crawl for all the days."""
    if not (config.catalog_table or config.crawler):
        return {}
    if glue is None:
        glue = glue_client(config.region)
    if config.catalog_table:
        database, table = config.catalog_table.split(".", 1)
        return update_catalog_table(glue, database, table, config.output, day_codes, config.source)
    return run_crawler(
        glue,
        config.crawler,
        location=config.output,
        create=config.create_crawler,
        role=config.crawler_role,
        database=config.crawler_database,
        wait=config.wait,
        timeout_s=config.wait_timeout_s,
    )
