"""The exact partition mapping behind cluster_by_day: each (day, bucket) in a task of its own, one shuffle."""

import datetime as dt

import pytest
from pyspark.sql import functions as F

from cloudtrail_etl import transform as T
from cloudtrail_etl.partitioning import partition_values, spark_hash_long
from cloudtrail_etl.plan import RunPlan, whole_waves
from cloudtrail_etl.sources.cloudtrail import CloudTrail
from cloudtrail_etl.sources.cloudtrail import records as R


def test_spark_hash_long_is_sparks_hash_of_a_bigint(spark):
    values = [0, 1, -1, 42, 2**31, -(2**31) - 1, 2**62, -(2**63), 2**63 - 1, 123456789012345, *range(100, 160)]
    rows = spark.createDataFrame([(v,) for v in values], "v bigint").select("v", F.hash("v").alias("h")).collect()
    assert [(row.v, row.h) for row in rows] == [(v, spark_hash_long(v)) for v in values]


@pytest.mark.parametrize("partitions", [1, 2, 3, 7, 30])
def test_each_value_goes_to_its_own_partition(spark, partitions):
    values = partition_values(partitions)
    df = spark.createDataFrame(list(enumerate(values)), "i int, v bigint").repartition(partitions, "v")
    placed = {row.i: row.p for row in df.select("i", F.spark_partition_id().alias("p")).collect()}
    assert placed == {i: i for i in range(partitions)}


def test_days_are_clustered_into_their_own_tasks_and_deduplicated_with_one_shuffle(spark):
    days = [dt.date(2026, 1, 2), dt.date(2026, 1, 3), dt.date(2026, 1, 4)]
    rows = [
        (f"f{i % 5}.json.gz", i, {"eventID": f"e{i % 40}"}, f"{days[(i % 40) % 3]:%Y%m%d}") for i in range(120)
    ]  # every eventID three times, always on the same day
    df = spark.createDataFrame(
        rows, f"{T.SOURCE_FILE} string, {T.RECORD_INDEX} int, {R.ROOT_OBJECT} map<string,string>, {T.PROC_YMD} string"
    )
    clustered = T.cluster_by_day(df, days, 2, T.dedup_key(R.record_event_id()))
    deduped = T.drop_duplicate_deliveries(clustered, R.record_event_id(), within=[T.SLOT])
    assert deduped._jdf.queryExecution().executedPlan().toString().count("Exchange ") == 1
    result = deduped.select(
        T.PROC_YMD, F.spark_partition_id().alias("task"), F.col(R.ROOT_OBJECT)["eventID"].alias("id")
    )
    collected = result.collect()
    assert sorted(row.id for row in collected) == sorted(f"e{n}" for n in range(40))
    tasks_of_day = {}
    for row in collected:
        tasks_of_day.setdefault(row[T.PROC_YMD], set()).add(row.task)
    assert all(len(tasks) <= 2 for tasks in tasks_of_day.values())  # 2 buckets a day
    assert len(set().union(*tasks_of_day.values())) == sum(len(tasks) for tasks in tasks_of_day.values())


def test_buckets_per_day_keep_cores_busy_but_not_with_tiny_tasks():
    day = RunPlan(dt.date(2026, 1, 2), dt.date(2026, 1, 2))
    mib = 1024 * 1024
    shuffle = CloudTrail.shuffle_bytes_per_folder_byte
    assert day.buckets_per_day(72 * mib, 2, shuffle) == 2  # the benchmark day on two cores
    assert day.buckets_per_day(1 * mib, 64, shuffle) == 1  # a quiet trail on a big cluster: one file
    assert day.buckets_per_day(4000 * mib, 2, shuffle) == 76  # an organization trail: ~128 MiB tasks, 38 waves
    assert day.buckets_per_day(264 * mib, 2, shuffle) == 6  # the 4x day: 5 tasks of 128 MiB would leave a core idle
    week = RunPlan(dt.date(2026, 1, 2), dt.date(2026, 1, 8))
    assert week.buckets_per_day(8 * 36 * mib, 2, shuffle) == 2


def test_whole_waves_fill_the_last_wave_without_splitting_days_much_further():
    assert whole_waves(5, days=1, parallelism=2) == 6
    assert whole_waves(3, days=3, parallelism=2) == 4  # 12 tasks, not 9
    assert whole_waves(1, days=7, parallelism=2) == 1  # 14 tasks would halve every file: 7 it is
    assert whole_waves(400, days=1, parallelism=1600) == 400  # one wave already
    assert whole_waves(6, days=1, parallelism=4) == 8
    assert whole_waves(5, days=1, parallelism=8) == 5  # one wave
