"""Warm step costs of the two CloudTrail readers on Spark 4, in one session (benchmarks/profile.md).

    .venv-spark4/bin/python -m benchmarks.variant_steps [--rounds 2]

Each line is one Spark action (`write.format("noop")`) over the 1x corpus's two UTC folders, run after a warm-up,
the variants of a round alternated; CPU seconds are the JVM's (user + system, /proc), wall seconds the action's.
The key-listing lines price the ways of finding a record's unknown keys from a VARIANT.
"""

from __future__ import annotations

import argparse
import os
import time

from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, BooleanType, StructType, TimestampType

from benchmarks.corpus import ensure_corpus
from cloudtrail_etl.sources.cloudtrail import records as R
from cloudtrail_etl.sources.cloudtrail import variant_reader as V
from cloudtrail_etl.sources.cloudtrail.reader import read_delivery_files
from cloudtrail_etl.sources.cloudtrail.schema import record_schema

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as stat:
        fields = stat.read().rpartition(b")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _by_paths(record, struct: StructType, path: str):
    """The typed record read by `variant_get` paths alone: what a fast path for records without unknown keys or
    case variants would compute (payloads as JSON text, booleans and timestamps as the readers type them)."""
    fields = []
    for field in struct:
        here = f"{path}.{field.name}"
        if isinstance(field.dataType, StructType):
            fields.append(_by_paths(record, field.dataType, here).alias(field.name))
            continue
        if isinstance(field.dataType, ArrayType):
            value = F.try_variant_get(record, here, field.dataType.simpleString())
        else:
            text = F.try_variant_get(record, here, "string")
            if isinstance(field.dataType, BooleanType):
                value = F.when(F.lower(text) == "true", F.lit(True)).when(F.lower(text) == "false", F.lit(False))
            elif isinstance(field.dataType, TimestampType):
                value = R.parse_instant(text)
            else:
                value = text
        fields.append(value.alias(field.name))
    return F.struct(*fields)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.variant_steps")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated step name prefixes to run (default: all)")
    args = parser.parse_args(argv)
    os.environ.setdefault("CLOUDTRAIL_ETL_MASTER", "local[2]")
    from cloudtrail_etl.session import get_spark

    spark = get_spark("variant-steps")
    spark.sparkContext.setLogLevel("ERROR")
    jvm = int(spark._jvm.java.lang.ProcessHandle.current().pid())
    corpus = ensure_corpus(1)
    folders = [str(p) for p in sorted(corpus.root.glob("AWSLogs/*/CloudTrail/*/2026/01/0[12]"))]

    def map_records():
        return R.place_in_time(R.explode_records(read_delivery_files(spark, folders)))

    def variant_records():
        return V.place_in_time(V.explode_records(V.read_delivery_files_variant(spark, folders)))

    record = F.col(V.RECORD_VARIANT)
    payloads = ("requestParameters", "responseElements", "additionalEventData", "serviceEventDetails")
    steps = {
        "map: read + explode + place": lambda: map_records(),
        "variant: read + explode + place, the record variant not kept": lambda: variant_records().drop(
            V.RECORD_VARIANT
        ),
        "variant: + the 4 payloads as JSON text (cast to string)": lambda: variant_records().select(
            *[F.try_variant_get(record, f"$.{name}", "string").alias(name) for name in payloads]
        ),
        "variant: read + explode + place": lambda: variant_records(),
        "variant: + root keys, cast to map<string,variant>": lambda: variant_records().select(
            F.size(F.map_keys(F.try_variant_get(record, "$", "map<string,variant>"))).alias("n")
        ),
        "variant: + root keys, schema_of_variant": lambda: variant_records().select(
            F.length(F.schema_of_variant(record)).alias("n")
        ),
        "variant: + root keys, json_object_keys(to_json)": lambda: variant_records().select(
            F.size(F.json_object_keys(F.to_json(record))).alias("n")
        ),
        "map: + type_records (every record)": lambda: R.type_records(map_records(), record_schema()),
        "variant: + every field by its path only (no key checks, no unmapped: a fast path's floor)": lambda: (
            variant_records().select(_by_paths(record, record_schema(), "$").alias("e"))
        ),
        "variant: + type_records (every record)": lambda: V.type_records(variant_records(), record_schema()),
    }
    if args.only:
        steps = {name: build for name, build in steps.items() if any(name.startswith(p) for p in args.only.split(","))}
    variant_records().write.format("noop").mode("overwrite").save()  # warm-up
    map_records().write.format("noop").mode("overwrite").save()
    for round_ in range(args.rounds):
        for name, build in steps.items():
            before, started = _cpu(jvm), time.monotonic()
            build().write.format("noop").mode("overwrite").save()
            print(
                f"round {round_ + 1} | {name} | {time.monotonic() - started:.1f} s | {_cpu(jvm) - before:.1f} CPU s",
                flush=True,
            )
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
