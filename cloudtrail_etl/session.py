"""The Spark session and the settings the job relies on, wherever it runs."""

from __future__ import annotations

import atexit
import collections
import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence

from pyspark.sql import SparkSession

from cloudtrail_etl.errors import JavaMissing, JobError, SparkStartFailed, describe

# SQL settings applied at run time, so they hold under spark-submit, on EMR and on Glue alike.
JOB_SQL_CONF = {
    # A JSON object with a repeated key must not fail the run: the last value wins, as in most JSON readers.
    "spark.sql.mapKeyDedupPolicy": "LAST_WIN",
    # INT64 timestamps carry min/max statistics that engines use to skip row groups.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    # No whole-stage code generation. The typed projection of ~150 columns (transform.type_records) otherwise becomes
    # one generated method of ~320 KB of machine code that HotSpot's C2 took 14 s to compile. Without it: -7% CPU at
    # 1x (4 pairs, near the noise) and -14% at 4x (2 pairs), rows and bytes unchanged (benchmarks/profile.md,
    # 2026-11-30, a loaded machine). Measured locally only, not on EMR or Glue.
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.adaptive.coalescePartitions.enabled": "true",
    # After the dedup shuffle, partitions of ~128 MiB (shuffle bytes) become output files of ~15-20 MiB of zstd
    # Parquet: a day of a busy trail is a handful of files, an organization trail more, never thousands.
    "spark.sql.adaptive.advisoryPartitionSizeInBytes": "128m",
}


# Java options of the JVM this job starts itself (local runs; spark-submit, EMR and Glue start their own).
# HotSpot's C2 compiler spent 70 of 190 CPU seconds of a 435K-event run on two cores compiling Spark's generated
# code and Spark itself, much of it for methods that are not hot enough to pay the compile back. Raising the C2
# thresholds (C1 code runs meanwhile) cut that run from 92 s to 69 s and a 1.7M-event run from 131 s to 117 s
# (benchmarks/profile.md). Compiling with C1 only was faster on the small run (60 s) and far slower on the big
# one (166 s). CLOUDTRAIL_ETL_DRIVER_JAVA_OPTIONS replaces them ("" for the JVM's defaults).
LOCAL_JAVA_OPTIONS = (
    "-XX:Tier4InvocationThreshold=50000 -XX:Tier4MinInvocationThreshold=20000 "
    "-XX:Tier4CompileThreshold=60000 -XX:Tier4BackEdgeThreshold=400000"
)


# Local runs show the job's own lines only: Spark's logging below this level is hidden (start-up warnings about the
# hostname or native libraries, plan-string truncation, ...). Set the variable to WARN or INFO to see it again, or
# to "" for Spark's own logging configuration. spark-submit, EMR and Glue keep the operator's configuration.
SPARK_LOG_LEVEL_ENV = "CLOUDTRAIL_ETL_SPARK_LOG_LEVEL"
DEFAULT_LOCAL_SPARK_LOG_LEVEL = "ERROR"
# The root level stays at WARN: Spark treats a PySpark driver as a shell and otherwise announces that it changes the
# level to WARN. The console's threshold filter applies the level asked for.
_LOG4J2_PROPERTIES = """\
rootLogger.level = {root_level}
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.filter.threshold.type = ThresholdFilter
appender.console.filter.threshold.level = {level}
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{{yy/MM/dd HH:mm:ss}} %p %c{{1}}: %m%n%ex
"""
_MORE_THAN_WARN = ("INFO", "DEBUG", "TRACE", "ALL")
# Spark logs each corrupt file it skips (ignoreCorruptFiles) at WARN with a stack trace. The job finds and reports
# those files itself (bad_files), so that expected condition is logged at ERROR level or not at all, on every runtime.
QUIET_LOGGERS = ("org.apache.spark.sql.execution.datasources.FileScanRDD",)


def _log4j2_options() -> str:
    """-Dlog4j2.configurationFile for the local JVM, written to a temporary file (works from a zip too)."""
    level = os.environ.get(SPARK_LOG_LEVEL_ENV, DEFAULT_LOCAL_SPARK_LOG_LEVEL).strip().upper()
    if not level:
        return ""
    handle, path = tempfile.mkstemp(prefix="cloudtrail-etl-log4j2-", suffix=".properties")
    with os.fdopen(handle, "w") as out:
        out.write(_LOG4J2_PROPERTIES.format(level=level, root_level=level if level in _MORE_THAN_WARN else "WARN"))
    _LOG4J2_FILES.append(path)
    atexit.register(_remove_log4j2_files)  # also when the JVM never started
    return f"-Dlog4j2.configurationFile=file:{path}"


_LOG4J2_FILES: list[str] = []


def _remove_log4j2_files() -> None:
    """The JVM reads its logging configuration once, at start-up: the file is not needed once Spark runs."""
    while _LOG4J2_FILES:
        with contextlib.suppress(OSError):
            os.unlink(_LOG4J2_FILES.pop())


def quiet_handled_conditions(spark: SparkSession) -> None:
    """Raise QUIET_LOGGERS to ERROR in the driver's JVM (all of local mode; a cluster's executors log on their own)."""
    jvm = spark.sparkContext._jvm
    try:
        level = jvm.org.apache.logging.log4j.Level.ERROR
        for name in QUIET_LOGGERS:
            jvm.org.apache.logging.log4j.core.config.Configurator.setLevel(name, level)
    except Exception:  # a runtime without log4j2-core: its logging stays as configured
        return


# What Spark logs when a task fails: the executor's exception (ERROR, with its Java trace), the scheduler's lost task
# and aborted stage, the writer's aborted job. Expected while a fast read meets a file only the exact read handles:
# that attempt says so in one line of ours (quiet_task_failures).
TASK_FAILURE_LOGGERS = (
    "org.apache.spark.executor.Executor",
    "org.apache.spark.scheduler.TaskSetManager",
    "org.apache.spark.scheduler.TaskSchedulerImpl",
    "org.apache.spark.sql.execution.datasources.FileFormatWriter",
    "org.apache.spark.sql.execution.datasources.FileFormatDataWriter",
    "org.apache.spark.util.Utils",
)


@contextlib.contextmanager
def quiet_task_failures(spark: SparkSession, loggers: Sequence[str] = TASK_FAILURE_LOGGERS) -> Iterator[None]:
    """Turn Spark's task-failure loggers off in the driver's JVM for the block, then back to their levels.

    The driver logs every failed task of a cluster too (the executors' own logs stay on their hosts). A runtime
    without log4j2-core keeps its logging as configured."""
    try:
        jvm = spark.sparkContext._jvm
        log_manager, configurator = jvm.org.apache.logging.log4j.LogManager, jvm.org.apache.logging.log4j.core.config
        before = {name: log_manager.getLogger(name).getLevel() for name in loggers}
        off = jvm.org.apache.logging.log4j.Level.OFF
        for name in loggers:
            configurator.Configurator.setLevel(name, off)
    except Exception:
        before = None
    try:
        yield
    finally:
        if before is not None:
            with contextlib.suppress(Exception):
                for name, level in before.items():
                    configurator.Configurator.setLevel(name, level)


def check_java() -> None:
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    raise JavaMissing(
        "Java 17 is required: install a JDK (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
    )


def get_spark(app_name: str = "cloudtrail-etl") -> SparkSession:
    """Reuse the runtime's session (spark-submit, EMR, Glue); locally start one on all cores.

    Any failure to get a session is a SparkStartFailed (exit 8), one line for every command."""
    try:
        return _get_spark(app_name)
    except JobError:
        raise
    except Exception as exc:  # the JVM could not be reached
        raise SparkStartFailed(f"Spark did not start: {describe(exc)}") from exc


def _get_spark(app_name: str) -> SparkSession:
    from pyspark import SparkContext

    builder = SparkSession.builder.appName(app_name)
    launched_by_spark_submit = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit, EMR, Glue
    if not launched_by_spark_submit and SparkContext._gateway is None:
        local = {
            "spark.app.name": app_name,
            "spark.master": os.environ.get("CLOUDTRAIL_ETL_MASTER", "local[*]"),
            "spark.driver.memory": os.environ.get("CLOUDTRAIL_ETL_DRIVER_MEMORY", "2g"),
            "spark.driver.extraJavaOptions": _local_java_options(),
            "spark.ui.showConsoleProgress": "false",
            "spark.ui.enabled": "false",
        }
        _start_local_jvm(local)
        for key, value in local.items():
            builder = builder.config(key, value)
    spark = builder.getOrCreate()
    _remove_log4j2_files()  # log4j2 configured itself when the JVM started
    quiet_handled_conditions(spark)
    apply_job_conf(spark)
    return spark


# What the local JVM prints on stderr that is not Spark's logging and says nothing to a user: Spark 4's launcher
# always adds the incubator module jdk.incubator.vector, and the JVM then warns about it (no JVM flag turns it off).
_JVM_NOISE = (b"WARNING: Using incubator modules",)


def _start_local_jvm(settings: dict[str, str]) -> None:
    """Launch the local JVM with its stderr passed on through a filter that drops _JVM_NOISE.

    The reader runs before the launch (a JVM that fills the pipe before it reports its port would wait forever),
    and when the JVM exits at start-up its last lines become the error (an invalid -Xmx, a Java too old)."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    read_end, write_end = os.pipe()
    recent: collections.deque[str] = collections.deque(maxlen=5)
    threading.Thread(target=_pass_on_stderr, args=(read_end, recent), daemon=True).start()
    conf = SparkConf(loadDefaults=False).setAll(list(settings.items()))
    try:
        gateway = launch_gateway(conf, popen_kwargs={"stderr": write_end})
    except Exception as exc:
        time.sleep(0.2)  # let the reader take the JVM's last words
        said = " / ".join(line for line in recent if line)
        raise SparkStartFailed(f"Java did not start Spark: {said or describe(exc)}") from exc
    finally:
        os.close(write_end)
    SparkContext._ensure_initialized(gateway=gateway, conf=conf)


def _pass_on_stderr(read_end: int, recent: collections.deque) -> None:
    # os.write on fd 2, not sys.stderr: no Python lock that a daemon thread could hold at interpreter shutdown.
    with os.fdopen(read_end, "rb") as stream:
        for line in iter(stream.readline, b""):
            if line.startswith(_JVM_NOISE):
                continue
            recent.append(line.decode("utf-8", "replace").strip())
            with contextlib.suppress(OSError):  # stderr closed: keep draining, or the JVM would block on its next write
                os.write(2, line)


def _local_java_options() -> str:
    options = os.environ.get("CLOUDTRAIL_ETL_DRIVER_JAVA_OPTIONS", LOCAL_JAVA_OPTIONS)
    return f"{options} {_log4j2_options()}".strip()


def apply_job_conf(spark: SparkSession) -> None:
    for key, value in JOB_SQL_CONF.items():
        spark.conf.set(key, value)
