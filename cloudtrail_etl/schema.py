"""The explicit CloudTrail record schema (schemas/cloudtrail_record.json) and the file-level read schema."""

from __future__ import annotations

import functools
import json
import pkgutil

from pyspark.sql.types import ArrayType, DataType, MapType, StringType, StructField, StructType

CORRUPT_COLUMN = "_corrupt_record"

# A delivery file is one JSON document {"Records": [...]}. Each record is kept as JSON text here and parsed
# field by field later, so that unknown fields and values of an unexpected JSON type are never dropped.
DELIVERY_FILE_SCHEMA = StructType(
    [
        StructField("Records", ArrayType(StringType(), containsNull=True), nullable=True),
        StructField(CORRUPT_COLUMN, StringType(), nullable=True),
    ]
)


@functools.lru_cache(maxsize=1)
def record_schema() -> StructType:
    """One CloudTrail record (an element of Records), as documented through eventVersion 1.11."""
    raw = pkgutil.get_data("cloudtrail_etl", "cloudtrail_record.json")
    if raw is None:  # pragma: no cover - only when the package data is missing from a broken build
        raise FileNotFoundError("cloudtrail_record.json is missing from the cloudtrail_etl package")
    return StructType.fromJson(json.loads(raw))


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
