"""Write a day as Parquet into a staging folder, then move it into the table in one step.

Readers of the table never see a half-written day: Spark writes (and may crash) in staging, outside the table
root, and the finished day replaces the old one by directory renames. On HDFS and local disks a rename is atomic;
on S3 it is a copy then a delete, so the swap itself (seconds) is the only window, never the whole Spark write.
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from cloudtrail_etl.storage import Storage

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


def publish(storage: Storage, staged: str, target: str, trash: str) -> None:
    """Replace `target` with `staged`; the previous content goes to `trash` and is deleted after the swap."""
    had_previous = storage.exists(target)
    if had_previous:
        storage.rename(target, trash)
    try:
        storage.rename(staged, target)
    except Exception as exc:
        if had_previous:  # put the previous day back; on S3 a failed move may have copied part of the new one
            try:
                storage.delete(target)
                storage.rename(trash, target)
            except Exception:
                raise OSError(f"could not publish {target} nor restore it; the previous day is in {trash}") from exc
        raise
    if had_previous:
        storage.delete(trash)
