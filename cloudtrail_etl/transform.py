"""DataFrame-in, DataFrame-out transformations of CloudTrail records. No I/O, no session state.

Nothing here reads the machine's or Spark's session time zone: instants are parsed from strings that carry their
own zone, and the KST wall clock is computed on TIMESTAMP_NTZ values, whose arithmetic has no zone.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from cloudtrail_etl.days import KST_ZONE_ID, proc_ymd
from cloudtrail_etl.schema import flatten_schema

SOURCE_FILE = "_source_file"
RECORD_INDEX = "_record_index"
RECORD_TEXT = "_record"
EVENT = "_event"
QUARANTINE_REASON = "_quarantine_reason"
UNMAPPED = "unmapped"
EVENTTIME_KST = "eventtime_kst"
PROC_YMD = "proc_ymd"

# ISO-8601 with an explicit zone. Without a zone an instant would depend on the session time zone: reject it.
_ISO_INSTANT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"

_JSON_OBJECT = MapType(StringType(), StringType())
_JSON_OBJECTS = ArrayType(MapType(StringType(), StringType()))
_ENTRY = StructType([StructField("path", StringType()), StructField("value", StringType())])

REASON_NOT_OBJECT = "record is not a JSON object"
REASON_NO_EVENTTIME = "eventTime is missing"
REASON_BAD_EVENTTIME = "eventTime is not an ISO-8601 time with a zone"


def explode_records(files: DataFrame, records_col: str = "records") -> DataFrame:
    """One row per element of Records, keeping where it came from (file and position)."""
    return files.select(
        F.col(SOURCE_FILE),
        F.posexplode(records_col).alias(RECORD_INDEX, RECORD_TEXT),
    )


def _no_entries() -> Column:
    return F.array().cast(ArrayType(_ENTRY))


def _entry(path: str, value: Column) -> Column:
    return F.array(F.struct(F.lit(path).alias("path"), value.alias("value")))


def _entries_if(condition: Column, path: str, value: Column) -> Column:
    return F.when(condition, _entry(path, value)).otherwise(_no_entries())


def _unknown_keys(obj: Column, known: list[str], path: str) -> Column:
    """Entries for keys of `obj` that the schema does not know, named by their full path."""
    known_keys = F.array(*[F.lit(name) for name in known])
    prefix = f"{path}." if path else ""
    unknown = F.map_filter(obj, lambda k, _v: ~F.array_contains(known_keys, k))
    entries = F.transform(
        F.map_entries(unknown),
        lambda e: F.struct(F.concat(F.lit(prefix), e["key"]).alias("path"), e["value"].alias("value")),
    )
    has_unknown = F.size(F.array_except(F.map_keys(obj), known_keys)) > 0
    return F.when(obj.isNotNull() & has_unknown, entries).otherwise(_no_entries())


def parse_instant(text: Column) -> Column:
    """Timestamp (instant) of an ISO-8601 string with a zone; null for anything else."""
    return F.when(text.rlike(_ISO_INSTANT), F.try_to_timestamp(text))


def utc_wall_clock(text: Column) -> Column:
    """TIMESTAMP_NTZ of the UTC wall clock of an ISO-8601 string with a zone, computed without any session zone."""
    valid = parse_instant(text).isNotNull()
    local = F.regexp_replace(text, r"(Z|[+-]\d{2}:\d{2})$", "").cast("timestamp_ntz")
    sign = F.when(F.substring(text, -6, 1) == "-", F.lit(-1)).otherwise(F.lit(1))
    offset_h = F.when(text.endswith("Z"), F.lit(0)).otherwise(F.substring(text, -5, 2).cast("int"))
    offset_m = F.when(text.endswith("Z"), F.lit(0)).otherwise(F.substring(text, -2, 2).cast("int"))
    offset = F.make_dt_interval(F.lit(0), sign * offset_h, sign * offset_m, F.lit(0))
    return F.when(valid, local - offset)


def _typed(raw: Column, data_type: DataType, path: str) -> tuple[Column, list[Column]]:
    """(value of `raw` as `data_type`, entries for unmapped) for one schema field, recursing into objects."""
    if isinstance(data_type, StructType):
        obj = F.from_json(raw, _JSON_OBJECT)
        fields, entries = _typed_object(obj, data_type, path)
        mismatch = _entries_if(raw.isNotNull() & obj.isNull(), path, raw)
        return F.struct(*fields), [mismatch, *entries]
    if isinstance(data_type, ArrayType) and isinstance(data_type.elementType, StructType):
        element_type = data_type.elementType
        objs = F.from_json(raw, _JSON_OBJECTS)
        value = F.transform(objs, lambda e: F.struct(*_typed_object(e, element_type, path)[0]))
        known_keys = F.array(*[F.lit(f.name) for f in element_type])
        extra = F.exists(objs, lambda e: F.size(F.array_except(F.map_keys(e), known_keys)) > 0)
        # Unknown keys inside array elements keep the whole raw array, so positions stay meaningful.
        entries = [
            _entries_if(raw.isNotNull() & objs.isNull(), path, raw),
            _entries_if(objs.isNotNull() & extra, f"{path}[]", raw),
        ]
        return value, entries
    if isinstance(data_type, (ArrayType, MapType)):
        value = F.from_json(raw, data_type)
        return value, [_entries_if(raw.isNotNull() & value.isNull(), path, raw)]
    if isinstance(data_type, BooleanType):
        lowered = F.lower(raw)
        value = F.when(lowered == "true", F.lit(True)).when(lowered == "false", F.lit(False))
        return value, [_entries_if(raw.isNotNull() & value.isNull(), path, raw)]
    if isinstance(data_type, TimestampType):
        value = parse_instant(raw)
        return value, [_entries_if(raw.isNotNull() & value.isNull(), path, raw)]
    if isinstance(data_type, StringType):
        return raw, []
    raise ValueError(
        f"{path}: the record schema may use string, boolean, timestamp, struct, array and map, not {data_type}"
    )


def _typed_object(obj: Column, struct: StructType, path: str) -> tuple[list[Column], list[Column]]:
    fields: list[Column] = []
    entries: list[Column] = [_unknown_keys(obj, [f.name for f in struct], path)]
    for field in struct:
        child_path = f"{path}.{field.name}" if path else field.name
        value, child_entries = _typed(F.try_element_at(obj, F.lit(field.name)), field.dataType, child_path)
        fields.append(value.alias(field.name))
        entries.extend(child_entries)
    return fields, entries


def parse_records(records: DataFrame, schema: StructType) -> DataFrame:
    """Parse the JSON text of each record into a struct of `schema`, losing nothing.

    Adds `_event` (the typed record), `unmapped` (JSON text: fields the schema does not know and values whose
    JSON type does not fit it, by path; null when there are none) and `_quarantine_reason` (why the record
    cannot be placed in a day, or null).
    """
    obj = F.from_json(F.col(RECORD_TEXT), _JSON_OBJECT)
    fields, entries = _typed_object(obj, schema, "")
    all_entries = F.concat(*entries)
    unmapped = F.when(F.size(all_entries) > 0, F.to_json(F.map_from_entries(all_entries)))
    event_time = F.try_element_at(obj, F.lit("eventTime"))
    reason = (
        F.when(obj.isNull(), F.lit(REASON_NOT_OBJECT))
        .when(event_time.isNull(), F.lit(REASON_NO_EVENTTIME))
        .when(parse_instant(event_time).isNull(), F.lit(REASON_BAD_EVENTTIME))
    )
    return records.select(
        "*",
        F.struct(*fields).alias(EVENT),
        unmapped.alias(UNMAPPED),
        reason.alias(QUARANTINE_REASON),
        F.convert_timezone(F.lit("UTC"), F.lit(KST_ZONE_ID), utc_wall_clock(event_time)).alias(EVENTTIME_KST),
    )


def add_proc_ymd(df: DataFrame, kst_col: str = EVENTTIME_KST) -> DataFrame:
    """proc_ymd: the KST date as yyyyMMdd text (NTZ to date and date formatting have no zone)."""
    return df.withColumn(PROC_YMD, F.date_format(F.col(kst_col).cast("date"), "yyyyMMdd"))


def keep_day(df: DataFrame, day: dt.date) -> DataFrame:
    """Rows of KST day `day` that are not quarantined."""
    return df.filter(F.col(QUARANTINE_REASON).isNull() & (F.col(PROC_YMD) == F.lit(proc_ymd(day))))


def drop_duplicate_deliveries(df: DataFrame, id_col: str = "eventid") -> DataFrame:
    """One row per eventID. Rows without an eventID are all kept: they are keyed by file and position."""
    key = F.coalesce(
        F.col(id_col),
        F.concat_ws("\u0000", F.lit("no-eventid"), F.col(SOURCE_FILE), F.col(RECORD_INDEX).cast("string")),
    )
    return df.withColumn("_dedup_key", key).dropDuplicates(["_dedup_key"]).drop("_dedup_key")


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
