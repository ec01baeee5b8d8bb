"""CloudTrail records: DataFrame-in, DataFrame-out parsing of each record into the typed schema. No I/O.

Nothing here reads the machine's or Spark's session time zone: instants are parsed from strings that carry their
own zone, and the KST wall clock is computed on TIMESTAMP_NTZ values, whose arithmetic has no zone.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from cloudtrail_etl.days import KST_OFFSET_HOURS
from cloudtrail_etl.transform import QUARANTINE_REASON, RECORD_INDEX, RECORD_TEXT, SOURCE_FILE

EVENT = "_event"
UNMAPPED = "unmapped"
ROOT_OBJECT = "_o"
EVENT_TIME_INSTANT = "_o__eventTime"
EVENTTIME_KST = "eventtime_kst"

# ISO-8601 with an explicit zone. Without a zone an instant would depend on the session time zone: reject it.
_ISO_INSTANT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"

JSON_OBJECT = MapType(StringType(), StringType())
_JSON_OBJECTS = ArrayType(JSON_OBJECT)
_JSON_TEXTS = ArrayType(StringType())
_ENTRY = StructType([StructField("path", StringType()), StructField("value", StringType())])

REASON_NOT_OBJECT = "record is not a JSON object"
REASON_NO_EVENTTIME = "eventTime is missing"
REASON_BAD_EVENTTIME = "eventTime is not an ISO-8601 time with a zone"


def explode_records(files: DataFrame, records_col: str = "records") -> DataFrame:
    """One row per element of Records, keeping where it came from (file and position).

    Elements are the reader's struct<_record, _o>: the record's JSON text (when read) and its top-level map."""
    exploded = files.select(F.col(SOURCE_FILE), F.posexplode(records_col).alias(RECORD_INDEX, "_element"))
    return exploded.select(SOURCE_FILE, RECORD_INDEX, f"_element.{RECORD_TEXT}", f"_element.{ROOT_OBJECT}")


def parse_instant(text: Column) -> Column:
    """Timestamp (instant) of an ISO-8601 string with a zone; null for anything else."""
    return F.when(text.rlike(_ISO_INSTANT), F.try_to_timestamp(text))


def utc_wall_clock(text: Column, instant: Column | None = None) -> Column:
    """TIMESTAMP_NTZ of the UTC wall clock of an ISO-8601 string with a zone, computed without any session zone.

    `instant` is parse_instant(text) when the caller has it already."""
    valid = (parse_instant(text) if instant is None else instant).isNotNull()
    local = F.regexp_replace(text, r"(Z|[+-]\d{2}:\d{2})$", "").cast("timestamp_ntz")
    sign = F.when(F.substring(text, -6, 1) == "-", F.lit(-1)).otherwise(F.lit(1))
    offset_h = F.when(text.endswith("Z"), F.lit(0)).otherwise(F.substring(text, -5, 2).cast("int"))
    offset_m = F.when(text.endswith("Z"), F.lit(0)).otherwise(F.substring(text, -2, 2).cast("int"))
    offset = F.make_dt_interval(F.lit(0), sign * offset_h, sign * offset_m, F.lit(0))
    return F.when(valid, local - offset)


def json_string(text: Column) -> Column:
    """`text` as a JSON string literal (quoted and escaped by Spark's JSON writer)."""
    quoted = F.to_json(F.array(text))  # ["..."]
    return quoted.substr(F.lit(2), F.length(quoted) - 2)


def json_value(text: Column) -> Column:
    """The JSON value of a field the reader handed over as text: an object or an array is its JSON text, anything
    else a JSON string. The reader gives strings unquoted and other values as JSON text, so a number or boolean
    comes out as a string, and a string whose text is itself a JSON object or array comes out as that value."""
    is_object = text.startswith("{") & F.from_json(text, JSON_OBJECT).isNotNull()
    is_array = text.startswith("[") & F.from_json(text, _JSON_TEXTS).isNotNull()
    return F.when(text.isNull(), F.lit("null")).when(is_object | is_array, text).otherwise(json_string(text))


def _has_unknown_keys(obj: Column, known: Column) -> Column:
    return F.size(F.array_except(F.map_keys(obj), known)) > 0


def match_key_case(obj: Column, names: list[str]) -> Column:
    """The object with each key that matches one of `names` only ignoring case spelt as `names` spells it.

    As Athena's JSON SerDe does: AWS's own S3 CopyObject example writes `resources[].arn`. A key spelt exactly as
    the name wins over a variant, and of two variants the first: the others keep their spelling (so go to unmapped).
    """
    lowered = {name.lower() for name in names}
    if len(lowered) != len(names):
        raise ValueError(f"field names that differ only in case: {sorted(names)}")
    spelling = F.create_map(*[F.lit(part) for name in names for part in (name.lower(), name)])
    keys = F.map_keys(obj)

    def respell(entry: Column) -> Column:
        key = F.lower(entry["key"])
        name = F.try_element_at(spelling, key)
        first_variant = F.try_element_at(F.filter(keys, lambda k: F.lower(k) == key), F.lit(1))
        renamed = name.isNotNull() & ~F.array_contains(keys, name) & (first_variant == entry["key"])
        return F.struct(F.when(renamed, name).otherwise(entry["key"]).alias("key"), entry["value"].alias("value"))

    return F.map_from_entries(F.transform(F.map_entries(obj), respell))


def field_value(obj: Column, name: str) -> Column:
    """obj[name], else the first key that matches `name` ignoring case (only looked for when the exact key is not)."""
    variant = F.map_filter(obj, lambda k, _v: F.lower(k) == F.lit(name.lower()))
    return F.coalesce(F.try_element_at(obj, F.lit(name)), F.try_element_at(F.map_values(variant), F.lit(1)))


class _RecordParser:
    """Builds parse_records' columns from the schema.

    Each JSON object is parsed once, into a map<string,string> column of its own, one projection per nesting depth
    (Spark does not merge projections that would repeat a JSON parse); a second projection per depth respells keys
    that match a field only ignoring case, for the objects that have a key the schema does not know. The typed
    fields then read from those maps. `unmapped` is built only for rows where a cheap check says there is something
    to keep.
    """

    # Columns place_in_time computed already (the record's map, the eventTime instant): reused as they are.
    EXISTING = (ROOT_OBJECT, EVENT_TIME_INSTANT)

    def __init__(self, schema: StructType):
        self.internal: set[str] = set(self.EXISTING)
        self.stages: list[list[Column]] = []
        self.checks: list[Column] = []
        self.entries: list[tuple[Column, Column]] = []
        root, had_unknown = self._respelt(0, ROOT_OBJECT, F.col(ROOT_OBJECT), schema)
        self.event = F.struct(*self._object(root, schema, (), 0, had_unknown))

    def _add(self, stage: int, name: str, column: Column) -> Column:
        if name in self.EXISTING:
            return F.col(f"`{name}`")
        self.internal.add(name)
        while len(self.stages) <= stage:
            self.stages.append([])
        self.stages[stage].append(column.alias(name))
        return F.col(f"`{name}`")

    def _respelt(self, depth: int, name: str, obj: Column, struct: StructType) -> tuple[Column, Column]:
        """Stage 2*depth+1: the object of stage 2*depth with its keys' case matched to the schema (match_key_case),
        and whether the object had a key the schema does not know (before respelling)."""
        known = F.array(*[F.lit(f.name) for f in struct])
        had_unknown = _has_unknown_keys(obj, known)
        respelt = F.when(had_unknown, match_key_case(obj, struct.fieldNames())).otherwise(obj)
        return self._add(2 * depth + 1, f"{name}~", respelt), self._add(2 * depth + 1, f"{name}~?", had_unknown)

    def _keep(self, check: Column, path: str, value: Column) -> None:
        self.checks.append(check)
        self.entries.append((check, F.array(F.struct(F.lit(path).alias("path"), value.alias("value")))))

    def _object(
        self, obj: Column, struct: StructType, path: tuple[str, ...], depth: int, had_unknown: Column
    ) -> list[Column]:
        """The typed fields of a respelt object. An object whose keys were all known before respelling has none
        after: `had_unknown` first, so that the set difference (a hash set of the known names for every object,
        ~3% of a CloudTrail run's JFR samples) runs again only for the rare objects with an unknown key."""
        known = F.array(*[F.lit(f.name) for f in struct])
        prefix = "".join(f"{p}." for p in path)
        self.checks.append(had_unknown & _has_unknown_keys(obj, known))
        unknown = F.map_entries(F.map_filter(obj, lambda k, _v: ~F.array_contains(known, k)))
        named = F.transform(
            unknown, lambda e: F.struct(F.concat(F.lit(prefix), e["key"]).alias("path"), e["value"].alias("value"))
        )
        self.entries.append((self.checks[-1], named))
        return [self._field(self._lookup(obj, f.name), f, (*path, f.name), depth) for f in struct]

    def _lookup(self, obj: Column, name: str) -> Column:
        """obj[name] (null when absent): the raw value a typed field is made from."""
        return F.try_element_at(obj, F.lit(name))

    def _render(self, value: Column) -> Column:
        """An unmapped value as JSON text (json_value of the raw value)."""
        return json_value(value)

    _entry_type = _ENTRY

    def _field(self, raw: Column, field: StructField, path: tuple[str, ...], depth: int) -> Column:
        data_type, dotted, name = field.dataType, ".".join(path), "__".join(("_o", *path))
        child = 2 * (depth + 1)  # the stage that parses this field's JSON
        if isinstance(data_type, StructType):
            obj = self._add(child, name, F.from_json(raw, JSON_OBJECT))
            self._keep(raw.isNotNull() & obj.isNull(), dotted, raw)
            respelt, had_unknown = self._respelt(depth + 1, name, obj, data_type)
            value = F.struct(*self._object(respelt, data_type, path, depth + 1, had_unknown))
        elif isinstance(data_type, ArrayType) and isinstance(data_type.elementType, StructType):
            element = data_type.elementType
            if any(not isinstance(f.dataType, StringType) for f in element):
                raise ValueError(f"{dotted}: array elements may hold strings only")
            parsed = self._add(child, name, F.from_json(raw, _JSON_OBJECTS))
            known = F.array(*[F.lit(f.name) for f in element])
            respelt = F.transform(
                parsed,
                lambda e: F.when(_has_unknown_keys(e, known), match_key_case(e, element.fieldNames())).otherwise(e),
            )
            objs = self._add(child + 1, f"{name}~", respelt)
            self._keep(raw.isNotNull() & objs.isNull(), dotted, raw)
            # Unknown keys inside elements keep the whole raw array, so positions stay meaningful.
            self._keep(objs.isNotNull() & F.exists(objs, lambda e: _has_unknown_keys(e, known)), f"{dotted}[]", raw)
            value = F.transform(
                objs, lambda e: F.struct(*[F.try_element_at(e, F.lit(f.name)).alias(f.name) for f in element])
            )
        elif isinstance(data_type, (ArrayType, MapType)):
            value = self._add(child, name, F.from_json(raw, data_type))
            self._keep(raw.isNotNull() & value.isNull(), dotted, raw)
        elif isinstance(data_type, BooleanType):
            lowered = F.lower(raw)
            value = F.when(lowered == "true", F.lit(True)).when(lowered == "false", F.lit(False))
            self._keep(raw.isNotNull() & value.isNull(), dotted, raw)
        elif isinstance(data_type, TimestampType):
            value = self._add(child, name, parse_instant(raw))
            self._keep(raw.isNotNull() & value.isNull(), dotted, raw)
        elif isinstance(data_type, StringType):
            value = raw
        else:
            raise ValueError(f"{dotted}: the record schema may use string, boolean, timestamp, struct, array, map")
        return value.alias(field.name)

    def unmapped(self) -> Column:
        """A JSON object, path -> the value as it was in the input (json_value); the last of a repeated path wins."""
        any_check = self.checks[0]
        for check in self.checks[1:]:
            any_check = any_check | check
        empty = F.array().cast(ArrayType(self._entry_type))
        entries = F.concat(*[F.when(check, entry).otherwise(empty) for check, entry in self.entries])
        members = F.transform(
            F.map_entries(F.map_from_entries(entries)),
            lambda e: F.concat(json_string(e["key"]), F.lit(":"), self._render(e["value"])),
        )
        return F.when(any_check, F.concat(F.lit("{"), F.array_join(members, ","), F.lit("}")))


def place_in_time(records: DataFrame) -> DataFrame:
    """First, cheap pass over each record: its top-level keys, its instant, KST wall clock and quarantine reason.

    Enough to count, quarantine and filter the day before the costlier typing of every field (type_records).
    Takes `_o` (the record's top-level object as map<string,string>, null when the record is not an object, as the
    reader gives it) and adds `_o__eventTime` (the instant), `eventtime_kst` and `_quarantine_reason`.
    """
    return place_by_event_time(records, field_value(F.col(ROOT_OBJECT), "eventTime"), F.col(ROOT_OBJECT).isNull())


def place_by_event_time(records: DataFrame, text: Column, not_object: Column) -> DataFrame:
    """place_in_time given the record's eventTime text and whether the record is not a JSON object (any reader)."""
    with_instant = records.select("*", parse_instant(text).alias(EVENT_TIME_INSTANT))
    instant = F.col(EVENT_TIME_INSTANT)
    reason = (
        F.when(not_object, F.lit(REASON_NOT_OBJECT))
        .when(text.isNull(), F.lit(REASON_NO_EVENTTIME))
        .when(instant.isNull(), F.lit(REASON_BAD_EVENTTIME))
    )
    # A fixed +9 hours, not convert_timezone(…, 'Asia/Seoul'): Seoul has kept +09:00 since 1988, and Spark 3.5's
    # convert_timezone looks its zones up by a regular expression for every row (~3% of a warm run's JFR samples).
    kst = utc_wall_clock(text, instant) + F.make_dt_interval(hours=F.lit(KST_OFFSET_HOURS))
    return with_instant.select("*", reason.alias(QUARANTINE_REASON), kst.alias(EVENTTIME_KST))


def type_records(placed: DataFrame, schema: StructType, parser_class: type[_RecordParser] = _RecordParser) -> DataFrame:
    """Type every field of `schema`, losing nothing: adds `_event` (the typed record) and `unmapped` (JSON text:
    fields the schema does not know and values whose JSON type does not fit it, by path; null when none).
    `parser_class`: how values are read from `_o` (map<string,string> here; the VARIANT reader's maps of variants)."""
    parser = parser_class(schema)
    staged = placed.drop(RECORD_TEXT)  # parsed into _o already; carrying the text through the stages costs time
    for stage in parser.stages:
        staged = staged.select("*", *stage)
    kept = [F.col(f"`{name}`") for name in staged.columns if name in placed.columns and name not in parser.internal]
    return staged.select(*kept, parser.event.alias(EVENT), parser.unmapped().alias(UNMAPPED))


def parse_records(records: DataFrame, schema: StructType) -> DataFrame:
    """Records given as JSON text (`_record`), each parsed into its map as the reader does, then place_in_time and
    type_records: every record parsed into `schema`, losing nothing."""
    with_root = records.select("*", F.from_json(F.col(RECORD_TEXT), JSON_OBJECT).alias(ROOT_OBJECT))
    return type_records(place_in_time(with_root), schema)


def record_event_id() -> Column:
    """The eventID of a record given as the reader's map (`_o`), its key matched ignoring case."""
    return field_value(F.col(ROOT_OBJECT), "eventID")
