"""Write days as Parquet into a staging folder, outside the table root: Spark writes (and may crash) there, and
publish.py swaps each finished day into the table."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from cloudtrail_etl.transform import PROC_YMD

# Row groups of ~8 MiB (uncompressed) give a day a few dozen of them, so a filter on the sort columns reads one or two.
ROW_GROUP_BYTES = 8 * 1024 * 1024
# Bloom filters are sized for the rows of one row group (~10-20K): without it each filter takes its 1 MiB maximum.
BLOOM_FILTER_NDV = 20000


def parquet_options(
    bloom_filter_columns: Sequence[str] = (),
    row_group_bytes: int = ROW_GROUP_BYTES,
    plain_columns: Sequence[str] = (),
) -> dict[str, str]:
    """zstd, row groups of `row_group_bytes`, bloom filters on the columns asked for (parquet-mr writes one only for
    a column chunk that is not wholly dictionary-encoded: a whole dictionary already answers "is X here"), and no
    dictionary for `plain_columns`.

    parquet-mr puts every value of a column chunk into a hash map until the chunk's first page is written, then
    keeps plain encoding when the dictionary did not pay: for a column whose values are nearly all distinct (an
    event id, a time in seconds) that hashing is work thrown away in every row group."""
    return {
        "compression": "zstd",
        "parquet.block.size": str(row_group_bytes),
        **{f"parquet.bloom.filter.enabled#{column}": "true" for column in bloom_filter_columns},
        **{f"parquet.bloom.filter.expected.ndv#{column}": str(BLOOM_FILTER_NDV) for column in bloom_filter_columns},
        **{f"parquet.enable.dictionary#{column}": "false" for column in plain_columns},
    }


def write_days(
    df: DataFrame,
    uri: str,
    schema: StructType,
    sort_columns: Sequence[str] = (),
    bloom_filter_columns: Sequence[str] = (),
    row_group_bytes: int = ROW_GROUP_BYTES,
    plain_columns: Sequence[str] = (),
) -> None:
    """Rows of one or more days as `uri/proc_ymd=YYYYMMDD/` folders of Parquet files with the columns of `schema`,
    each sorted by `sort_columns` so that engines skip row groups on the columns analysts filter by.

    A column of `schema` the rows lack (a field no file of the run has) is written as nulls, added after the sort:
    carried through it, each null column costs every row its slot. When the rows arrive clustered by day
    (transform.cluster_by_day), each task writes the files of one day."""
    ordered = df.sortWithinPartitions(PROC_YMD, *sort_columns)
    present = set(df.columns)
    missing = [field.name for field in schema.fields if field.name not in present]
    if missing:
        nulls = {name: F.lit(None).cast(schema[name].dataType).alias(name) for name in missing}
        ordered = ordered.select(*[nulls.get(name, F.col(f"`{name}`")) for name in schema.fieldNames()], PROC_YMD)
    options = parquet_options(bloom_filter_columns, row_group_bytes, plain_columns)
    ordered.write.mode("overwrite").partitionBy(PROC_YMD).options(**options).parquet(uri)
