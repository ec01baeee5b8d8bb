"""Warm step costs of the flow-log run's variants in one session (issue 26, benchmarks/profile.md).

    .venv/bin/python -m benchmarks.flow_steps [--scale 1] [--rounds 2] [--only PREFIX,...]

Each line is one Spark action over the KST day of the text corpus at a scale (benchmarks/flowcorpus.py), after a
warm-up, the steps of a round alternated: the read and typing up to the table's columns (`write.format("noop")`),
then the shuffle by interface, then the sorted zstd Parquet write into a scratch folder. CPU seconds are the whole
process tree's (the Python driver and its JVM: local mode), wall seconds the action's. `wholestage` lines run with
`spark.sql.codegen.wholeStage=true`, the others with the job's settings (session.JOB_SQL_CONF).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time

from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from benchmarks.corpus import DAY
from benchmarks.flowcorpus import ensure_flow_corpus
from benchmarks.measure import TICKS, load_average, sample_tree
from cloudtrail_etl import transform as T
from cloudtrail_etl.plan import RunPlan
from cloudtrail_etl.sources import vpcflow as V
from cloudtrail_etl.writer import parquet_options

WHOLESTAGE = "spark.sql.codegen.wholeStage"


def _cpu(ticks: dict[int, int]) -> float:
    sample_tree(os.getpid(), ticks)
    return sum(ticks.values()) / TICKS


def csv_records(spark, run_input, header: str):
    """The day's typed rows through Spark's CSV reader (sep " ", every field a string, no quotes, a corrupt-record
    column for lines whose field count does not match): what a CSV fast read would cost (one format, one flow log)."""
    names = header.split(" ")
    schema = StructType(
        [StructField(f"_c{i}", StringType()) for i in range(len(names))] + [StructField("_bad", StringType())]
    )
    folders = sorted({f.uri.rsplit("/", 1)[0] for f in run_input.files})
    raw = (
        spark.read.schema(schema)
        .option("sep", " ")
        .option("quote", "\u0000")
        .option("escape", "\u0000")
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", "_bad")
        .option("nullValue", "-")
        .option("pathGlobFilter", "*" + V.LOG_SUFFIX)
        .csv(folders)
    )
    made = F.regexp_extract(F.col("_metadata.file_name"), V.DELIVERY_TIME_IN_NAME, 1)
    raw = raw.filter(made >= F.lit(run_input.delivered_since))
    at = {name: i for i, name in enumerate(names)}
    one = run_input.files[0].name
    lines = raw.select(
        F.col("_metadata.file_path").alias(T.SOURCE_FILE),
        F.lit(None).cast("int").alias(T.RECORD_INDEX),
        F.lit(None).cast("string").alias(T.RECORD_TEXT),
        (F.col("_c0") == F.lit(names[0])).alias("_is_header"),
        F.col("_bad"),
        *V._namedfile_columns(F.lit(one)),
        F.lit(None).cast("map<string,string>").alias(V.UNMAPPED),
        *[F.col(f"_c{i}") for i in range(len(names))],
    )
    typed, checks = [], []
    for name, kind, _, _ in V.known_fields():
        column = V.column_name(name)
        if name not in at:
            typed.append(F.lit(None).cast(kind).alias(column))
            continue
        text = F.col(f"_c{at[name]}")
        if kind == "string":
            typed.append(text.alias(column))
            continue
        number = F.expr(f"try_cast(_c{at[name]} as {kind})")
        typed.append(number.alias(column))
        checks.append((name, text.isNotNull() & number.isNull()))
    reason = F.when(F.col("_bad").isNotNull(), F.lit(V.REASON_FIELD_COUNT))
    for name, bad in checks:
        reason = reason.when(bad, F.lit(V.REASON_NOT_A_NUMBER.format(field=name)))
    checked = lines.select(*V.FILE_COLUMNS, "_is_header", reason.alias(T.QUARANTINE_REASON), *typed)
    return V.placed(checked).filter(~F.col("_is_header"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.flow_steps")
    parser.add_argument("--scale", type=float, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated step names to run, each with its wholestage twin")
    args = parser.parse_args(argv)
    os.environ.setdefault("CLOUDTRAIL_ETL_MASTER", "local[2]")
    from cloudtrail_etl.session import JOB_SQL_CONF, get_spark

    spark = get_spark("flow-steps")
    spark.sparkContext.setLogLevel("ERROR")
    scale = float(args.scale)
    corpus = ensure_flow_corpus(int(scale) if scale.is_integer() else scale)
    plan = RunPlan(DAY, DAY)
    source = V.VpcFlowLogs()
    run_input = source.discover(str(corpus.root), plan.folder_days, plan.delivered_since)
    header = V.first_line(run_input.files[0].uri)
    scratch = tempfile.mkdtemp(prefix="flow-steps-")
    buckets = plan.buckets_per_day(run_input.total_bytes, 2, source.shuffle_bytes_per_folder_byte)

    def fast():
        return T.keep_days(V.fast_read(spark, run_input).records, plan.first_day, plan.last_day)

    def csv():
        return T.keep_days(csv_records(spark, run_input, header), plan.first_day, plan.last_day)

    def shuffled(records):
        return T.cluster_by_day(records, plan.days, buckets, source.distribution_key())

    def write(records, sort_columns=source.sort_columns, blooms=source.bloom_filter_columns, **extra):
        table = source.to_table(records).sortWithinPartitions(T.PROC_YMD, *sort_columns)
        options = {**parquet_options(blooms, source.row_group_bytes), **extra}
        table.write.mode("overwrite").partitionBy(T.PROC_YMD).options(**options).parquet(f"{scratch}/t")
        return None

    def noop(records):
        source.to_table(records).write.format("noop").mode("overwrite").save()

    steps = {
        "fast: read + type + day": lambda: noop(fast()),
        "csv: read + type + day": lambda: noop(csv()),
        "fast: + shuffle": lambda: noop(shuffled(fast())),
        "fast: + shuffle + sorted zstd write": lambda: write(shuffled(fast())),
        "fast: no shuffle, sorted zstd write": lambda: write(fast()),
        "fast: + shuffle + write sorted by action, interface_id": lambda: write(
            shuffled(fast()), ("action", "interface_id")
        ),
        "fast: + shuffle + sorted zstd write without bloom filters": lambda: write(shuffled(fast()), blooms=()),
        "fast: + shuffle + sorted snappy write": lambda: write(shuffled(fast()), compression="snappy"),
        "fast: + shuffle + unsorted zstd write": lambda: write(shuffled(fast()), sort_columns=()),
    }
    # Each step with the job's settings, then with whole-stage codegen on: the pairs alternate.
    variants = [v for name, build in steps.items() for v in ((name, False, build), (f"wholestage {name}", True, build))]
    if args.only:
        wanted = set(args.only.split(","))
        variants = [v for v in variants if v[0].removeprefix("wholestage ") in wanted]
    print(f"{corpus.records_in_day:,} records in the day; {buckets} buckets; load {load_average()}", flush=True)
    noop(fast())  # warm-up
    ticks: dict[int, int] = {}
    for round_ in range(args.rounds):
        for name, wholestage, build in variants if round_ % 2 == 0 else list(reversed(variants)):
            spark.conf.set(WHOLESTAGE, str(wholestage).lower())
            before, started = _cpu(ticks), time.monotonic()
            build()
            print(
                f"round {round_ + 1} | {name} | {time.monotonic() - started:.1f} s | {_cpu(ticks) - before:.1f} CPU s "
                f"| load {load_average()}",
                flush=True,
            )
        spark.conf.set(WHOLESTAGE, JOB_SQL_CONF[WHOLESTAGE])
    if os.path.isdir(f"{scratch}/t"):
        rows = spark.read.parquet(f"{scratch}/t").count()
        print(f"last write: {rows:,} rows", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
