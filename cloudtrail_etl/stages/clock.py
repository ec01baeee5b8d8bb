"""Where a run's time went: the wall seconds of each stage and, for the stages that run Spark tasks, their CPU.

The CPU seconds come from Spark's status store (the data behind the UI and its REST API, kept also with the UI
off): the stages of the jobs run under the stage's own job group, summed `executorCpuTime`. pyspark exposes no
task metrics of its own (its status tracker has task counts only), so the store is reached through py4j; where it
cannot be (Spark Connect, a JVM that lacks the method), the figure is null and the run goes on.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from pyspark.sql import SparkSession

from cloudtrail_etl.progress import say, set_stage

_GROUP_PROPERTIES = ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel")


class StageClock:
    """Times the stages of one run, in order: `with clock.stage("convert", spark_cpu=True): ...`."""

    def __init__(self, spark: SparkSession, run_id: str):
        self._spark = spark
        self._run_id = run_id
        self._stages: list[dict[str, Any]] = []
        self._current: tuple[dict[str, Any], str | None, dict | None, float] | None = None

    @property
    def stages(self) -> list[dict[str, Any]]:
        """The report's `stages`: {"name", "seconds"} per stage run, and "task_cpu_s" where it was measured."""
        return [dict(stage) for stage in self._stages]

    @contextlib.contextmanager
    def stage(self, name: str, spark_cpu: bool = False) -> Iterator[None]:
        """Timed also when the stage fails: the report then shows where the run stopped."""
        self.open(name, spark_cpu)
        try:
            yield
        finally:
            self.close()

    def open(self, name: str, spark_cpu: bool = False) -> None:
        """Start stage `name`, ending the one going on (if it is another)."""
        if self._current is not None:
            if self._current[0]["name"] == name:
                return
            self.close()
        entry: dict[str, Any] = {"name": name, "seconds": 0.0}
        if spark_cpu:
            entry["task_cpu_s"] = None
        self._stages.append(entry)
        set_stage(name)
        group = f"cloudtrail-etl {self._run_id} {name}" if spark_cpu else None
        saved = _enter_job_group(self._spark, group, f"cloudtrail-etl: {name}") if group else None
        self._current = (entry, group, saved, time.monotonic())

    def close(self) -> None:
        """End the stage going on, if any."""
        if self._current is None:
            return
        entry, group, saved, started = self._current
        self._current = None
        entry["seconds"] = round(time.monotonic() - started, 3)
        if group:
            _restore_job_group(self._spark, saved)
            entry["task_cpu_s"] = task_cpu_seconds(self._spark, group)
        cpu = f", tasks {entry['task_cpu_s']:.1f} CPU s" if entry.get("task_cpu_s") is not None else ""
        say(f"{entry['seconds']:.1f} s{cpu}")
        set_stage(None)


def _enter_job_group(spark: SparkSession, group: str, description: str) -> dict[str, str | None] | None:
    """Run the stage's jobs under a group of its own (the Spark UI shows it too); the caller's group is kept."""
    try:
        sc = spark.sparkContext
        saved = {key: sc.getLocalProperty(key) for key in _GROUP_PROPERTIES}
        sc.setJobGroup(group, description, interruptOnCancel=False)
        return saved
    except Exception:  # no SparkContext here (Spark Connect): no CPU figure
        return None


def _restore_job_group(spark: SparkSession, saved: dict[str, str | None] | None) -> None:
    if saved is None:
        return
    try:
        sc = spark.sparkContext
        for key, value in saved.items():
            sc.setLocalProperty(key, value)  # type: ignore[arg-type]  # None removes the property
    except Exception:
        pass


def task_cpu_seconds(spark: SparkSession, group: str) -> float | None:
    """The executors' CPU seconds of the tasks of every Spark stage run under `group` (last attempt of each stage),
    or None when Spark cannot tell."""
    try:
        sc = spark.sparkContext
        tracker = sc.statusTracker()
        stage_ids: set[int] = set()
        for job_id in tracker.getJobIdsForGroup(group):
            info = tracker.getJobInfo(job_id)
            if info is not None:
                stage_ids.update(info.stageIds)
        store = sc._jsc.sc().statusStore()  # type: ignore[union-attr]
        nanos = sum(int(store.lastStageAttempt(stage_id).executorCpuTime()) for stage_id in stage_ids)
        return round(nanos / 1e9, 3)
    except Exception:
        return None


__all__ = ["StageClock", "task_cpu_seconds"]
