"""CloudTrail: gzipped JSON documents `{"Records": [...]}`, one row per record, duplicate deliveries dropped by eventID.

The modules below: layout (where the files are), reader (a file to its records as maps), records (each record typed
into the schema, losing nothing), variant_reader (Spark 4: a file parsed once into VARIANT, typed from it), readers
(which of the two a run uses) and schema (the documented record, schemas/cloudtrail_record.json).
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import MapType, StringType, StructType

from cloudtrail_etl.sources import LogSource
from cloudtrail_etl.sources.cloudtrail import records as R
from cloudtrail_etl.sources.cloudtrail.layout import DELIVERY_TIME_IN_NAME, LOG_SUFFIX, CloudTrailLayout
from cloudtrail_etl.sources.cloudtrail.reader import read_delivery_files
from cloudtrail_etl.sources.cloudtrail.readers import RECORD_VARIANT, RECORDS_VARIANT, VARIANT, reader_for
from cloudtrail_etl.sources.cloudtrail.schema import output_schema, record_schema
from cloudtrail_etl.transform import PROC_YMD, add_proc_ymd, flatten_structs

# Row groups of ~8 MiB (uncompressed) give a day a few dozen of them, so a filter on eventsource/eventname reads
# one or two; bloom filters answer "which day holds this eventID / request / access key" without reading data.
SORT_COLUMNS = ("eventsource", "eventname", "eventtime")
BLOOM_FILTER_COLUMNS = ("eventid", "requestid", "useridentity_accesskeyid")


def place_events(files: DataFrame) -> DataFrame:
    """Every record of the files with its instant, KST day and quarantine reason (pure: no I/O, no actions)."""
    return add_proc_ymd(R.place_in_time(R.explode_records(files)), R.EVENTTIME_KST)


def place_events_variant(files: DataFrame) -> DataFrame:
    """place_events for the VARIANT reader's files."""
    from cloudtrail_etl.sources.cloudtrail import variant_reader as V

    return add_proc_ymd(V.place_in_time(V.explode_records(files)), R.EVENTTIME_KST)


def to_table(events: DataFrame) -> DataFrame:
    """The table's columns, in order: the flattened record, eventtime_kst, unmapped, and proc_ymd (the folder).
    Records of either reader: `_o` (map reader) or `_v` (VARIANT reader)."""
    if _is_variant(events):
        from cloudtrail_etl.sources.cloudtrail import variant_reader as V

        typed = V.type_records(events, record_schema())
    else:
        typed = R.type_records(events, record_schema())
    return flatten_structs(typed.select(f"{R.EVENT}.*", R.EVENTTIME_KST, R.UNMAPPED, PROC_YMD))


def _is_variant(df: DataFrame) -> bool:
    return RECORD_VARIANT in df.columns or RECORDS_VARIANT in df.columns


class CloudTrail(LogSource):
    name = "cloudtrail"
    title = "CloudTrail"
    description = "cloudtrail-etl: CloudTrail events by KST day (proc_ymd)"
    layout = CloudTrailLayout()
    delivery_time_in_name = DELIVERY_TIME_IN_NAME
    file_suffix = LOG_SUFFIX
    sort_columns = SORT_COLUMNS
    bloom_filter_columns = BLOOM_FILTER_COLUMNS
    # Ids and times unique to (nearly) every event: plain in every chunk of the benchmark's days (profile.md,
    # "Dictionaries that never pay").
    plain_columns = ("eventid", "requestid", "sharedeventid", "eventtime", R.EVENTTIME_KST)
    # On the benchmark day 172 MB were shuffled for 72 MB of gzip read from its two folders.
    shuffle_bytes_per_folder_byte = 172 / (72 / 2)
    # The table keeps no file folder: the record's own account and region, which CloudTrail delivers into that
    # account's and region's folder (global services' events into us-east-1's).
    stream_columns = (("account", "recipientaccountid"), ("region", "awsregion"))
    hour_column = R.EVENTTIME_KST

    def __init__(self) -> None:
        self._reader: str | None = None

    def reader_name(self, spark: SparkSession) -> str:
        """readers.reader_for this Spark, decided once per source (the run's records, ids and table agree)."""
        if self._reader is None:
            self._reader = reader_for(spark.version)
        return self._reader

    def read_files(
        self, spark: SparkSession, paths: Sequence[str], delivered_since: str = "", exact_text: bool = False
    ) -> DataFrame:
        # The quarantine pass (exact_text) keeps each record's text as it was in the file: the map reader's read.
        if not exact_text and self.reader_name(spark) == VARIANT:
            from cloudtrail_etl.sources.cloudtrail.variant_reader import read_delivery_files_variant

            return read_delivery_files_variant(spark, paths, delivered_since=delivered_since)
        return read_delivery_files(spark, paths, exact_text=exact_text, delivered_since=delivered_since)

    def records(self, files: DataFrame) -> DataFrame:
        return place_events_variant(files) if _is_variant(files) else place_events(files)

    def record_id(self) -> Column:
        if self._reader == VARIANT:
            from cloudtrail_etl.sources.cloudtrail.variant_reader import record_event_id

            return record_event_id()
        return R.record_event_id()

    def to_table(self, records: DataFrame) -> DataFrame:
        return to_table(records)

    def output_schema(self) -> StructType:
        return output_schema()

    def unmapped_keys(self, unmapped: Column) -> Column:
        return F.map_keys(F.from_json(unmapped, MapType(StringType(), StringType())))
