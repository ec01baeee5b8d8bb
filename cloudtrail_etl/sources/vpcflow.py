"""VPC Flow Logs delivered to S3 as text: one header line naming the fields, then one record per line.

Files lie under `AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD/[HH/]` or, with Hive-compatible prefixes, under
`AWSLogs/aws-account-id=ACCOUNT/aws-service=vpcflowlogs/aws-region=REGION/year=YYYY/month=MM/day=DD/[hour=HH/]`,
named `ACCOUNT_vpcflowlogs_REGION_FLOWLOGID_YYYYMMDDTHHmmZ_HASH.log.gz` after the UTC time they were made. A record
belongs to the KST day of its `start`.

Each file is parsed by its own header (a custom format chooses any fields in any order, and one bucket can hold
several formats): Spark reads a file as one text, the header gives each known field's position once per file, and
each line is split at single spaces. Values are typed as Athena types them, `-` becomes null. A field this project
does not know is kept in `unmapped` (field -> value). Flow logs have no record id and identical lines are
legitimate: every line is a row, nothing is de-duplicated.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import pkgutil
import re
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    DataType,
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampNTZType,
)

from cloudtrail_etl.discovery import ACCOUNT_ID, REGION_NAME, Listing, selected
from cloudtrail_etl.sources import LogSource
from cloudtrail_etl.transform import (
    FILE_PROBLEM,
    PROC_YMD,
    QUARANTINE_REASON,
    RECORD_INDEX,
    RECORD_TEXT,
    SOURCE_FILE,
    kst_day_of_epoch_seconds,
    kst_from_epoch_seconds,
)

LOG_SUFFIX = ".log.gz"
# ACCOUNT_vpcflowlogs_REGION_FLOWLOGID_YYYYMMDDTHHmmZ_HASH.log.gz: group 1 is the time the file was made (UTC).
DELIVERY_TIME_IN_NAME = r"_vpcflowlogs_[a-z0-9-]+_fl-[A-Za-z0-9]+_([0-9]{8}T[0-9]{4})Z_[A-Za-z0-9]+\.log\.gz$"
_FLOW_LOG_ID_IN_NAME = r"_vpcflowlogs_[a-z0-9-]+_(fl-[A-Za-z0-9]+)_[0-9]{8}T[0-9]{4}Z_[A-Za-z0-9]+\.log\.gz$"
# The account and region of a file, from its folders (plain or Hive-compatible).
_STREAM_IN_PATH = r"/AWSLogs/(?:aws-account-id=)?([0-9]{12})/(?:aws-service=)?vpcflowlogs/(?:aws-region=)?([a-z0-9-]+)/"
_DATE_IN_PATH = r"/(?:year=)?([0-9]{4})/(?:month=)?([0-9]{2})/(?:day=)?([0-9]{2})/(?:(?:hour=)?[0-9]{2}/)?[^/]+$"
# A header names fields: lowercase words joined by hyphens, separated by single spaces.
HEADER = r"^[a-z][a-z0-9-]*( [a-z][a-z0-9-]*)*$"
_HOUR = re.compile(r"^(hour=)?([0-9]{2})$")

# The columns every row gets from the file it came from. A flow log field is named in lowercase and starts with a
# letter, so a column that starts with an underscore never clashes with one, now or later.
FILE_ACCOUNT_ID = "_file_account_id"
FILE_REGION = "_file_region"
FILE_FLOW_LOG_ID = "_file_flow_log_id"
START_KST = "start_kst"
END_KST = "end_kst"
UNMAPPED = "unmapped"

REASON_NO_HEADER = "the file has no header line"
REASON_EMPTY_LINE = "empty line"
REASON_FIELD_COUNT = "the line's fields do not match the header"
REASON_NO_START = "start is missing (- or not in the format)"
REASON_NOT_A_NUMBER = "{field} is not a number"
PROBLEM_EMPTY = "empty: no header line"

_TYPES: dict[str, DataType] = {"int": IntegerType(), "bigint": LongType(), "string": StringType()}
_TEXT = "_text"
_TOKENS = "_tokens"
_HEADER_TOKENS = "_header"
_POSITIONS = "_at"
_UNKNOWN = "_unknown"


@functools.lru_cache(maxsize=1)
def known_fields() -> tuple[tuple[str, str, int, str], ...]:
    """(name, Athena type, version it came with, description) of every documented field, in AWS's order."""
    raw = pkgutil.get_data(__package__, "vpcflow_record.json")
    if raw is None:  # pragma: no cover - only when the package data is missing from a broken build
        raise FileNotFoundError("vpcflow_record.json is missing from the cloudtrail_etl.sources package")
    return tuple((f["name"], f["type"], int(f["since"]), f["comment"]) for f in json.loads(raw)["fields"])


def column_name(field: str) -> str:
    """A field's column, as Athena's flow log tables name it: `-` becomes `_`."""
    return field.replace("-", "_")


DEFAULT_FORMAT = tuple(name for name, _, since, _ in known_fields() if since == 2)


def output_schema() -> StructType:
    """The table's Parquet columns: every documented field, the KST wall clocks, where each row came from, and
    the fields this project does not know yet."""
    fields = [
        StructField(column_name(name), _TYPES[kind], True, {"comment": comment})
        for name, kind, _, comment in known_fields()
    ]
    fields += [
        StructField(START_KST, TimestampNTZType(), True, {"comment": "start as KST (UTC+9) wall clock"}),
        StructField(END_KST, TimestampNTZType(), True, {"comment": "end as KST (UTC+9) wall clock"}),
        StructField(FILE_ACCOUNT_ID, StringType(), True, {"comment": "The account folder of the row's file"}),
        StructField(FILE_REGION, StringType(), True, {"comment": "The region folder of the row's file"}),
        StructField(
            FILE_FLOW_LOG_ID,
            StringType(),
            True,
            {"comment": "The flow log ID in the row's file name"},
        ),
        StructField(
            UNMAPPED,
            MapType(StringType(), StringType()),
            True,
            {"comment": "Fields of the file's header this table does not know yet: field name -> value"},
        ),
    ]
    return StructType(fields)


# --- where the files are ---------------------------------------------------------------------------------------


def _hourly(listing: Listing) -> list[str]:
    return [name for name in listing.subfolders if _HOUR.match(name)]


class VpcFlowLayout:
    """discovery.Layout of flow log files, plain or Hive-compatible folders, daily or hourly."""

    def streams(self, lister, input_uri: str, accounts: Sequence[str], regions: Sequence[str]) -> list[str]:
        roots = []
        for name in lister.subfolders("AWSLogs"):
            account = name.removeprefix("aws-account-id=")
            if ACCOUNT_ID.match(account):
                roots.append((f"AWSLogs/{name}", account))
        streams = []
        for root in selected(roots, accounts, "account", input_uri):
            hive = root.rsplit("/", 1)[-1].startswith("aws-account-id=")
            service = f"{root}/aws-service=vpcflowlogs" if hive else f"{root}/vpcflowlogs"
            for name in lister.subfolders(service):
                region = name.removeprefix("aws-region=") if hive else name
                if REGION_NAME.match(region) and (name.startswith("aws-region=") or not hive):
                    streams.append((f"{service}/{name}", region))
        return selected(streams, regions, "region", input_uri)

    def day_folders(self, lister, stream: str, folder_day: dt.date, delivered_since: str) -> list[tuple[str, Listing]]:
        hive = "/aws-region=" in stream
        day = (
            f"{stream}/year={folder_day:%Y}/month={folder_day:%m}/day={folder_day:%d}"
            if hive
            else f"{stream}/{folder_day:%Y/%m/%d}"
        )
        listing = lister.listing(day, folder_day, LOG_SUFFIX)
        found = [(day, listing)]
        for hour in _hourly(listing):
            found.append((f"{day}/{hour}", lister.listing(f"{day}/{hour}", folder_day, LOG_SUFFIX)))
        return found

    def delivered(self, name: str) -> str:
        match = re.search(DELIVERY_TIME_IN_NAME, name)
        return match.group(1) if match else ""


# --- how a file becomes rows -----------------------------------------------------------------------------------


def read_flow_log_files(spark: SparkSession, paths: Sequence[str], delivered_since: str = "") -> DataFrame:
    """One row per file: its path and its whole text (`_text`). Files named as made before `delivered_since` are
    pruned from Spark's listing before any task runs; files that cannot be decompressed give no row
    (ignoreCorruptFiles: the run finds them by comparing with the listing)."""
    files = (
        spark.read.option("ignoreCorruptFiles", True)
        .option("pathGlobFilter", "*" + LOG_SUFFIX)
        .text(list(paths), wholetext=True)
    )
    if delivered_since:
        made = F.regexp_extract(F.col("_metadata.file_name"), DELIVERY_TIME_IN_NAME, 1)
        files = files.filter((made == "") | (made >= F.lit(delivered_since)))
    problem = F.when(F.length("value") == 0, F.lit(PROBLEM_EMPTY))
    return files.select(
        F.col("_metadata.file_path").alias(SOURCE_FILE), F.col("value").alias(_TEXT), problem.alias(FILE_PROBLEM)
    )


def _lines(files: DataFrame) -> DataFrame:
    """One row per line after the header: its number in the file (RECORD_INDEX, the header is line 1), its text,
    and what the file's header says (the position of each known field, the unknown fields), found once per file.

    A file whose first line is not a header gives all its lines, each to be quarantined."""
    lines = F.split(F.col(_TEXT), "\n")
    # A file ends with a newline: the empty text after it is not a line.
    count = F.size(lines) - F.when(F.element_at(lines, -1) == "", 1).otherwise(0)
    first = F.element_at(lines, 1)
    has_header = first.rlike(HEADER)
    body_from = F.when(has_header, 2).otherwise(1)
    header = F.when(has_header, F.split(first, " "))
    known = [name for name, _, _, _ in known_fields()]
    positions = F.struct(*[(F.array_position(header, name) - 1).cast("int").alias(name) for name in known])
    numbered = F.transform(header, lambda name, i: F.struct(name.alias("name"), i.alias("at")))
    unknown = F.filter(numbered, lambda e: ~e["name"].isin(*known))
    per_file = files.filter(F.col(FILE_PROBLEM).isNull()).select(
        SOURCE_FILE,
        F.slice(lines, body_from, F.greatest(count - body_from + 1, F.lit(0))).alias("_body"),
        body_from.alias("_from"),
        header.alias(_HEADER_TOKENS),
        positions.alias(_POSITIONS),
        unknown.alias(_UNKNOWN),
        F.regexp_extract(SOURCE_FILE, _STREAM_IN_PATH, 1).alias(FILE_ACCOUNT_ID),
        F.regexp_extract(SOURCE_FILE, _STREAM_IN_PATH, 2).alias(FILE_REGION),
        F.regexp_extract(SOURCE_FILE, _FLOW_LOG_ID_IN_NAME, 1).alias(FILE_FLOW_LOG_ID),
    )
    exploded = per_file.select("*", F.posexplode("_body").alias("_n", RECORD_TEXT)).drop("_body")
    return exploded.select(
        "*", (F.col("_n") + F.col("_from")).alias(RECORD_INDEX), F.split(F.col(RECORD_TEXT), " ").alias(_TOKENS)
    ).drop("_n", "_from")


def _field_text(name: str) -> Column:
    """The text of field `name` in this line; null where the header does not name it or the value is `-`."""
    raw = F.get(F.col(_TOKENS), F.col(_POSITIONS).getField(name))
    return F.when(raw != "-", raw)


def parse_lines(lines: DataFrame) -> DataFrame:
    """Each line typed by its file's header, with its KST day or the reason it cannot be placed. Pure."""
    fields = known_fields()
    texts = lines.select(
        SOURCE_FILE,
        RECORD_INDEX,
        RECORD_TEXT,
        FILE_ACCOUNT_ID,
        FILE_REGION,
        F.when(F.col(FILE_FLOW_LOG_ID) != "", F.col(FILE_FLOW_LOG_ID)).alias(FILE_FLOW_LOG_ID),
        _HEADER_TOKENS,
        _TOKENS,
        _UNKNOWN,
        *[_field_text(name).alias(column_name(name)) for name, _, _, _ in fields],
    )
    # Numbers: try_cast gives null for anything but an integer in range; a text that became null was not a number.
    typed, not_numbers = [], []
    for name, kind, _, _ in fields:
        text = F.col(f"`{column_name(name)}`")
        if kind == "string":
            typed.append(text)
            continue
        number = F.expr(f"try_cast(`{column_name(name)}` as {kind})")
        typed.append(number.alias(column_name(name)))
        not_numbers.append((name, text.isNotNull() & number.isNull()))
    reason = (
        F.when(F.col(_HEADER_TOKENS).isNull(), F.lit(REASON_NO_HEADER))
        .when(F.col(RECORD_TEXT) == "", F.lit(REASON_EMPTY_LINE))
        .when(F.size(F.col(_TOKENS)) != F.size(F.col(_HEADER_TOKENS)), F.lit(REASON_FIELD_COUNT))
    )
    for name, bad in not_numbers:
        reason = reason.when(bad, F.lit(REASON_NOT_A_NUMBER.format(field=name)))
    entries = F.transform(
        F.col(_UNKNOWN), lambda e: F.struct(e["name"].alias("key"), F.get(F.col(_TOKENS), e["at"]).alias("value"))
    )
    unmapped = F.when(F.size(F.col(_UNKNOWN)) > 0, F.map_from_entries(entries))
    checked = texts.select(
        SOURCE_FILE,
        RECORD_INDEX,
        RECORD_TEXT,
        FILE_ACCOUNT_ID,
        FILE_REGION,
        FILE_FLOW_LOG_ID,
        unmapped.alias(UNMAPPED),
        reason.alias(QUARANTINE_REASON),
        *typed,
    )
    start, end = F.col("start"), F.col("end")
    reason = F.coalesce(F.col(QUARANTINE_REASON), F.when(start.isNull(), F.lit(REASON_NO_START)))
    in_day = reason.isNull()
    return checked.select(
        *[F.col(f"`{name}`") for name in checked.columns if name != QUARANTINE_REASON],
        reason.alias(QUARANTINE_REASON),
        F.when(in_day, kst_from_epoch_seconds(start)).alias(START_KST),
        F.when(in_day, kst_from_epoch_seconds(end)).alias(END_KST),
        F.when(in_day, kst_day_of_epoch_seconds(start)).alias(PROC_YMD),
    )


def to_table(records: DataFrame) -> DataFrame:
    """The table's columns in order, then proc_ymd."""
    return records.select(*[F.col(f"`{f.name}`") for f in output_schema().fields], PROC_YMD)


class VpcFlowLogs(LogSource):
    name = "vpcflow"
    title = "VPC flow log"
    description = "cloudtrail-etl: VPC flow log records by KST day of their start (proc_ymd)"
    layout = VpcFlowLayout()
    delivery_time_in_name = DELIVERY_TIME_IN_NAME
    file_suffix = LOG_SUFFIX
    sort_columns = ("interface_id", "srcaddr", "dstaddr", "start")
    bloom_filter_columns = ("srcaddr", "dstaddr")
    shuffle_bytes_per_folder_byte = 5.0

    def read_files(
        self, spark: SparkSession, paths: Sequence[str], delivered_since: str = "", exact_text: bool = False
    ) -> DataFrame:
        return read_flow_log_files(spark, paths, delivered_since)

    def records(self, files: DataFrame) -> DataFrame:
        return parse_lines(_lines(files))

    def to_table(self, records: DataFrame) -> DataFrame:
        return to_table(records)

    def output_schema(self) -> StructType:
        return output_schema()

    def unmapped_keys(self, unmapped: Column) -> Column:
        return F.map_keys(unmapped)

    def folder_day(self, source_file: Column) -> Column:
        return F.concat_ws("/", *[F.regexp_extract(source_file, _DATE_IN_PATH, group) for group in (1, 2, 3)])
