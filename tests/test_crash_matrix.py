"""A run killed right after each change it makes to a table: afterwards the day is its old or its new version,
never missing, doubled or half-written, and the next run (or `recover`) finishes the crashed one.

The scenario: day 2026-01-02 is in the table (2 rows, 1 quarantined record) with its Glue partition (--catalog-table,
moto's Glue). New deliveries arrive (3 more events, 1 more bad record) and a re-run of the day is crashed after its
Nth change, for every N (CRASH_POINTS lists them: lock, journal, each file in and out, the quarantine's swap, the
catalog calls, the clean-up, the release). Then, from the same crashed state (restored from a snapshot):

(b) the raw files have expired: the next run finds no delivery file, recovers the day first, and the day holds all
    the rows of one version (its report says what it recovered);
(a) the raw files are still there: the next run writes the new version and leaves nothing in OUTPUT_staging/.

The crash is simulated in-process (faults.simulate_crash_after): the Nth change raises SimulatedCrash, a
BaseException no `except Exception` of the job catches, and every later change raises it too BEFORE it happens, so
no clean-up (the `finally` that releases the lock, the staging delete) can change anything after the crash point:
what is on disk is exactly what a killed process leaves. The lock then still names this (living) test process; the
test rewrites its pid to one that has exited, which is what a real crash leaves. Real kills of a subprocess
(os._exit after a change) are in test_crash_safety.py. One Spark session serves every case: ~1-2 s a run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from cloudtrail_etl import faults
from tests.aws import client, moto_endpoint, reset_moto  # noqa: F401
from tests.conftest import read_table_dir, run_cli_captured, write_delivery

ACCOUNT_FOLDER = "AWSLogs/111122223333/CloudTrail/ap-northeast-2/2026/01/02"
OLD_IDS = ["old-1", "old-2"]
NEW_IDS = ["new-1", "new-2", "new-3", "old-1", "old-2"]
CODE = "20260102"

# The changes of the crashed re-run, in order (faults.changes()); N in the matrix is the position here, from 1.
CRASH_POINTS = [
    "lock: taken",
    "journal: planned",
    "proc_ymd=20260102: new file in",
    "proc_ymd=20260102: old file out",
    "journal: proc_ymd=20260102 done",
    "quarantine proc_ymd=20260102: new file in",
    "quarantine proc_ymd=20260102: new file in",
    "quarantine proc_ymd=20260102: old file out",
    "journal: quarantine proc_ymd=20260102 done",
    "glue batch_create_partition",
    "glue batch_update_partition",
    "staging: run folder removed",
    "lock: released",
]

# (a), a re-run with the raw files, costs a whole conversion: it is checked after a swap half done and after the
# journal is gone but the lock left; (b) after every crash point.
FULL_RERUN_AFTER = {
    "lock: taken",
    "proc_ymd=20260102: new file in",
    "glue batch_create_partition",
    "staging: run folder removed",
}


def event(event_id: str) -> dict:
    return {"eventID": event_id, "eventTime": "2026-01-02T01:00:00Z", "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject"}  # fmt: skip


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def kill_holder(staging: Path) -> None:
    """What a crash leaves: a lock whose process no longer exists."""
    lock = staging / "_lock.json"
    if lock.exists():
        record = json.loads(lock.read_text())
        record["pid"] = dead_pid()
        lock.write_text(json.dumps(record))


def short(name: str) -> str:
    """A change's name without the file name (`...: new file in: part-0000-....parquet`)."""
    parts = name.split(": ")
    return ": ".join(parts[:2]) if parts[0].endswith(CODE) else name


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, moto_endpoint, spark):  # noqa: F811
    """The day's old version written once (table, quarantine, Glue partition), kept as a snapshot; the new
    deliveries beside the old one."""
    root = tmp_path_factory.mktemp("crash")
    inputs = root / "in"
    write_delivery(inputs / ACCOUNT_FOLDER / "a.json.gz", [event(i) for i in OLD_IDS] + [{"eventID": "bad-1"}])
    out = root / "t"
    args = ["--input", str(inputs), "--output", str(out), "--date", "2026-01-02", "--catalog-table", "db.ct"]
    reset_moto(moto_endpoint)
    faults.simulate_crash_after(None)
    code, report = run_cli_captured(*args)
    assert code == 0 and report["rows_written"] == 2 and report["events_quarantined"] == 1
    new_ids = [i for i in NEW_IDS if i.startswith("new")]
    write_delivery(inputs / ACCOUNT_FOLDER / "b.json.gz", [event(i) for i in new_ids] + [{"eventID": "bad-2"}])
    expired = root / "expired"
    (expired / "AWSLogs").mkdir(parents=True)
    snapshot(out, root / "old")
    return {"out": out, "args": args, "expired": expired, "old": root / "old", "endpoint": moto_endpoint}


@pytest.fixture
def table(baseline):
    """The old version back in place: its folders from the snapshot, its Glue table and partition anew."""
    from cloudtrail_etl.catalog import update_catalog_table

    reset_moto(baseline["endpoint"])
    glue = client("glue", baseline["endpoint"])
    restore(baseline["out"], baseline["old"])
    update_catalog_table(glue, "db", "ct", str(baseline["out"]), [CODE])
    faults.simulate_crash_after(None)
    yield {**baseline, "glue": glue}
    faults.simulate_crash_after(None)


def day_ids(out: Path) -> list[str]:
    return sorted(r["eventid"] for r in read_table_dir(out / f"proc_ymd={CODE}"))


def quarantined(out: Path) -> list[str]:
    import gzip

    folder = Path(str(out) + "_quarantine") / f"proc_ymd={CODE}"
    records = []
    for path in sorted(folder.glob("part-*")):
        for line in gzip.decompress(path.read_bytes()).decode().splitlines():
            records.append(json.loads(json.loads(line)["record"])["eventID"])
    return sorted(records)


def staging_leftovers(out: Path) -> list[str]:
    staging = Path(str(out) + "_staging")
    return sorted(p.name for p in staging.iterdir()) if staging.exists() else []


def partition_location(glue) -> str:
    partitions = glue.get_partitions(DatabaseName="db", TableName="ct")["Partitions"]
    assert [p["Values"] for p in partitions] == [[CODE]]
    return partitions[0]["StorageDescriptor"]["Location"].rstrip("/")


def snapshot(out: Path, into: Path) -> None:
    for suffix in ("", "_staging", "_quarantine"):
        source = Path(str(out) + suffix)
        if source.exists():
            shutil.copytree(source, into / source.name, symlinks=True)


def restore(out: Path, into: Path) -> None:
    for suffix in ("", "_staging", "_quarantine"):
        target = Path(str(out) + suffix)
        shutil.rmtree(target, ignore_errors=True)
        if (into / target.name).exists():
            shutil.copytree(into / target.name, target, symlinks=True)


def test_the_crash_points_are_every_change_of_a_rerun(table):
    faults.simulate_crash_after(None)
    code, report = run_cli_captured(*table["args"])
    assert code == 0 and report["rows_written"] == 5
    assert [short(name) for name in faults.changes()] == CRASH_POINTS


@pytest.mark.parametrize("point", range(1, len(CRASH_POINTS) + 1), ids=CRASH_POINTS)
def test_a_crash_after_each_change(table, point, tmp_path):
    """(b) after every crash point, (a) after those of FULL_RERUN_AFTER."""
    out, args = table["out"], table["args"]
    faults.simulate_crash_after(point)
    with pytest.raises(faults.SimulatedCrash):
        run_cli_captured(*args)
    faults.simulate_crash_after(None)
    kill_holder(Path(str(out) + "_staging"))
    # What a reader of the files sees right after the crash: the old day, the new one, or (only between the first new
    # file in and the last old file out) both; never less than the old day.
    assert set(OLD_IDS) <= set(day_ids(out)) <= set(NEW_IDS)
    crashed = tmp_path / "crashed"
    snapshot(out, crashed)

    # (b) the raw files expired: the next run recovers the day, then finds nothing to convert.
    expired_args = [*args]
    expired_args[1] = str(table["expired"])
    code, report = run_cli_captured(*expired_args)
    assert code == 0, report["error"]
    assert report["input_files"] == 0 and report["status"] == "succeeded"
    ids, bad = day_ids(out), quarantined(out)
    assert ids in (OLD_IDS, NEW_IDS)
    assert bad in (["bad-1"], ["bad-1", "bad-2"])
    assert staging_leftovers(out) == []
    assert partition_location(table["glue"]) == str(out / f"proc_ymd={CODE}")
    journaled = 2 <= point <= 10  # a journal existed and was not yet removed
    if journaled:
        days = {entry["day"] for entry in report["recovered"]}
        assert {entry["run_id"] for entry in report["recovered"]} and "catalog (table)" in days
        assert ids == NEW_IDS  # a journaled swap is always rolled forward: its staged day was complete
    if point == CRASH_POINTS.index("staging: run folder removed") + 1:
        assert report["recovered"] == []

    if CRASH_POINTS[point - 1] not in FULL_RERUN_AFTER:
        return
    # (a) from the same crashed state, the raw files still there: the next run gives the new day, nothing left over.
    restore(out, crashed)
    code, report = run_cli_captured(*args)
    assert code == 0, report["error"]
    assert day_ids(out) == NEW_IDS and report["days"][0]["rows_before"] in (2, 5)
    assert quarantined(out) == ["bad-1", "bad-2"]
    assert staging_leftovers(out) == []
    assert partition_location(table["glue"]) == str(out / f"proc_ymd={CODE}")
    assert [p.name for p in out.iterdir()] == [f"proc_ymd={CODE}"]


def test_a_crash_right_after_the_crawler_was_started(table, moto_endpoint):  # noqa: F811
    """Crawler mode: the crawl is the catalog step; a recovery starts it again, or leaves a running one be."""
    from tests.aws import crawls_finish_immediately

    out, glue = table["out"], table["glue"]
    glue.create_crawler(Name="ct-crawler", Role="arn:aws:iam::123456789012:role/r", DatabaseName="db",
                        Targets={"S3Targets": [{"Path": str(out)}]})  # fmt: skip
    crawls_finish_immediately(moto_endpoint)
    args = [*table["args"][:-2], "--crawler", "ct-crawler"]
    faults.simulate_crash_after(None)
    points = [short(name) for name in CRASH_POINTS]
    point = points.index("glue batch_create_partition") + 1  # the crawler's place in the sequence
    faults.simulate_crash_after(point)
    with pytest.raises(faults.SimulatedCrash):
        run_cli_captured(*args)
    assert faults.changes()[-1] == "glue start_crawler"
    faults.simulate_crash_after(None)
    kill_holder(Path(str(out) + "_staging"))
    expired_args = [*args]
    expired_args[1] = str(table["expired"])
    code, report = run_cli_captured(*expired_args)
    assert code == 0 and day_ids(out) == NEW_IDS and quarantined(out) == ["bad-1", "bad-2"]
    assert [(r["day"], r["action"]) for r in report["recovered"]] == [("catalog (crawler)", "repeated")]
    assert staging_leftovers(out) == []
