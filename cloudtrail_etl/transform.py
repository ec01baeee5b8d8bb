"""DataFrame-in, DataFrame-out transformations every log source shares. No I/O, no session state.

A source turns its files into one row per record with the columns named here (where it came from, its KST day,
why it cannot be placed); the run then keeps its days, clusters them into tasks, drops duplicate deliveries where
the source has an id, and flattens the typed record into the table's columns. Nothing here reads the machine's or
Spark's session time zone: KST wall clocks are TIMESTAMP_NTZ values, whose arithmetic has no zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DataType, MapType, StructField, StructType

from cloudtrail_etl.days import KST_OFFSET_HOURS, proc_ymd

# The columns a source's records carry into the shared run.
SOURCE_FILE = "_source_file"  # the file's URI as Spark read it
RECORD_INDEX = "_record_index"  # the record's position in its file
RECORD_TEXT = "_record"  # the record as it was in the file, for the quarantine
QUARANTINE_REASON = "_quarantine_reason"  # null, or why the record cannot be placed in a day
PROC_YMD = "proc_ymd"  # yyyyMMdd of the record's KST day: the table's partition
SLOT = "_slot"
FILE_PROBLEM = "file_problem"  # on a source's file rows: null, or why the file cannot be used

SECONDS_PER_DAY = 86400
KST_OFFSET_SECONDS = KST_OFFSET_HOURS * 3600


def kst_from_epoch_seconds(seconds: Column) -> Column:
    """TIMESTAMP_NTZ of the KST wall clock of a Unix time in seconds (text to NTZ and NTZ arithmetic: no zone)."""
    epoch = F.lit("1970-01-01 00:00:00").cast("timestamp_ntz")
    return epoch + F.expr("INTERVAL '1' SECOND") * (seconds + F.lit(KST_OFFSET_SECONDS))


def kst_day_of_epoch_seconds(seconds: Column) -> Column:
    """proc_ymd of a Unix time in seconds: integer arithmetic, then one date formatting."""
    days = F.floor((seconds + F.lit(KST_OFFSET_SECONDS)) / F.lit(SECONDS_PER_DAY)).cast("int")
    return F.date_format(F.date_add(F.lit(dt.date(1970, 1, 1)), days), "yyyyMMdd")


def add_proc_ymd(df: DataFrame, kst_col: str) -> DataFrame:
    """proc_ymd: the KST date as yyyyMMdd text (NTZ to date and date formatting have no zone)."""
    return df.withColumn(PROC_YMD, F.date_format(F.col(kst_col).cast("date"), "yyyyMMdd"))


def keep_days(df: DataFrame, first: dt.date, last: dt.date) -> DataFrame:
    """Rows of the KST days first..last that are not quarantined (yyyyMMdd text compares as the days do)."""
    in_range = F.col(PROC_YMD).between(F.lit(proc_ymd(first)), F.lit(proc_ymd(last)))
    return df.filter(F.col(QUARANTINE_REASON).isNull() & in_range)


def count_where(condition: Column) -> Column:
    """The rows where `condition` holds, as an aggregate (observed metrics). Not F.count_if: it is count(if(NOT c,
    null, c)), the predicate twice, and subexpression elimination then evaluates the parts of `c` for every row up
    front, past And's short-circuit: a test meant for a few rows (a folder, a regular expression) ran on all of
    them (a JFR profile of a 2x flow-log day put 3% of the run's Java samples there)."""
    return F.count(F.when(condition, F.lit(1)))


def in_utc_folder(source_file: Column, day: dt.date) -> Column:
    """Whether a delivery file lies in the UTC date folder of `day`, plain (`/YYYY/MM/DD/`) or Hive-compatible
    (`/year=YYYY/month=MM/day=DD/`), below the last `/AWSLogs/` of its path (where only the date folders have such
    names). Substring tests, not a regular expression: ~0.6 us a row against ~3.8 for three regexp_extract.

    The path's tail is written once, inside the lambda: written twice, subexpression elimination computes it for
    every row of the projection, not only for the rows where the test is reached (5.5% of a 4x flow-log run's JFR
    samples, for a test that only the rows of one day reach)."""
    below = F.substring_index(source_file, "/AWSLogs/", -1)
    folders = F.array(F.lit(f"/{day:%Y/%m/%d}/"), F.lit(f"/year={day:%Y}/month={day:%m}/day={day:%d}/"))
    return F.exists(folders, lambda folder: below.contains(folder))


def dedup_key(record_id: Column) -> Column:
    """The record's id; records without one are keyed by file and position, so that they are never merged."""
    return F.coalesce(
        record_id,
        F.concat_ws("\u0000", F.lit("no-eventid"), F.col(SOURCE_FILE), F.col(RECORD_INDEX).cast("string")),
    )


def cluster_by_day(df: DataFrame, days: Sequence[dt.date], buckets: int, key: Column) -> DataFrame:
    """Shuffle each (day, bucket of the key's hash) to a task of its own (partitioning.py), adding SLOT.

    Every copy of a key lands in one task, so deduplication needs no second shuffle, and a day's rows are written
    by its own `buckets` tasks: a range of days gives `buckets` files per day, not one per task and day."""
    from cloudtrail_etl.partitioning import partition_values

    partitions = len(days) * buckets
    values = F.array(*[F.lit(value).cast("long") for value in partition_values(partitions)])
    # The day's index by comparing texts, not by parsing each row's yyyyMMdd (to_date: ~0.6 us a row, 5x dearer).
    day_index = F.when(F.col(PROC_YMD) == F.lit(proc_ymd(days[0])), 0)
    for index, day in enumerate(days[1:], start=1):
        day_index = day_index.when(F.col(PROC_YMD) == F.lit(proc_ymd(day)), index)
    slot = day_index * buckets + F.pmod(F.hash(key), F.lit(buckets))
    return df.withColumn(SLOT, F.element_at(values, slot + 1)).repartition(partitions, SLOT)


def drop_duplicate_deliveries(df: DataFrame, record_id: Column | str, within: Sequence[str] = ()) -> DataFrame:
    """One row per id (dedup_key), the first delivery (file, position) kept.

    `within`: columns the rows are already clustered by (cluster_by_day's SLOT), so that Spark adds no shuffle."""
    key = dedup_key(F.col(record_id) if isinstance(record_id, str) else record_id)
    # A window over the key, not dropDuplicates: dropDuplicates plans a sort-based aggregate of every column on both
    # sides of the shuffle; the window sorts once, after the shuffle, and keeps the first delivery (file, position).
    first = Window.partitionBy(*within, "_dedup_key").orderBy(F.col(SOURCE_FILE), F.col(RECORD_INDEX))
    deduped = df.withColumn("_dedup_key", key).withColumn("_copy", F.row_number().over(first))
    return deduped.filter(F.col("_copy") == 1).drop("_dedup_key", "_copy")


def lowercase_type(data_type: DataType) -> DataType:
    """The same type with every struct field name lowercased, at any depth."""
    if isinstance(data_type, StructType):
        return StructType(
            [StructField(f.name.lower(), lowercase_type(f.dataType), f.nullable, f.metadata) for f in data_type]
        )
    if isinstance(data_type, ArrayType):
        return ArrayType(lowercase_type(data_type.elementType), data_type.containsNull)
    if isinstance(data_type, MapType):
        return MapType(
            lowercase_type(data_type.keyType),
            lowercase_type(data_type.valueType),
            data_type.valueContainsNull,
        )
    return data_type


def flatten_schema(struct: StructType) -> list[tuple[str, tuple[str, ...], StructField]]:
    """(flat lowercase name, path of original field names, field with lowercased type) for every leaf.

    Nested structs become `parent_child` names; arrays and maps are leaves (their struct fields lowercased).
    """
    flat: list[tuple[str, tuple[str, ...], StructField]] = []

    def walk(fields: StructType, path: tuple[str, ...]) -> None:
        for field in fields:
            here = (*path, field.name)
            if isinstance(field.dataType, StructType):
                walk(field.dataType, here)
            else:
                name = "_".join(here).lower()
                flat.append((name, here, StructField(name, lowercase_type(field.dataType), True, field.metadata)))

    walk(struct, ())
    return flat


def flatten_structs(df: DataFrame) -> DataFrame:
    """Nested structs become top-level `parent_child` columns, lowercased; arrays and maps stay as they are
    (their struct fields lowercased). Raises ValueError when two columns would get the same name."""
    flat = flatten_schema(df.schema)
    names = [name for name, _, _ in flat]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"flattening gives duplicate column names: {', '.join(duplicates)}")
    columns = []
    for name, path, field in flat:
        column = F.col(f"`{path[0]}`")
        for part in path[1:]:
            column = column.getField(part)
        original = _field_at(df.schema, path).dataType
        columns.append((column.cast(field.dataType) if field.dataType != original else column).alias(name))
    return df.select(*columns)


def _field_at(struct: StructType, path: tuple[str, ...]) -> StructField:
    field = struct[path[0]]
    for part in path[1:]:
        field = field.dataType[part]
    return field
