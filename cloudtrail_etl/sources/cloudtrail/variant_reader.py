"""The CloudTrail reader for Spark 4: each delivery file parsed once into VARIANT, every field typed from it.

Spark 4's JSON reader in single-variant-column mode gives one VARIANT per file; `Records` is exploded into one
variant per record (`_v`), which is what the run places in its day, shuffles and de-duplicates. Typing reads each
object the schema describes as a map<string, variant> (its keys, for the unknown-key and case rules), and each
field from its variant: strings, booleans and timestamps by a cast, payloads the schema keeps as text by to_json.
The rules are records.py's (_RecordParser): the same columns, `unmapped` paths and case matching.

What VARIANT cannot give back, by its encoding: the key order of an object (a variant object's keys are sorted),
so JSON text built from a variant (free-form payloads, `unmapped`) lists keys in sorted order, and numbers come back
in their canonical form (`1.50` as `1.5`); of two keys that match a field only ignoring case the first in sorted
order fills it (records.py: the first in the file). A file whose JSON has a repeated key is not parsed at all
(VARIANT refuses duplicate keys): the file is reported as invalid JSON.

Only imported on Spark 4 (pyspark 3.5 has no VARIANT): readers.reader_for decides.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
    VariantType,
)

from cloudtrail_etl.sources.cloudtrail import records as R
from cloudtrail_etl.sources.cloudtrail.reader import REASON_NO_RECORDS, REASON_NOT_JSON, without_files_delivered_before
from cloudtrail_etl.sources.cloudtrail.readers import RECORD_VARIANT, RECORDS_VARIANT
from cloudtrail_etl.transform import FILE_PROBLEM, RECORD_INDEX, RECORD_TEXT, SOURCE_FILE

_FILE_VARIANT = "_file_v"

_OBJECT = "map<string,variant>"
_ENTRY_V = StructType([StructField("path", StringType()), StructField("value", VariantType())])


def _as_object(value: Column) -> Column:
    """The variant as map<string, variant> when it is a JSON object, else null."""
    return F.try_variant_get(value, "$", _OBJECT)


def _text(value: Column) -> Column:
    """What the map reader holds for a value: a string as it is, anything else as JSON text; JSON null is null."""
    return value.cast("string")


def _non_null(value: Column) -> Column:
    """The variant, or SQL null for a JSON null (the map reader has no other null)."""
    return F.when(~F.is_variant_null(value), value)


def _parsed_from_text(value: Column, target: str) -> Column:
    """A string value whose text is JSON of `target` (the map reader parses such strings too), else null."""
    return F.try_variant_get(F.try_parse_json(_text(value)), "$", target)


def _field_value(obj: Column, name: str) -> Column:
    """records.field_value on a map of variants: obj[name], else the first key matching `name` ignoring case."""
    variant = F.map_filter(obj, lambda k, _v: F.lower(k) == F.lit(name.lower()))
    return F.coalesce(
        _non_null(F.try_element_at(obj, F.lit(name))), _non_null(F.try_element_at(F.map_values(variant), F.lit(1)))
    )


def _json_value(value: Column) -> Column:
    """records.json_value of what the map reader would hold for this variant (null for SQL or JSON null)."""
    text = F.to_json(value)
    return (
        F.when(value.isNull() | (text == "null"), F.lit("null"))
        .when(text.startswith('"'), R.json_value(_text(value)))
        .when(text.startswith("{") | text.startswith("["), text)
        .otherwise(R.json_string(text))
    )


class _VariantParser(R._RecordParser):
    """records._RecordParser over maps of variants: the same stages, checks and unmapped paths; leaves typed from
    the variants (a cast), nested objects as maps of variants (no second parse of their text)."""

    _entry_type = _ENTRY_V

    def _lookup(self, obj: Column, name: str) -> Column:
        return _non_null(F.try_element_at(obj, F.lit(name)))

    def _render(self, value: Column) -> Column:
        return _json_value(value)

    def _field(self, raw: Column, field: StructField, path: tuple[str, ...], depth: int) -> Column:
        data_type, dotted, name = field.dataType, ".".join(path), "__".join(("_o", *path))
        child = 2 * (depth + 1)
        if isinstance(data_type, StructType):
            parsed = F.coalesce(_as_object(raw), _parsed_from_text(raw, _OBJECT))
            obj = self._add(child, name, parsed)
            self._keep(raw.isNotNull() & obj.isNull(), dotted, raw)
            respelt, had_unknown = self._respelt(depth + 1, name, obj, data_type)
            value = F.struct(*self._object(respelt, data_type, path, depth + 1, had_unknown))
        elif isinstance(data_type, ArrayType) and isinstance(data_type.elementType, StructType):
            element = data_type.elementType
            if any(not isinstance(f.dataType, StringType) for f in element):
                raise ValueError(f"{dotted}: array elements may hold strings only")
            objects = f"array<{_OBJECT}>"
            parsed = self._add(
                child, name, F.coalesce(F.try_variant_get(raw, "$", objects), _parsed_from_text(raw, objects))
            )
            known = F.array(*[F.lit(f.name) for f in element])
            respelt = F.transform(
                parsed,
                lambda e: F.when(R._has_unknown_keys(e, known), R.match_key_case(e, element.fieldNames())).otherwise(e),
            )
            objs = self._add(child + 1, f"{name}~", respelt)
            self._keep(raw.isNotNull() & objs.isNull(), dotted, raw)
            self._keep(objs.isNotNull() & F.exists(objs, lambda e: R._has_unknown_keys(e, known)), f"{dotted}[]", raw)
            value = F.transform(
                objs,
                lambda e: F.struct(*[_text(F.try_element_at(e, F.lit(f.name))).alias(f.name) for f in element]),
            )
        elif isinstance(data_type, (ArrayType, MapType)):
            value = self._add(child, name, F.from_json(_text(raw), data_type))
            self._keep(raw.isNotNull() & value.isNull(), dotted, raw)
        elif isinstance(data_type, BooleanType):
            lowered = F.lower(_text(raw))
            value = F.when(lowered == "true", F.lit(True)).when(lowered == "false", F.lit(False))
            self._keep(raw.isNotNull() & value.isNull(), dotted, raw)
        elif isinstance(data_type, TimestampType):
            value = self._add(child, name, R.parse_instant(_text(raw)))
            self._keep(raw.isNotNull() & value.isNull(), dotted, raw)
        elif isinstance(data_type, StringType):
            value = _text(raw)
        else:
            raise ValueError(f"{dotted}: the record schema may use string, boolean, timestamp, struct, array, map")
        return value.alias(field.name)


def read_delivery_files_variant(spark: SparkSession, paths: Sequence[str], delivered_since: str = "") -> DataFrame:
    """Each file parsed once into VARIANT. Columns: `_source_file`, `_records_v` (Records as array<variant>, null
    when the file has no usable Records array) and `file_problem` (the map reader's reasons)."""
    files = (
        spark.read.option("singleVariantColumn", _FILE_VARIANT)
        .option("multiLine", True)
        .option("mode", "PERMISSIVE")
        .option("ignoreCorruptFiles", True)
        .option("pathGlobFilter", "*.json.gz")
        .json(list(paths))
    )
    files = without_files_delivered_before(files, delivered_since)
    document = F.col(_FILE_VARIANT)
    records = F.try_variant_get(document, "$.Records", "array<variant>")
    present = _non_null(F.try_variant_get(document, "$.Records", "variant")).isNotNull()
    problem = (
        F.when(document.isNull(), F.lit(REASON_NOT_JSON))
        .when(F.col(RECORDS_VARIANT).isNull() & present, F.lit(REASON_NOT_JSON))
        .when(F.col(RECORDS_VARIANT).isNull(), F.lit(REASON_NO_RECORDS))
    )
    with_records = files.select(
        F.col("_metadata.file_path").alias(SOURCE_FILE), records.alias(RECORDS_VARIANT), document
    )
    return with_records.select(SOURCE_FILE, RECORDS_VARIANT, problem.alias(FILE_PROBLEM))


def place_in_time(records: DataFrame) -> DataFrame:
    """records.place_in_time for records given as `_v`: the eventTime read from the variant by its path (its key
    matched ignoring case only when the exact key is absent)."""
    record = F.col(RECORD_VARIANT)
    exact = F.try_variant_get(record, "$.eventTime", "string")
    text = F.coalesce(exact, _text(_field_value(_as_object(record), "eventTime")))
    return R.place_by_event_time(records, text, exact.isNull() & _as_object(record).isNull())


def explode_records(files: DataFrame) -> DataFrame:
    """One row per element of Records (`_v`), with its file and position; `_record` is null (no text kept)."""
    exploded = files.select(F.col(SOURCE_FILE), F.posexplode(RECORDS_VARIANT).alias(RECORD_INDEX, RECORD_VARIANT))
    return exploded.select(SOURCE_FILE, RECORD_INDEX, F.lit(None).cast("string").alias(RECORD_TEXT), RECORD_VARIANT)


def record_event_id() -> Column:
    """The eventID of a record given as `_v`, its key matched ignoring case when the exact key is absent."""
    record = F.col(RECORD_VARIANT)
    exact = F.try_variant_get(record, "$.eventID", "string")
    return F.coalesce(exact, _text(_field_value(_as_object(record), "eventID")))


def type_records(placed: DataFrame, schema: StructType) -> DataFrame:
    """records.type_records for records given as `_v`: each object the schema describes read as a map of variants
    (the root's computed here, after the shuffle: only the kept records pay for it)."""
    with_root = placed.select("*", _as_object(F.col(RECORD_VARIANT)).alias(R.ROOT_OBJECT))
    return R.type_records(with_root.drop(RECORD_VARIANT), schema, _VariantParser)


def parse_records(records: DataFrame, schema: StructType) -> DataFrame:
    """Records given as JSON text (`_record`), parsed into VARIANT (parse_json), placed and typed: the VARIANT
    reader's counterpart of records.parse_records."""
    with_variant = records.select("*", F.try_parse_json(F.col(RECORD_TEXT)).alias(RECORD_VARIANT))
    return type_records(place_in_time(with_variant), schema)
