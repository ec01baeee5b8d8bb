"""VPC Flow Logs delivered to S3 as text (one header line naming the fields, then one record per line) or as
Parquet (vpcflow_parquet.py: each file's columns are its flow log's fields, read by its own footer).

Files lie under `AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD/[HH/]` or, with Hive-compatible prefixes, under
`AWSLogs/aws-account-id=ACCOUNT/aws-service=vpcflowlogs/aws-region=REGION/year=YYYY/month=MM/day=DD/[hour=HH/]`,
named `ACCOUNT_vpcflowlogs_REGION_FLOWLOGID_YYYYMMDDTHHmmZ_HASH.log.gz` (or `.log.parquet`) after the UTC time
they were made. A record
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
import gzip
import json
import pkgutil
import re
import zlib
from collections.abc import Callable, Sequence

from pyspark.sql import Column, DataFrame, Observation, SparkSession
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

from cloudtrail_etl.discovery import (
    ACCOUNT_ID,
    REGION_NAME,
    DayInput,
    InputFile,
    Listing,
    delivered_since_glob,
    is_s3,
    selected,
)
from cloudtrail_etl.sources import CheckedRead, FastRead, LogSource
from cloudtrail_etl.transform import (
    FILE_PROBLEM,
    PROC_YMD,
    QUARANTINE_REASON,
    RECORD_INDEX,
    RECORD_TEXT,
    SOURCE_FILE,
    count_where,
    kst_day_of_epoch_seconds,
    kst_from_epoch_seconds,
)

LOG_SUFFIX = ".log.gz"
PARQUET_SUFFIX = ".log.parquet"
SUFFIXES = (LOG_SUFFIX, PARQUET_SUFFIX)
# ACCOUNT_vpcflowlogs_REGION_FLOWLOGID_YYYYMMDDTHHmmZ_HASH.log.gz (or .log.parquet): group 1 is the time the file was
# made (UTC).
DELIVERY_TIME_IN_NAME = (
    r"_vpcflowlogs_[a-z0-9-]+_fl-[A-Za-z0-9]+_([0-9]{8}T[0-9]{4})Z_[A-Za-z0-9]+\.log\.(?:gz|parquet)$"
)
FLOW_LOG_ID_IN_NAME = r"_vpcflowlogs_[a-z0-9-]+_(fl-[A-Za-z0-9]+)_[0-9]{8}T[0-9]{4}Z_[A-Za-z0-9]+\.log\.(?:gz|parquet)$"
# The account and region of a file, from its folders (plain or Hive-compatible).
_STREAM_IN_PATH = r"/AWSLogs/(?:aws-account-id=)?([0-9]{12})/(?:aws-service=)?vpcflowlogs/(?:aws-region=)?([a-z0-9-]+)/"
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
        listing = lister.listing(day, folder_day, SUFFIXES)
        found = [(day, listing)]
        for hour in _hourly(listing):
            found.append((f"{day}/{hour}", lister.listing(f"{day}/{hour}", folder_day, SUFFIXES)))
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

    A file whose first line is not a header gives all its lines, each to be quarantined. Each step is a select of
    its own over named columns: an expression used twice in one select (the file split into lines) would be
    computed twice."""
    split = files.filter(F.col(FILE_PROBLEM).isNull()).select(SOURCE_FILE, F.split(F.col(_TEXT), "\n").alias("_all"))
    lines = F.col("_all")
    # A file ends with a newline: the empty text after it is not a line.
    count = F.size(lines) - F.when(F.element_at(lines, -1) == "", 1).otherwise(0)
    first = F.element_at(lines, 1)
    headed = split.select(
        SOURCE_FILE,
        "_all",
        count.alias("_count"),
        F.when(first.rlike(HEADER), F.split(first, " ")).alias(_HEADER_TOKENS),
    )
    header = F.col(_HEADER_TOKENS)
    body_from = F.when(header.isNotNull(), 2).otherwise(1)
    known = [name for name, _, _, _ in known_fields()]
    positions = F.struct(*[(F.array_position(header, name) - 1).cast("int").alias(name) for name in known])
    numbered = F.transform(header, lambda name, i: F.struct(name.alias("name"), i.alias("at")))
    unknown = F.filter(numbered, lambda e: ~e["name"].isin(*known))
    per_file = headed.select(
        SOURCE_FILE,
        F.slice(lines, body_from, F.greatest(F.col("_count") - body_from + 1, F.lit(0))).alias("_body"),
        body_from.alias("_from"),
        _HEADER_TOKENS,
        positions.alias(_POSITIONS),
        unknown.alias(_UNKNOWN),
        *file_columns(F.col(SOURCE_FILE)),
    )
    # posexplode_outer and a filter after it, not posexplode: Spark would infer a filter on the array before the
    # generator and push it down through the selects above, splitting each file again to evaluate it.
    exploded = per_file.select("*", F.posexplode_outer("_body").alias("_n", RECORD_TEXT)).drop("_body")
    exploded = exploded.filter(F.col("_n").isNotNull() & (F.col(RECORD_TEXT) != ""))  # blank lines hold nothing
    return exploded.select(
        "*", (F.col("_n") + F.col("_from")).alias(RECORD_INDEX), F.split(F.col(RECORD_TEXT), " ").alias(_TOKENS)
    ).drop("_n", "_from")


def file_columns(path: Column) -> list[Column]:
    """The account, region and flow log id of a file: from its name (ACCOUNT_vpcflowlogs_REGION_ID_...), else the
    account and region of its folders."""
    named = path.rlike(FLOW_LOG_ID_IN_NAME)
    name = F.substring_index(path, "/", -1)

    def part(n: int) -> Column:
        return F.substring_index(F.substring_index(name, "_", n), "_", -1)

    return [
        F.when(named, part(1)).otherwise(F.regexp_extract(path, _STREAM_IN_PATH, 1)).alias(FILE_ACCOUNT_ID),
        F.when(named, part(3)).otherwise(F.regexp_extract(path, _STREAM_IN_PATH, 2)).alias(FILE_REGION),
        F.when(named, part(4)).alias(FILE_FLOW_LOG_ID),
    ]


def _namedfile_columns(path: Column) -> list[Column]:
    """_file_columns of a file known to be named ACCOUNT_vpcflowlogs_REGION_ID_...: no regular expression per row."""
    name = F.substring_index(path, "/", -1)
    return [
        F.substring_index(F.substring_index(name, "_", n), "_", -1).alias(column)
        for n, column in ((1, FILE_ACCOUNT_ID), (3, FILE_REGION), (4, FILE_FLOW_LOG_ID))
    ]


def parse_lines(lines: DataFrame) -> DataFrame:
    """Each line of `_lines` typed by its file's header, with its KST day or the reason it cannot be placed."""
    entries = F.transform(
        F.col(_UNKNOWN), lambda e: F.struct(e["name"].alias("key"), F.get(F.col(_TOKENS), e["at"]).alias("value"))
    )
    return _typed(
        lines,
        lambda name: f"get({_TOKENS}, {_POSITIONS}.`{name}`)",
        header_size=F.size(F.col(_HEADER_TOKENS)),
        no_header=F.col(_HEADER_TOKENS).isNull(),
        unmapped=F.when(F.size(F.col(_UNKNOWN)) > 0, F.map_from_entries(entries)),
    )


def _typed(
    lines: DataFrame,
    field_text: Callable[[str], str | None],
    header_size: Column,
    no_header: Column,
    unmapped: Column | None,
    keep: Sequence[str] = (),
) -> DataFrame:
    """The typed columns of each line (RECORD_TEXT, split into _TOKENS), its reason to be quarantined and its KST
    day, in one projection. `field_text(name)`: the SQL text of a field's token in the line, None where the format
    lacks it; `header_size`: how many fields the file's header names; `unmapped`: None when no line has a field
    this table does not know. Pure.

    One select, not one per step: without whole-stage code generation each select copies every column of every row
    into a new row. A value used twice (a token, its number) is computed once (subexpression elimination). A field
    the format lacks is a null column only if the default format has it (the shuffle and the sort use those); the
    others are left out, and the write adds them as nulls after the sort (writer.write_days): 27 null columns of
    the default format carried through the shuffle and the sort cost ~3 CPU s per 2M rows (benchmarks/profile.md)."""
    typed, not_numbers, numbers = [], [], {}
    for name, kind, _, _ in known_fields():
        token = field_text(name)
        target = column_name(name)
        if token is None:
            if name in DEFAULT_FORMAT:
                typed.append(F.lit(None).cast(kind).alias(target))
            continue
        text = f"nullif({token}, '-')"
        if kind == "string":
            typed.append(F.expr(text).alias(target))
            continue
        # try_cast gives null for anything but an integer in range; a text that became null was not a number.
        numbers[name] = F.expr(f"try_cast({text} as {kind})")
        typed.append(numbers[name].alias(target))
        not_numbers.append((name, F.expr(text).isNotNull() & numbers[name].isNull()))
    reason = F.when(no_header, F.lit(REASON_NO_HEADER)).when(
        F.size(F.col(_TOKENS)) != header_size, F.lit(REASON_FIELD_COUNT)
    )
    for name, bad in not_numbers:
        reason = reason.when(bad, F.lit(REASON_NOT_A_NUMBER.format(field=name)))
    start = numbers.get("start", F.lit(None).cast("bigint"))
    reason = reason.when(start.isNull(), F.lit(REASON_NO_START))
    files = [F.col(name) for name in FILE_COLUMNS if name != UNMAPPED]
    return lines.select(
        *files,
        *([unmapped.alias(UNMAPPED)] if unmapped is not None else []),
        *keep,
        reason.alias(QUARANTINE_REASON),
        *typed,
        F.when(reason.isNull(), kst_day_of_epoch_seconds(start)).alias(PROC_YMD),
    )


# What every record carries besides its fields, whatever its file's format.
FILE_COLUMNS = (SOURCE_FILE, RECORD_INDEX, RECORD_TEXT, FILE_ACCOUNT_ID, FILE_REGION, FILE_FLOW_LOG_ID, UNMAPPED)


def placed(checked: DataFrame) -> DataFrame:
    """Typed records (QUARANTINE_REASON so far, every known field as its table type) with the reason a record
    without `start` cannot be placed, and its KST day. Pure. (The KST wall clocks are the table's: to_table adds
    them to the rows kept, not to every record read.)"""
    start = F.col("start")
    reason = F.coalesce(F.col(QUARANTINE_REASON), F.when(start.isNull(), F.lit(REASON_NO_START)))
    return checked.select(
        *[F.col(f"`{name}`") for name in checked.columns if name != QUARANTINE_REASON],
        reason.alias(QUARANTINE_REASON),
        F.when(reason.isNull(), kst_day_of_epoch_seconds(start)).alias(PROC_YMD),
    )


# --- the fast read: one format at a time, the header known before the read ------------------------------------

# A flow log's format cannot change after it is created: one file per flow log tells the format of all its files.
MAX_FAST_FORMATS = 8
_HEADER_BYTES = 65536
_NAMED = re.compile(FLOW_LOG_ID_IN_NAME)
_IS_HEADER = "_is_header"


def first_line(uri: str, s3_client=None) -> str | None:
    """The first line of a gzipped file (its first 64 KiB at most, decompressed as far as they go), or None."""
    try:
        if is_s3(uri):
            bucket, _, key = uri.split("://", 1)[1].partition("/")
            if s3_client is None:
                import boto3

                s3_client = boto3.client("s3")
            head = s3_client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{_HEADER_BYTES - 1}")["Body"].read()
            text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, _HEADER_BYTES)
        else:
            with gzip.open(uri.removeprefix("file:"), "rb") as handle:
                text = handle.read(_HEADER_BYTES)
    except (OSError, EOFError, zlib.error, ValueError):
        return None
    line, newline, _ = text.partition(b"\n")
    return line.decode("utf-8", "replace") if newline else None


def text_files(files: Sequence[InputFile]) -> tuple[InputFile, ...]:
    """The text deliveries among a run's files (the others are Parquet: vpcflow_parquet.py)."""
    return tuple(f for f in files if f.name.endswith(LOG_SUFFIX))


def parquet_files(files: Sequence[InputFile]) -> tuple[InputFile, ...]:
    return tuple(f for f in files if f.name.endswith(PARQUET_SUFFIX))


def fast_read(spark: SparkSession, run_input: DayInput, s3_client=None) -> FastRead | None:
    """Every file read line by line, typed by its flow log's format: no file held whole, no per-file header lookup.

    Applies when every file is named after its flow log and each flow log's format (the first line of one of its
    files) is a header; else None. The read does not skip corrupt files: a file that cannot be read whole fails it,
    and `check` says whether every file gave exactly one header line and no line looked like another format's
    header. On either, the run reads again the exact way (each file whole, by its own header)."""
    files = text_files(run_input.files)
    if not files or any(f.size == 0 for f in files) or not all(_NAMED.search(f.name) for f in files):
        return None
    by_flow_log: dict[str, list[InputFile]] = {}
    for f in files:
        by_flow_log.setdefault(_NAMED.search(f.name).group(1), []).append(f)  # type: ignore[union-attr]
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        headers = dict(
            zip(by_flow_log, pool.map(lambda ids: first_line(by_flow_log[ids][0].uri, s3_client), by_flow_log))
        )
    if any(header is None or not re.match(HEADER, header) for header in headers.values()):
        return None
    formats: dict[str, list[str]] = {}
    for flow_log_id, header in headers.items():
        formats.setdefault(header, []).append(flow_log_id)
    if len(formats) > MAX_FAST_FORMATS:
        return None
    folders = set(run_input.folders)
    parts = []
    for header, flow_log_ids in formats.items():
        paths = []
        for flow_log_id in flow_log_ids:
            for f in by_flow_log[flow_log_id]:
                parent = f.uri.rsplit("/", 1)[0]
                paths.append(parent if parent in folders else f.uri)
        # Files made before the day are left out by name as Spark lists the folders: not by a filter on every line.
        made = delivered_since_glob(run_input.delivered_since)
        glob = "*_{" + ",".join(sorted(flow_log_ids)) + "}_" + made + LOG_SUFFIX
        # One flow log (the usual case): its account, region and id are the same for every line.
        only = by_flow_log[flow_log_ids[0]][0].name if len(flow_log_ids) == 1 else None
        parts.append(_read_format(spark, sorted(set(paths)), glob, header, only))
    lines = parts[0]
    for part in parts[1:]:
        lines = lines.unionByName(part, allowMissingColumns=True)
    observed = Observation("vpcflow fast read")
    strange = F.col(QUARANTINE_REASON).isNotNull() & ~F.col(_IS_HEADER) & F.col(RECORD_TEXT).rlike(HEADER)
    lines = lines.observe(
        observed, count_where(F.col(_IS_HEADER)).alias("headers"), count_where(strange).alias("strange")
    )
    expected = len(files)

    def check() -> str | None:
        metrics = observed.get
        if int(metrics["headers"]) != expected:
            return f"{expected - int(metrics['headers'])} of {expected} files gave no header line"
        if int(metrics["strange"]):
            return f"{metrics['strange']} lines look like the header of another format"
        return None

    return FastRead(lines.filter(~F.col(_IS_HEADER)).drop(_IS_HEADER), check)


def _read_format(spark: SparkSession, paths: list[str], glob: str, header: str, one_file_name: str | None) -> DataFrame:
    """The lines of the files of one format (those of `paths` whose name matches `glob`), typed with the header's
    positions as constants. `one_file_name`: the name of one of the files when they all belong to one flow log."""
    names = header.split(" ")
    at = {name: i for i, name in reversed(list(enumerate(names)))}  # a name given twice: its first position
    raw = spark.read.option("ignoreCorruptFiles", False).option("pathGlobFilter", glob).text(paths)
    lines = raw.select(F.col("_metadata.file_path").alias(SOURCE_FILE), F.col("value").alias(RECORD_TEXT))
    lines = lines.filter(F.col(RECORD_TEXT) != "").select(
        SOURCE_FILE,
        F.lit(None).cast("int").alias(RECORD_INDEX),
        RECORD_TEXT,
        (F.col(RECORD_TEXT) == F.lit(header)).alias(_IS_HEADER),
        F.split(F.col(RECORD_TEXT), " ").alias(_TOKENS),
        *_namedfile_columns(F.lit(one_file_name) if one_file_name else F.col(SOURCE_FILE)),
    )
    tokens = F.col(_TOKENS)
    known = {name for name, _, _, _ in known_fields()}
    unknown = [(name, i) for i, name in enumerate(names) if name not in known]
    unmapped = (
        F.create_map(*[part for name, i in unknown for part in (F.lit(name), F.get(tokens, F.lit(i)))])
        if unknown
        else None
    )
    return _typed(
        lines,
        lambda name: f"get({_TOKENS}, {at[name]})" if name in at else None,
        header_size=F.lit(len(names)),
        no_header=F.lit(False),
        unmapped=unmapped,
        keep=(_IS_HEADER,),
    )


def to_table(records: DataFrame) -> DataFrame:
    """The table's columns in order, then proc_ymd; a field no read format has stays out (the write adds it as
    nulls after the sort). Records placed in a day: `start` is set."""
    kst = {START_KST: kst_from_epoch_seconds(F.col("start")), END_KST: kst_from_epoch_seconds(F.col("end"))}
    present = set(records.columns)
    columns = [
        kst[f.name].alias(f.name) if f.name in kst else F.col(f"`{f.name}`")
        for f in output_schema().fields
        if f.name in kst or f.name in present
    ]
    return records.select(*columns, PROC_YMD)


class VpcFlowLogs(LogSource):
    name = "vpcflow"
    title = "VPC flow log"
    description = "cloudtrail-etl: VPC flow log records by KST day of their start (proc_ymd)"
    layout = VpcFlowLayout()
    delivery_time_in_name = DELIVERY_TIME_IN_NAME
    file_suffix = LOG_SUFFIX  # and PARQUET_SUFFIX: checked_read
    # A day's rows go to tasks by interface (distribution_key), so that each file holds a share of the interfaces and
    # an address, which few interfaces see, lives in few row groups; within a file by action (the REJECT rows
    # together), then interface, address pair and time. Row groups of 2 MiB: a filter on an address or on REJECT and
    # a port reads 1-4% of a day, against 22-65% with 8 MiB groups and no shuffle (benchmarks/results.md, part
    # vpcflow). The address columns are dictionary-encoded (the dictionary prunes row groups); a chunk whose
    # dictionary overflows gets a bloom filter instead (writer.parquet_options).
    sort_columns = ("action", "interface_id", "srcaddr", "dstaddr", "start")
    bloom_filter_columns = ("srcaddr", "dstaddr")
    # Times in seconds: in a row group sorted by interface and address nearly every value is new (plain in every
    # chunk of the benchmark's days; profile.md, "Dictionaries that never pay").
    plain_columns = ("start", "end", START_KST, END_KST)
    row_group_bytes = 2 * 1024 * 1024
    shuffle_bytes_per_folder_byte = 5.0
    stream_columns = (("account", FILE_ACCOUNT_ID), ("region", FILE_REGION), ("flow_log_id", FILE_FLOW_LOG_ID))
    hour_column = START_KST

    def distribution_key(self) -> Column:
        # A file without interface-id in its format spreads by file instead.
        return F.coalesce(F.col("interface_id"), F.col(SOURCE_FILE))

    def read_files(
        self, spark: SparkSession, paths: Sequence[str], delivered_since: str = "", exact_text: bool = False
    ) -> DataFrame:
        return read_flow_log_files(spark, paths, delivered_since)

    def records(self, files: DataFrame) -> DataFrame:
        return parse_lines(_lines(files))

    def fast_records(self, spark: SparkSession, run_input: DayInput, s3_client=None) -> FastRead | None:
        return fast_read(spark, run_input, s3_client)

    def checked_read(
        self, spark: SparkSession, run_input: DayInput, s3_client=None, exact_text: bool = False
    ) -> CheckedRead | None:
        files = parquet_files(run_input.files)
        if not files:
            return None
        from cloudtrail_etl.sources import vpcflow_parquet

        parquet = vpcflow_parquet.inspect(files, s3_client)
        records = vpcflow_parquet.parquet_records(spark, parquet, run_input, exact_text)
        return CheckedRead(records, parquet.read, parquet.bad)

    def to_table(self, records: DataFrame) -> DataFrame:
        return to_table(records)

    def output_schema(self) -> StructType:
        return output_schema()

    def unmapped_keys(self, unmapped: Column) -> Column:
        return F.map_keys(unmapped)
