"""Log sources: what differs between the AWS logs this job reads.

A source owns where its files are (its discovery layout and the delivery time in their names), how a file becomes
one row per record with a KST day (or a quarantine reason), its record id if it has one, its table's columns,
schema and sort order. Everything else is the shared run (job.py): the day plan and late folders, the one-pass
range, staging and publish, no-shrink, quarantine, the report and the catalog. A new log type is one module here
with a LogSource subclass, registered in SOURCES.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import ClassVar

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql.types import StructType

from cloudtrail_etl.discovery import DayInput, Layout, discover
from cloudtrail_etl.transform import dedup_key


@dataclasses.dataclass(frozen=True)
class FastRead:
    """A faster read of a run's records that holds only for well-formed input. `records` are as `records()` gives
    them; `check()`, called after the action that wrote them, returns None, or why they cannot be trusted (the run
    then converts again the exact way). The read may also fail outright on input it cannot handle."""

    records: DataFrame
    check: Callable[[], str | None]


@dataclasses.dataclass(frozen=True)
class CheckedRead:
    """Records of files the driver checked before Spark opens any (Parquet deliveries, by their footers). They are
    read the same way in the fast and the exact read, and `read_files` leaves them out. `bad`: the files found
    unusable, (uri, why), not read; `read`: the files whose records these are."""

    records: DataFrame | None
    read: tuple[str, ...]
    bad: tuple[tuple[str, str], ...] = ()


class LogSource(abc.ABC):
    name: ClassVar[str]  # the --source value
    title: ClassVar[str]  # how messages name the files: "CloudTrail", "VPC flow log"
    description: ClassVar[str]  # the Glue table's description
    layout: ClassVar[Layout]
    delivery_time_in_name: ClassVar[str]  # regex; group 1 is the delivery time (discovery.DELIVERY_TIME_FORMAT)
    file_suffix: ClassVar[str]  # what Spark reads of the listed folders (pathGlobFilter: "*" + suffix)
    sort_columns: ClassVar[tuple[str, ...]]  # within each output file, so that filters skip row groups
    bloom_filter_columns: ClassVar[tuple[str, ...]] = ()
    # Columns written without a dictionary: their values are nearly all distinct in every row group, so parquet-mr's
    # dictionary attempt (a hash of every value) ends in plain encoding anyway (writer.parquet_options).
    plain_columns: ClassVar[tuple[str, ...]] = ()
    # Uncompressed bytes per Parquet row group: smaller groups let filters skip more, but repeat each dictionary.
    row_group_bytes: ClassVar[int] = 8 * 1024 * 1024
    # A day's shuffle bytes per byte of an average folder read, measured: sizes the tasks that write each day
    # (plan.buckets_per_day).
    shuffle_bytes_per_folder_byte: ClassVar[float]
    # The delivery stream of a row (the report's volume per day, stages/volume.py): (report key, table column) pairs,
    # and the column whose KST hour counts it.
    stream_columns: ClassVar[tuple[tuple[str, str], ...]]
    hour_column: ClassVar[str]

    def discover(
        self,
        input_uri: str,
        folder_days: Sequence[dt.date],
        delivered_since: str,
        accounts: Sequence[str] = (),
        regions: Sequence[str] = (),
        s3_client=None,
    ) -> DayInput:
        return discover(input_uri, self.layout, folder_days, delivered_since, accounts, regions, s3_client)

    @abc.abstractmethod
    def read_files(
        self, spark: SparkSession, paths: Sequence[str], delivered_since: str = "", exact_text: bool = False
    ) -> DataFrame:
        """One row per file read: SOURCE_FILE, FILE_PROBLEM (null for a usable file) and what `records` needs.

        A file that cannot be decompressed gives no row (the run finds it by comparing with the listing); files
        named with a delivery time before `delivered_since` are not opened. `exact_text`: records keep their text
        (RECORD_TEXT), for the quarantine."""

    @abc.abstractmethod
    def records(self, files: DataFrame) -> DataFrame:
        """One row per record of `read_files`' rows: SOURCE_FILE, RECORD_INDEX, QUARANTINE_REASON (null when the
        record can be placed), PROC_YMD (its KST day), RECORD_TEXT and the source's own columns. Pure."""

    @abc.abstractmethod
    def to_table(self, records: DataFrame) -> DataFrame:
        """The table's columns (output_schema, in order), then PROC_YMD. Pure."""

    @abc.abstractmethod
    def output_schema(self) -> StructType:
        """The Parquet columns of the table, in order, with comments (proc_ymd, the partition, is not in the files)."""

    def fast_records(self, spark: SparkSession, run_input: DayInput, s3_client=None) -> FastRead | None:
        """A faster read for well-formed input, or None (the default): read_files + records are then the read."""
        return None

    def checked_read(
        self, spark: SparkSession, run_input: DayInput, s3_client=None, exact_text: bool = False
    ) -> CheckedRead | None:
        """The records of the run's files that are checked on the driver first, or None (the default): every file
        is then read by `fast_records` or `read_files`. `exact_text` as in read_files (the quarantine's re-read)."""
        return None

    def record_id(self) -> Column | None:
        """The id that makes two deliveries of a record one (duplicates are dropped), or None: every line is a row."""
        return None

    def distribution_key(self) -> Column | None:
        """What spreads a day's records over the tasks that write it (a shuffle): the record id, so that its copies
        meet; None (the default without a record id) for no shuffle, each reading task writing its own rows."""
        record_id = self.record_id()
        return dedup_key(record_id) if record_id is not None else None

    def unmapped_keys(self, unmapped: Column) -> Column | None:
        """The keys of the table's `unmapped` column (what the schema does not know), or None without one."""
        return None

    def reader_name(self, spark: SparkSession) -> str:
        """Which of the source's readers a run on this Spark uses (the report's `reader`); "" with only one."""
        return ""


def source_names() -> list[str]:
    return list(_REGISTRY)


def get_source(name: str) -> LogSource:
    """The source registered under `name` (raises KeyError)."""
    return _REGISTRY[name]()


def _cloudtrail() -> LogSource:
    from cloudtrail_etl.sources.cloudtrail import CloudTrail

    return CloudTrail()


def _vpcflow() -> LogSource:
    from cloudtrail_etl.sources.vpcflow import VpcFlowLogs

    return VpcFlowLogs()


# Imported when asked for: a CloudTrail run does not import the flow-log module, and the other way round.
_REGISTRY = {"cloudtrail": _cloudtrail, "vpcflow": _vpcflow}
DEFAULT_SOURCE = "cloudtrail"
