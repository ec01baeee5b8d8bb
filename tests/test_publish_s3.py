"""The publish protocol and the lock on moto's S3 and Glue, without Spark: files.py drives S3 with boto3.

A day of old files is in the table with its Glue partition; a staged day of new files replaces it. The swap is
crashed (in-process, faults.simulate_crash_after: nothing changes after the crash point) after each of its changes,
including the two UpdatePartition calls, and then recovered. What Athena reads through the partition is checked
at the crash point: it must be a complete version (all old files, or all new ones), never missing.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from cloudtrail_etl import faults
from cloudtrail_etl.errors import TableLocked
from cloudtrail_etl.files import Files
from cloudtrail_etl.lock import S3LockObject, TableLock
from cloudtrail_etl.publish import Publisher, partition_of, plan_swap
from tests.aws import client, moto_endpoint, reset_moto  # noqa: F401

BUCKET = "lake"
ROOT = f"s3://{BUCKET}/tables/ct"
STAGING = ROOT + "_staging"
CODE = "20260102"
OLD = [f"part-{i:05d}-old.parquet" for i in range(3)]
NEW = [f"part-{i:05d}-new.parquet" for i in range(4)]


@pytest.fixture
def aws(moto_endpoint):  # noqa: F811
    reset_moto(moto_endpoint)
    s3, glue = client("s3", moto_endpoint), client("glue", moto_endpoint)
    s3.create_bucket(Bucket=BUCKET)
    from cloudtrail_etl.catalog import update_catalog_table

    update_catalog_table(glue, "db", "ct", ROOT, [CODE])
    faults.simulate_crash_after(None)
    yield s3, glue
    faults.simulate_crash_after(None)


def names(s3, prefix: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix.rstrip("/") + "/").get("Contents", [])
    return sorted(item["Key"].rsplit("/", 1)[-1] for item in listed)


def keys(s3, prefix: str) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))


def publisher(s3, run_id: str) -> Publisher:
    from cloudtrail_etl.catalog import CountedGlue

    files = Files(None, lambda: s3)
    lock = TableLock(S3LockObject(s3, f"{STAGING}/_lock.json"), run_id, ROOT, ttl_s=60)
    glue = CountedGlue(client("glue", s3.meta.endpoint_url))
    return Publisher(files, lock, output=ROOT, staging_root=STAGING, run_id=run_id,
                     quarantine_root=ROOT + "_quarantine", glue_factory=lambda region: glue)  # fmt: skip


def stage(s3, run_id: str) -> tuple[str, str]:
    for name in OLD:
        s3.put_object(Bucket=BUCKET, Key=f"tables/ct/proc_ymd={CODE}/{name}", Body=b"old")
    staged = f"{STAGING}/{run_id}/table/proc_ymd={CODE}"
    for name in NEW:
        s3.put_object(Bucket=BUCKET, Key=f"{staged.split('/', 3)[3]}/{name}", Body=b"new")
    s3.put_object(Bucket=BUCKET, Key=f"{staged.split('/', 3)[3]}/_SUCCESS", Body=b"")
    return staged, f"{ROOT}/proc_ymd={CODE}"


def what_athena_reads(s3, glue) -> list[str]:
    location = glue.get_partition(DatabaseName="db", TableName="ct", PartitionValues=[CODE])["Partition"]
    prefix = location["StorageDescriptor"]["Location"].split("/", 3)[3]
    return [name for name in names(s3, prefix) if not name.startswith("_")]


def run_swap(s3, run_id: str, crash_after: int | None) -> None:
    staged, target = stage(s3, run_id)
    pub = publisher(s3, run_id)
    pub.begin()
    partition = partition_of(f"{ROOT}/proc_ymd={CODE}/", staged, [CODE], "db", "ct", None)
    swap = plan_swap(pub.files, f"proc_ymd={CODE}", staged, target, partition)
    faults.simulate_crash_after(crash_after)
    try:
        pub.publish([swap], None)
        pub.finish()
    finally:
        pub.release()


POINTS = [
    "lock: taken",  # counted before the crash counter starts: not in the matrix
    "journal: planned",
    "glue update_partition",  # -> the staged day
    *["new file in"] * len(NEW),
    "old file out",  # one DeleteObjects request for the three
    "glue update_partition",  # -> the table's folder
    "journal: done",
    "staging: run folder removed",
    "lock: released",
]


def short(change: str) -> str:
    """`proc_ymd=20260102: new file in: part-...` -> `new file in`; `journal: proc_ymd=... done` -> `journal: done`."""
    change = change.replace(f"proc_ymd={CODE} done", "done").replace(f"proc_ymd={CODE}: ", "")
    return change.split(": part-")[0].split(": 3 file(s)")[0]


def test_the_swap_changes_in_this_order(aws):
    s3, glue = aws
    faults.simulate_crash_after(None)
    run_swap(s3, "20260102T000000Z-0000000a", None)
    assert [short(change) for change in faults.changes()] == POINTS[1:]
    assert names(s3, f"tables/ct/proc_ymd={CODE}") == NEW
    assert keys(s3, "tables/ct_staging/") == []
    assert what_athena_reads(s3, glue) == NEW


@pytest.mark.parametrize("point", range(1, len(POINTS)), ids=POINTS[1:])
def test_a_swap_crashed_after_each_change_is_recovered(aws, point):
    s3, glue = aws
    with pytest.raises(faults.SimulatedCrash):
        run_swap(s3, "20260102T000000Z-0000000b", point)
    faults.simulate_crash_after(None)
    # Through the partition, Athena reads one complete version at every crash point.
    assert what_athena_reads(s3, glue) in (OLD, NEW)
    # The crash left the lock of this (living) process: its takeover is tested on its own below.
    s3.delete_object(Bucket=BUCKET, Key="tables/ct_staging/_lock.json")

    recovered = publisher(s3, "20260102T000001Z-0000000c").begin()
    assert names(s3, f"tables/ct/proc_ymd={CODE}") == NEW  # every journaled swap rolls forward
    assert what_athena_reads(s3, glue) == NEW
    location = glue.get_partition(DatabaseName="db", TableName="ct", PartitionValues=[CODE])["Partition"]
    assert location["StorageDescriptor"]["Location"] == f"{ROOT}/proc_ymd={CODE}/"
    assert keys(s3, "tables/ct_staging/") == ["tables/ct_staging/_lock.json"]  # ours: begin() holds it
    if point < POINTS.index("journal: done"):  # the swap was not journaled as done
        files_done = point >= POINTS.index("old file out")
        action = "completed" if files_done else "rolled forward"
        assert [(r["day"], r["action"], r["run_id"]) for r in recovered] == [
            (f"proc_ymd={CODE}", action, "20260102T000000Z-0000000b")
        ]
    else:
        assert [(r["day"], r["action"]) for r in recovered] == [(None, "removed its staging folder")] or (
            recovered == [] and point >= POINTS.index("staging: run folder removed")
        )


def test_a_swap_whose_new_version_is_gone_rolls_back(aws):
    s3, glue = aws
    with pytest.raises(faults.SimulatedCrash):
        run_swap(s3, "20260102T000000Z-0000000d", 3)  # the partition points at the staged day
    faults.simulate_crash_after(None)
    staged_prefix = f"tables/ct_staging/20260102T000000Z-0000000d/table/proc_ymd={CODE}/"
    s3.delete_object(Bucket=BUCKET, Key=staged_prefix + NEW[1])  # the new version is no longer complete
    s3.delete_object(Bucket=BUCKET, Key="tables/ct_staging/_lock.json")
    recovered = publisher(s3, "20260102T000001Z-0000000e").begin()
    assert [r["action"] for r in recovered] == ["rolled back"]
    assert names(s3, f"tables/ct/proc_ymd={CODE}") == OLD
    assert what_athena_reads(s3, glue) == OLD


# --- the lock on S3 ---------------------------------------------------------------------------------------------


def lock(s3, run_id: str, ttl_s: float = 60) -> TableLock:
    return TableLock(S3LockObject(s3, f"{STAGING}/_lock.json"), run_id, ROOT, ttl_s=ttl_s)


def test_a_second_run_is_refused_naming_the_holder_then_gets_the_lock_once_released(aws):
    s3, _ = aws
    first = lock(s3, "20260102T000000Z-00000001")
    first.acquire()
    with pytest.raises(TableLocked) as refused:
        lock(s3, "20260102T000000Z-00000002").acquire()
    message = str(refused.value)
    assert "20260102T000000Z-00000001" in message and first.host in message and first.started in message
    assert TableLocked.exit_code == 11
    threading.Timer(0.5, first.release).start()
    second = lock(s3, "20260102T000000Z-00000002")
    second.acquire(wait_s=10)  # --wait-for-lock
    assert (
        json.loads(s3.get_object(Bucket=BUCKET, Key="tables/ct_staging/_lock.json")["Body"].read())["run_id"]
        == "20260102T000000Z-00000002"
    )
    second.release()
    assert keys(s3, "tables/ct_staging/") == []


def test_a_lock_from_another_host_expires_when_no_longer_renewed_and_only_one_taker_wins(aws):
    s3, _ = aws
    record = {"run_id": "20260101T000000Z-0000dead", "host": "other-host", "pid": 1, "started": "2026-01-01T00:00:00Z",
              "renewed": "2026-01-01T00:00:00Z", "ttl_s": 1}  # fmt: skip
    s3.put_object(Bucket=BUCKET, Key="tables/ct_staging/_lock.json", Body=json.dumps(record).encode())
    with pytest.raises(TableLocked):  # renewed less than a TTL ago: still held
        lock(s3, "20260102T000000Z-00000003").acquire()
    time.sleep(2.1)  # S3's clock: LastModified and Date are whole seconds
    backend = S3LockObject(s3, f"{STAGING}/_lock.json")
    stale = backend.read()
    taker = lock(s3, "20260102T000000Z-00000003")
    assert taker.stale_reason(stale).startswith("not renewed for")
    taker.acquire()
    assert taker.taken_over["run_id"] == "20260101T000000Z-0000dead"
    # A second taker that judged the same stale version a moment earlier loses: If-Match on the old ETag fails.
    assert backend.replace(stale.token, json.dumps({"run_id": "late"})) is None
    assert backend.read().record["run_id"] == "20260102T000000Z-00000003"
    taker.release()


def test_a_holder_whose_lock_was_taken_over_stops_before_its_next_change(aws):
    s3, _ = aws
    slow = lock(s3, "20260102T000000Z-00000004", ttl_s=0.3)
    slow.acquire()
    slow._stop.set()  # a holder that stopped renewing (a long GC pause, a frozen VM)
    time.sleep(1.5)
    taker = lock(s3, "20260102T000000Z-00000005")
    taker.acquire()
    assert taker.taken_over["run_id"] == "20260102T000000Z-00000004"
    assert slow.backend.replace(slow.token, slow._record()) is None  # its next renewal fails ...
    slow.lost = True  # ... which is what its renewal thread records
    with pytest.raises(TableLocked, match="taken over"):
        slow.check()
    slow.release()  # deletes nothing of the new holder's
    assert S3LockObject(s3, f"{STAGING}/_lock.json").read().record["run_id"] == "20260102T000000Z-00000005"
    taker.release()


def test_a_journal_copied_with_its_table_recovers_the_copy_and_leaves_the_original_and_its_partition_alone(aws):
    """A table and its staging copied on S3 (aws s3 sync) while a swap was half-done: a recovery of the copy rolls
    the copy forward; the original's objects and its Glue partition (the original table's) stay as the crash left
    them."""
    s3, glue = aws
    with pytest.raises(faults.SimulatedCrash):
        run_swap(s3, "20260102T000000Z-0000000f", 4)  # the partition on the staged day, one new file in
    faults.simulate_crash_after(None)
    s3.delete_object(Bucket=BUCKET, Key="tables/ct_staging/_lock.json")
    original = {key: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys(s3, "tables/ct")}
    for key in original:  # tables/ct..., tables/ct_staging/... -> copies/ct..., copies/ct_staging/...
        s3.copy_object(Bucket=BUCKET, Key="copies/" + key.split("/", 1)[1], CopySource={"Bucket": BUCKET, "Key": key})
    partition_before = glue.get_partition(DatabaseName="db", TableName="ct", PartitionValues=[CODE])["Partition"]

    copy_root = f"s3://{BUCKET}/copies/ct"
    untouched = "the copy's recovery must not touch the catalog"
    files = Files(None, lambda: s3)
    lock = TableLock(S3LockObject(s3, f"{copy_root}_staging/_lock.json"), "20260102T000001Z-00000010", copy_root)
    copy = Publisher(files, lock, output=copy_root, staging_root=copy_root + "_staging",
                     run_id="20260102T000001Z-00000010", quarantine_root=copy_root + "_quarantine",
                     glue_factory=lambda region: pytest.fail(untouched))  # fmt: skip
    recovered = copy.begin()
    copy.release()
    assert [(r["day"], r["action"]) for r in recovered] == [(f"proc_ymd={CODE}", "rolled forward")]
    assert names(s3, f"copies/ct/proc_ymd={CODE}") == NEW
    assert keys(s3, "copies/ct_staging/") == []
    assert {key: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys(s3, "tables/ct")} == original
    after = glue.get_partition(DatabaseName="db", TableName="ct", PartitionValues=[CODE])["Partition"]
    assert after["StorageDescriptor"]["Location"] == partition_before["StorageDescriptor"]["Location"]
