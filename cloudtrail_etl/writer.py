"""Write days as Parquet into a staging folder, outside the table root: Spark writes (and may crash) there, and
publish.py swaps each finished day into the table."""

from __future__ import annotations

from pyspark.sql import DataFrame

PARTITION_COLUMN = "proc_ymd"
# Sorting within each file lets engines skip row groups on the columns analysts filter by.
SORT_COLUMNS = ("eventsource", "eventname", "eventtime")
# Row groups of ~8 MiB (uncompressed) give a day a few dozen of them, so a filter on eventsource/eventname reads
# one or two; bloom filters answer "which day holds this eventID / request / access key" without reading data.
BLOOM_FILTER_COLUMNS = ("eventid", "requestid", "useridentity_accesskeyid")
PARQUET_OPTIONS = {
    "compression": "zstd",
    "parquet.block.size": str(8 * 1024 * 1024),
    **{f"parquet.bloom.filter.enabled#{column}": "true" for column in BLOOM_FILTER_COLUMNS},
    # Sized for the rows of one row group (~10-20K): without it each filter takes its 1 MiB maximum.
    **{f"parquet.bloom.filter.expected.ndv#{column}": "20000" for column in BLOOM_FILTER_COLUMNS},
}


def write_days(df: DataFrame, uri: str) -> None:
    """Rows of one or more days as `uri/proc_ymd=YYYYMMDD/` folders of Parquet files sorted by SORT_COLUMNS.

    The rows arrive clustered by day (transform.cluster_by_day), so each task writes the files of one day."""
    ordered = df.sortWithinPartitions(PARTITION_COLUMN, *SORT_COLUMNS)
    ordered.write.mode("overwrite").partitionBy(PARTITION_COLUMN).options(**PARQUET_OPTIONS).parquet(uri)
