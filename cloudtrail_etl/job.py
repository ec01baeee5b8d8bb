"""One run of any log source: plan the KST days, discover their files, convert them in one pass, write each day,
account for every record.

What differs between sources (where the files are, how a file becomes typed rows, the table's columns) is the
source's (sources/); everything here is shared. A range of days is one Spark application and one read of each
delivery file: the days are written together into staging and each is then swapped into the table on its own, with
the guarantees of a single-day run (plan.py).
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections.abc import Sequence
from urllib.parse import unquote, urlparse

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from cloudtrail_etl import transform as T
from cloudtrail_etl.aws import resolve_region
from cloudtrail_etl.config import JobConfig
from cloudtrail_etl.days import proc_ymd
from cloudtrail_etl.discovery import DayInput, InputFile, is_s3, kinds_of, not_read_summary
from cloudtrail_etl.errors import (
    BadInputFiles,
    CatalogFailed,
    DayWouldShrink,
    IntegrityFailed,
    JobError,
    NoInputFiles,
    OutputNotWritable,
    describe,
    error_causes,
)
from cloudtrail_etl.progress import say
from cloudtrail_etl.report import (
    KEPT_BAD_FILES,
    KEPT_FEWER_ROWS,
    NO_EVENTS,
    NO_INPUT,
    NOT_WRITTEN,
    REASON_UNREADABLE,
    REASON_ZERO_BYTES,
    WRITTEN,
    BadFile,
    DayReport,
    RunReport,
)
from cloudtrail_etl.session import quiet_task_failures
from cloudtrail_etl.sources import LogSource, get_source
from cloudtrail_etl.storage import Storage
from cloudtrail_etl.writer import write_days

MAX_LISTED_BAD_FILES = 1000
UNMAPPED = "unmapped"  # a table's column of what its schema does not know, where the source has one
MIB = 1024 * 1024


def _absolute(uri: str) -> str:
    return uri if urlparse(uri).scheme else os.path.abspath(uri)


def _same_file_key(uri: str) -> str:
    """Compare Spark's file URIs with listed ones: drop the scheme's local prefix and URL escaping."""
    uri = unquote(uri)
    if uri.startswith("file:"):
        uri = "/" + uri[len("file:") :].lstrip("/")
    return uri


def _union(first: DataFrame | None, second: DataFrame | None) -> DataFrame | None:
    """Records of two reads as one DataFrame (by column name); either may be None (no such files)."""
    if first is None or second is None:
        return first if second is None else second
    return first.unionByName(second)


def _count_by_day(codes: Sequence[str], condition, prefix: str) -> list:
    """One observed count per day (Observation has no group-by): cheap comparisons of a short text."""
    return [F.count_if(condition & (F.col(T.PROC_YMD) == F.lit(code))).alias(f"{prefix}{code}") for code in codes]


class Job:
    """Holds what one run needs; `run()` returns the report or raises a JobError after filling it in."""

    def __init__(self, spark: SparkSession, config: JobConfig, s3_client=None):
        self.spark = spark
        self.config = config
        self.source: LogSource = get_source(config.source)
        self.plan = config.plan
        self.s3_client = s3_client
        self.storage = Storage(spark)
        self.output = _absolute(config.output).rstrip("/")
        self.run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
        self.staging_run = f"{_absolute(config.staging_root).rstrip('/')}/{self.run_id}"
        self.integrity_problems: list[str] = []
        self.deferred: list[JobError] = []  # failures that let the rest of the run go on, raised at its end
        self.publisher = None  # the table's lock, recovery and journaled swaps (publish.py), from _run() on
        self.checked_files: set[str] = set()  # files read by the source's checked_read (their URIs as listed)
        self.run_input_files: tuple[InputFile, ...] = ()
        days = self.plan.days
        self.report = RunReport(
            source=self.source.name,
            target_date=days[0].isoformat(),
            last_date=days[-1].isoformat() if len(days) > 1 else None,
            late_days=self.plan.late_days,
            input=config.input,
            output_path=self._day_path(days[0]) if len(days) == 1 else self.output,
            spark_version=spark.version,
            reader=self.source.reader_name(spark),
            days=[DayReport(day.isoformat(), self._day_path(day)) for day in days],
        )

    def _day_path(self, day: dt.date, root: str | None = None) -> str:
        return f"{root or self.output}/{T.PROC_YMD}={proc_ymd(day)}"

    def run(self) -> RunReport:
        started = time.monotonic()
        try:
            self._run()
            if self.deferred:  # days kept (5, 9), the catalog step (7): the lowest code wins
                raise min(self.deferred, key=lambda error: error.exit_code)
            if self.integrity_problems:
                shown = "; ".join(self.integrity_problems[:3])
                more = f" and {len(self.integrity_problems) - 3} more" if len(self.integrity_problems) > 3 else ""
                raise IntegrityFailed(f"digest check failed: {shown}{more} (the report's integrity lists them all)")
            self.report.status = "succeeded"
            return self.report
        except Exception as exc:
            self.report.status = "failed"
            self.report.error = describe(exc)
            if not isinstance(exc, JobError):
                self.report.error_causes = error_causes(exc)
            for day_report in self.report.days:
                if day_report.status == "running":
                    day_report.status = NOT_WRITTEN
            raise
        finally:
            if self.publisher is not None:  # HOOK 3 (crash-safety): release the table's lock, also on failure
                self.publisher.release()
            self.report.duration_s = round(time.monotonic() - started, 2)

    def _run(self) -> None:
        config, report, plan = self.config, self.report, self.plan
        if config.catalog_table or config.crawler:
            from cloudtrail_etl.aws import require_region

            require_region(config.region)  # before any work, not after the days were written
        if self.s3_client is None and is_s3(config.input):
            from cloudtrail_etl.aws import client

            self.s3_client = client("s3", config.region)
        # HOOK 1 (crash-safety): the table's lock, then whatever crashed runs left, before anything is read or changed.
        from cloudtrail_etl.publish import open_publisher

        staging_root, quarantine_root = _absolute(config.staging_root), _absolute(config.quarantine_root)
        self.publisher = open_publisher(
            self.storage, self.output, staging_root, quarantine_root, self.run_id, config.region
        )
        report.recovered = self.publisher.begin(config.wait_for_lock_s)
        span = f"{plan.first_day}" + (f"..{plan.last_day}" if plan.last_day != plan.first_day else "")
        say(f"listing {len(plan.folder_days)} UTC folders per account and region for KST {span} under {config.input}")
        run_input = self.source.discover(
            _absolute(config.input), plan.folder_days, plan.delivered_since, config.accounts, config.regions,
            self.s3_client,
        )  # fmt: skip
        self.run_input_files = run_input.files
        report.input_folders = run_input.folder_count
        report.input_files = len(run_input.files)
        report.input_bytes = run_input.total_bytes
        report.files_delivered_before_day = len(run_input.skipped)
        reading = {day: 0 for day in plan.days}
        for f in run_input.files:
            for day in plan.days_reading(f):
                reading[day] += 1
        for day_report, day in zip(report.days, plan.days):
            day_report.input_files = reading[day]
        say(f"found {report.input_files} files ({report.input_bytes / MIB:.1f} MiB) in {report.input_folders} folders")
        if run_input.not_read:  # never a bare "found 0 files" over folders full of something else
            report.files_not_read = kinds_of(run_input.not_read)
            report.file_not_read_example = run_input.not_read[0].uri
            say(not_read_summary(run_input.not_read))
        public_keys = self._public_keys()  # a bad --public-keys file fails before any work
        if not run_input.files:
            for day_report in report.days:
                day_report.status = NO_INPUT
            if config.require_input:
                early = f" ({len(run_input.skipped)} delivered before the day began)" if run_input.skipped else ""
                others = f"; {not_read_summary(run_input.not_read)}" if run_input.not_read else ""
                raise NoInputFiles(f"no {self.source.title} files for KST {span} under {config.input}{early}{others}")
        else:
            self._convert(run_input)
        if config.verify_digests:  # also when no log file is left: the digests then say which were deleted
            self._verify_digests(public_keys)

    def _public_keys(self):
        if not self.config.public_keys:
            return None
        from cloudtrail_etl.integrity.keys import load_public_keys_file

        return load_public_keys_file(self.config.public_keys)

    def _verify_digests(self, public_keys) -> None:
        """The digest check of the run's days (integrity/): its problems make the run fail with exit 10, after the
        days were written (their events are still worth having), unless the run failed for another reason first."""
        from cloudtrail_etl.integrity.verify import verify_days

        say("verifying the days' log files against their digest files")
        region = self.config.region or resolve_region()
        integrity = verify_days(
            self.spark, _absolute(self.config.input), self.plan.days, self.config.accounts, self.config.regions,
            public_keys=public_keys, s3_client=self.s3_client,
            executor_s3_config={"region_name": region} if region else None,
        )  # fmt: skip
        self.report.integrity = integrity.to_dict()
        self.integrity_problems = integrity.problem_lines()

    def _convert(self, run_input: DayInput) -> None:
        config, report = self.config, self.report
        self._check_writable()
        file_metrics, event_metrics = self._write_staged_days(run_input)
        report.events_read = int(event_metrics["events_read"])
        report.events_quarantined = int(event_metrics["quarantined"])
        window = self.plan.other_days_window()
        report.events_for_other_days = self._other_days(event_metrics, [proc_ymd(day) for day in window])
        previous = window[1].isoformat()
        report.late_events = {day: n for day, n in report.events_for_other_days.items() if day < previous}
        if int(event_metrics["late_previous"]):
            report.late_events[previous] = int(event_metrics["late_previous"])
        bad_files = self._bad_files(run_input, int(file_metrics["documents"]), file_metrics["problems"])
        report.bad_files, report.bad_file_count = bad_files[:MAX_LISTED_BAD_FILES], len(bad_files)
        blocked = {} if config.skip_bad_files else self._days_blocked(run_input, bad_files)
        if report.events_quarantined:
            self._stage_quarantine(run_input, event_metrics["quarantined_files"])

        self._publish_days(blocked)
        report.add_up_days()
        written_days = [d for d in report.days if d.status == WRITTEN]
        if report.rows_with_unmapped and written_days:
            report.unmapped_fields = self._unmapped_fields([d.output_path for d in written_days])
        self.deferred += self._kept_days_errors()
        if written_days and (config.catalog_table or config.crawler):
            # Imported only when asked for: a run without a catalog step needs no boto3 on the cluster's Python.
            from cloudtrail_etl.catalog import publish_days

            say(f"catalog: {len(written_days)} partition(s)")
            try:
                report.catalog = publish_days(config, [d.target_date.replace("-", "") for d in written_days])
            except CatalogFailed as exc:
                self.deferred.append(exc)
        # HOOK 2b (crash-safety): the staging folder and its journal go last, after the catalog step; kept when
        # anything above failed, for the next run's recovery.
        self.publisher.finish()

    def _write_staged_days(self, run_input: DayInput) -> tuple[dict, dict]:
        """Convert the run's files into staging: the files the driver checks first (checked_read) beside the
        source's fast read where it has one, checked after the write, else (or when the check or the read fails)
        the exact read. Returns the file and event metrics."""
        checked = self.source.checked_read(self.spark, run_input, self.s3_client)
        self.checked_files = set(checked.read) | {uri for uri, _ in checked.bad} if checked else set()
        checked_records = checked.records if checked else None
        checked_problems = "\n".join(f"{uri}\t{reason}" for uri, reason in checked.bad) if checked else ""
        fast = self.source.fast_records(self.spark, run_input, self.s3_client)
        if fast is not None:
            try:
                with quiet_task_failures(self.spark):  # a failure here is said in one line below, then read again
                    event_metrics = self._write_records(_union(fast.records, checked_records), run_input.total_bytes)
                problem = fast.check()
            except Exception as exc:  # a file the fast read cannot handle (a corrupt gzip): the exact read can
                problem = f"the fast read failed ({describe(exc)})"
            if problem is None:
                documents = sum(1 for f in run_input.files if f.size > 0)
                return {"documents": documents, "problems": checked_problems}, event_metrics
            say(f"{problem}: reading every file whole, each by its own header")
            self.storage.delete(f"{self.staging_run}/table")
        file_stats = Observation("files")
        files = self.source.read_files(self.spark, run_input.folders, run_input.delivered_since).observe(
            file_stats,
            F.count(F.lit(1)).alias("documents"),
            # Observed metrics come back as scalars: the (rare) problem files travel as one tab/newline text.
            F.concat_ws(
                "\n",
                F.collect_list(
                    F.when(F.col(T.FILE_PROBLEM).isNotNull(), F.concat_ws("\t", T.SOURCE_FILE, T.FILE_PROBLEM))
                ),
            ).alias("problems"),
        )
        records = _union(self.source.records(files), checked_records)
        event_metrics = self._write_records(records, run_input.total_bytes)
        read = file_stats.get
        problems = "\n".join(filter(None, [read["problems"], checked_problems]))
        return {"documents": int(read["documents"]) + len(self.checked_files), "problems": problems}, event_metrics

    def _write_records(self, records: DataFrame, input_bytes: int) -> dict:
        """Count the records (observed metrics of the one pass), keep the run's days, drop duplicate deliveries
        where the source has a record id, and write the days into staging. Fills the days' counts of the report;
        returns the event metrics."""
        report, plan, source = self.report, self.plan, self.source
        codes = plan.day_codes
        event_stats, written_stats = Observation("events"), Observation("written")
        placed = F.col(T.QUARANTINE_REASON).isNull()
        near = [proc_ymd(day) for day in plan.other_days_window()]
        first_folder = F.lit(plan.folder_days[0].strftime("%Y/%m/%d"))
        events = records.observe(
            event_stats,
            F.count(F.lit(1)).alias("events_read"),
            F.count_if(~placed).alias("quarantined"),
            # Names only, as one text: the quarantine pass then re-reads just these files, not the whole input.
            F.concat_ws("\n", F.collect_set(F.when(~placed, F.col(T.SOURCE_FILE)))).alias("quarantined_files"),
            *_count_by_day(codes, placed, "in_"),
            *_count_by_day(near, placed, "near_"),
            # The day before the first is expected in the first folder (its last hour); from later folders it is late.
            F.count_if(
                placed
                & (F.col(T.PROC_YMD) == F.lit(near[1]))
                & (source.folder_day(F.col(T.SOURCE_FILE)) > first_folder)
            ).alias("late_previous"),
            # Days further away (deliveries over a day late) are rare: their codes travel as one text.
            F.concat_ws(",", F.collect_list(F.when(placed & ~F.col(T.PROC_YMD).isin(*codes, *near), T.PROC_YMD))).alias(
                "far"
            ),
        )
        in_days = T.keep_days(events, plan.first_day, plan.last_day)
        record_id, key = source.record_id(), source.distribution_key()
        if key is not None:
            # Each (day, bucket of the key) is a task of its own: every copy of a record meets its others, and only
            # the kept rows are typed (the shuffle carries each record as the source read it, benchmarks/profile.md).
            parallelism = self.spark.sparkContext.defaultParallelism
            buckets = plan.buckets_per_day(input_bytes, parallelism, source.shuffle_bytes_per_folder_byte)
            rows = T.cluster_by_day(in_days, plan.days, buckets, key)
            if record_id is not None:
                rows = T.drop_duplicate_deliveries(rows, record_id, within=[T.SLOT])
            say(f"converting {len(codes)} day(s) in {len(codes) * buckets} tasks")
        else:
            # No shuffle: each reading task writes its rows, sorted, into their days.
            rows = in_days
            say(f"converting {len(codes)} day(s)")
        # `unmapped` (null when a record holds nothing the schema does not know): the signal to extend the schema.
        has_unmapped = UNMAPPED in source.output_schema().fieldNames()
        table = source.to_table(rows).observe(
            written_stats,
            F.count_if(F.col(UNMAPPED).isNotNull() if has_unmapped else F.lit(False)).alias("with_unmapped"),
            *_count_by_day(codes, F.lit(True), "rows_"),
        )
        write_days(
            table, f"{self.staging_run}/table", source.sort_columns, source.bloom_filter_columns, source.row_group_bytes
        )
        event_metrics, written = event_stats.get, written_stats.get
        report.rows_with_unmapped = int(written["with_unmapped"])
        for day_report, code in zip(report.days, codes):
            day_report.events_in_day = int(event_metrics[f"in_{code}"])
            day_report.rows_written = int(written[f"rows_{code}"])
            day_report.duplicates_dropped = day_report.events_in_day - day_report.rows_written
        return event_metrics

    def _check_writable(self) -> None:
        """Fail fast, before any Spark work, when the output side cannot be written: write and delete a marker.

        Not mkdirs on the table root: on S3 that is HEAD and LIST probes of the root and its parents, which need
        more permissions than the job otherwise does (deploy/README.md)."""
        marker = f"{self.staging_run}/_writable"
        try:
            self.storage.write_text(marker, self.run_id)
            self.storage.delete(marker)
        except Exception as exc:
            raise OutputNotWritable(f"cannot write to {self.staging_run}: {describe(exc)}") from exc

    def _other_days(self, event_metrics, near: Sequence[str]) -> dict[str, int]:
        counts = {code: int(event_metrics[f"near_{code}"]) for code in near}
        for code in filter(None, event_metrics["far"].split(",")):
            counts[code] = counts.get(code, 0) + 1
        return {f"{code[:4]}-{code[4:6]}-{code[6:]}": n for code, n in sorted(counts.items()) if n}

    def _bad_files(self, run_input: DayInput, documents: int, problems: str) -> list[BadFile]:
        """Files listed but not usable: zero bytes, unusable content (the source says why), or not decompressible."""
        bad = [BadFile(f.uri, REASON_ZERO_BYTES) for f in run_input.files if f.size == 0]
        for line in filter(None, problems.split("\n")):
            path, reason = line.split("\t", 1)
            bad.append(BadFile(_same_file_key(path), reason))
        expected = sum(1 for f in run_input.files if f.size > 0)
        if documents < expected:
            # Some non-empty files produced no document at all. Find which, with a read of the file names only.
            documents_of = self.source.read_files(self.spark, run_input.folders, run_input.delivered_since)
            read = {_same_file_key(row[0]) for row in documents_of.select(T.SOURCE_FILE).distinct().collect()}
            read |= {_same_file_key(uri) for uri in self.checked_files}
            bad += [
                BadFile(f.uri, REASON_UNREADABLE)
                for f in run_input.files
                if f.size > 0 and _same_file_key(f.uri) not in read
            ]
        return sorted(bad, key=lambda b: b.path)

    def _days_blocked(self, run_input: DayInput, bad_files: list[BadFile]) -> dict[str, list[str]]:
        """Day code -> the unreadable files its own single-day run would read: such a day is not replaced."""
        listed: dict[str, InputFile] = {_same_file_key(f.uri): f for f in run_input.files}
        blocked: dict[str, list[str]] = {}
        for bad in bad_files:
            found = listed.get(_same_file_key(bad.path))
            days = self.plan.days_reading(found) if found else self.plan.days
            for day in days:
                blocked.setdefault(proc_ymd(day), []).append(f"{bad.path} ({bad.reason})")
        return blocked

    def _stage_quarantine(self, run_input: DayInput, quarantined_files: str) -> None:
        """Records that cannot be placed in a day, raw, with the reason, under the first run day that reads their
        file. A second read, of the (few) files that held such records only, with the names as they were listed."""
        wanted = {_same_file_key(path) for path in quarantined_files.split("\n") if path}
        by_day: dict[dt.date, list[str]] = {}
        for f in run_input.files:
            if _same_file_key(f.uri) in wanted:
                days = self.plan.days_reading(f) or self.plan.days
                by_day.setdefault(days[0], []).append(f.uri)
        reasons: dict[str, int] = {}
        for day_report, day in zip(self.report.days, self.plan.days):
            if day not in by_day:
                continue
            events = self._quarantine_records(by_day[day])
            rows = events.filter(F.col(T.QUARANTINE_REASON).isNotNull()).select(
                F.col(T.SOURCE_FILE).alias("source_file"),
                F.col(T.RECORD_INDEX).alias("record_index"),
                F.col(T.QUARANTINE_REASON).alias("reason"),
                F.col(T.RECORD_TEXT).alias("record"),
            )
            staged = self._day_path(day, f"{self.staging_run}/quarantine")
            rows.write.mode("overwrite").option("compression", "gzip").json(staged)
            counts = self.spark.read.schema("reason string").json(staged).groupBy("reason").count().collect()
            for row in counts:
                reasons[row["reason"]] = reasons.get(row["reason"], 0) + int(row["count"])
                day_report.events_quarantined += int(row["count"])
        self.report.quarantine_reasons = reasons

    def _quarantine_records(self, uris: list[str]) -> DataFrame:
        """The records of these files with their text: checked files by checked_read, the others by read_files."""
        checked = [uri for uri in uris if uri in self.checked_files]
        others = [uri for uri in uris if uri not in self.checked_files]
        records = self.source.records(self.source.read_files(self.spark, others, exact_text=True)) if others else None
        if checked:
            chosen = DayInput((), tuple(f for f in self.run_input_files if f.uri in set(checked)))
            again = self.source.checked_read(self.spark, chosen, self.s3_client, exact_text=True)
            records = _union(records, again.records if again else None)
        return records

    def _rows_before(self, days: list[DayReport]) -> dict[str, int]:
        """Rows the table holds now for these days (row counts from the Parquet footers, one small Spark job)."""
        existing = [d.output_path for d in days if self.storage.exists(d.output_path)]
        if not existing:
            return {}
        folder = F.regexp_extract(F.col("_metadata.file_path"), rf"{T.PROC_YMD}=([0-9]{{8}})", 1)
        counts = self.spark.read.schema(self.source.output_schema()).parquet(*existing)
        counts = counts.groupBy(folder.alias("d")).count()
        found = {row["d"]: int(row["count"]) for row in counts.collect()}
        return {path: found.get(path.rsplit("=", 1)[-1], 0) for path in existing}

    def _publish_days(self, blocked: dict[str, list[str]]) -> None:
        """Swap each day that may be written into the table; every other day is left as it was, and says why."""
        report, config = self.report, self.config
        ready = [d for d in report.days if d.events_in_day and d.target_date.replace("-", "") not in blocked]
        rows_before = {} if config.allow_fewer_rows else self._rows_before(ready)
        quarantine_root = _absolute(config.quarantine_root).rstrip("/")
        swaps, swapped_day = [], {}
        for day_report, day in zip(report.days, self.plan.days):
            code = proc_ymd(day)
            day_report.rows_before = rows_before.get(day_report.output_path)
            if not day_report.events_in_day:
                day_report.status = NO_EVENTS if day_report.input_files else NO_INPUT
            elif code in blocked:
                day_report.status = KEPT_BAD_FILES
            elif day_report.rows_before is not None and day_report.rows_written < day_report.rows_before:
                day_report.status = KEPT_FEWER_ROWS
            else:
                staged = self._day_path(day, f"{self.staging_run}/table")
                swaps.append(self._swap(f"{T.PROC_YMD}={code}", staged, day_report.output_path, code))
                swapped_day[day_report.output_path] = day_report
            # Quarantined records are kept whatever became of the day: they belong to no day's rows.
            staged_quarantine = self._day_path(day, f"{self.staging_run}/quarantine")
            if day_report.events_quarantined and self.storage.exists(staged_quarantine):
                target = self._day_path(day, quarantine_root)  # replaced on a re-run, like the day itself
                swaps.append(self._swap(f"quarantine {T.PROC_YMD}={code}", staged_quarantine, target))
                report.quarantine_path = target if len(report.days) == 1 else quarantine_root

        def swapped(target: str) -> None:
            day_report = swapped_day.get(target)
            if day_report is not None:  # a day (not a quarantine folder) is in the table
                day_report.status = WRITTEN
                files = self.storage.list_files(target)
                day_report.output_files = len(files)
                day_report.output_bytes = sum(size for _, size in files)

        # HOOK 2a (crash-safety): one journaled publish of every folder the run replaces.
        codes = [d.target_date.replace("-", "") for d in swapped_day.values()]
        self.publisher.publish(swaps, self._catalog_step(codes), on_done=swapped)
        for day_report in report.days:
            say(
                f"day {day_report.target_date}: {day_report.status}, {day_report.rows_written} rows "
                f"({day_report.duplicates_dropped} duplicates dropped)"
            )

    def _swap(self, label: str, staged: str, target: str, code: str | None = None):
        """A folder to replace; with --catalog-table on S3, the day's partition is repointed during its swap."""
        from cloudtrail_etl.publish import partition_of, plan_swap

        partition = None
        if code and self.config.catalog_table and is_s3(target):
            from cloudtrail_etl.catalog import partition_location, partition_location_now

            database, table = self.config.catalog_table.split(".", 1)
            glue = self.publisher.glue(self.config.region)
            if partition_location_now(glue, database, table, [code]):  # a new day has no partition to repoint yet
                location = partition_location(self.config.output, code)
                partition = partition_of(location, staged, [code], database, table, self.config.region)
        return plan_swap(self.publisher.files, label, staged, target, partition)

    def _catalog_step(self, day_codes: list[str]):
        if not day_codes or not (self.config.catalog_table or self.config.crawler):
            return None
        from cloudtrail_etl.catalog import catalog_step

        return catalog_step(self.config, day_codes)

    def _kept_days_errors(self) -> list[JobError]:
        """The failures of the days left as they were (bad files: 5, fewer rows: 9), to be raised at the end."""
        report, errors = self.report, []
        kept_bad = [d.target_date for d in report.days if d.status == KEPT_BAD_FILES]
        if kept_bad:
            names = ", ".join(f"{b.path} ({b.reason})" for b in report.bad_files[:5])
            more = f" and {report.bad_file_count - 5} more" if report.bad_file_count > 5 else ""
            what = "the day was not written" if len(report.days) == 1 else f"not written: {', '.join(kept_bad)}"
            errors.append(
                BadInputFiles(
                    f"{report.bad_file_count} unreadable file(s): {names}{more}; {what} "
                    "(use --skip-bad-files to write the good events)"
                )
            )
        shrunk = [d for d in report.days if d.status == KEPT_FEWER_ROWS]
        if shrunk:
            named = ", ".join(f"{d.target_date} ({d.rows_written} rows, the table has {d.rows_before})" for d in shrunk)
            errors.append(
                DayWouldShrink(
                    f"left untouched, the new version would hold fewer rows: {named} "
                    "(use --allow-fewer-rows to replace)"
                )
            )
        return errors

    def _unmapped_fields(self, day_paths: list[str]) -> dict[str, int]:
        """Paths of fields the schema does not know (schema drift), counted over the rows written."""
        written = self.spark.read.schema(self.source.output_schema()).parquet(*day_paths)
        keys = written.select(F.explode(self.source.unmapped_keys(F.col(UNMAPPED))))
        return {row[0]: int(row[1]) for row in keys.groupBy("col").count().orderBy("col").collect()}


def run_job(spark: SparkSession, config: JobConfig, s3_client=None) -> RunReport:
    return Job(spark, config, s3_client).run()


__all__ = ["Job", "run_job"]
