"""The explicit CloudTrail record schema (schemas/cloudtrail_record.json) and the file-level read schema."""

from __future__ import annotations

import functools
import json
import pkgutil

from pyspark.sql.types import ArrayType, MapType, StringType, StructField, StructType, TimestampNTZType

from cloudtrail_etl.transform import flatten_schema

CORRUPT_COLUMN = "_corrupt_record"

# A delivery file is one JSON document {"Records": [...]}. Each record is read as a map of its top-level fields
# (nested objects as JSON text) and typed field by field later, so that unknown fields and values of an unexpected
# JSON type are never dropped.
DELIVERY_FILE_SCHEMA = StructType(
    [
        StructField("Records", ArrayType(MapType(StringType(), StringType()), containsNull=True), nullable=True),
        StructField(CORRUPT_COLUMN, StringType(), nullable=True),
    ]
)
# The same with each record as its JSON text (for the quarantine, which keeps the raw record).
DELIVERY_FILE_TEXT_SCHEMA = StructType(
    [
        StructField("Records", ArrayType(StringType(), containsNull=True), nullable=True),
        StructField(CORRUPT_COLUMN, StringType(), nullable=True),
    ]
)


@functools.lru_cache(maxsize=1)
def record_schema() -> StructType:
    """One CloudTrail record (an element of Records), as documented through eventVersion 1.11."""
    raw = pkgutil.get_data(__package__, "cloudtrail_record.json")
    if raw is None:  # pragma: no cover - only when the package data is missing from a broken build
        raise FileNotFoundError("cloudtrail_record.json is missing from the cloudtrail_etl package")
    return StructType.fromJson(json.loads(raw))


def output_schema() -> StructType:
    """Columns of the Parquet table, in order (the partition column proc_ymd is not in the files)."""
    fields = [field for _, _, field in flatten_schema(record_schema())]
    fields.append(
        StructField("eventtime_kst", TimestampNTZType(), True, {"comment": "eventTime as KST (UTC+9) wall clock"})
    )
    fields.append(
        StructField(
            "unmapped",
            StringType(),
            True,
            {"comment": "JSON object: fields unknown to the schema, or of an unexpected JSON type, by path"},
        )
    )
    return StructType(fields)
