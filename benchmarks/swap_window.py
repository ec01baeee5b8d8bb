"""How long a reader can see a day half-swapped on S3, measured against moto's S3 server (issue 18).

    .venv/bin/python -m benchmarks.swap_window [--files 50,200] [--size-kib 64] [--repeat 3]

A day of N old files is replaced by N new ones, on moto's S3 on 127.0.0.1, three ways:

* ours (publish.apply_swap, what the job does): the new files are copied in by name (server-side CopyObject, 16 at
  once), then the old ones deleted by name (DeleteObjects, 1,000 keys a request). A reader of the folder sees the
  old day throughout, plus the new files that already arrived: from the first copy to the end of the delete.
* ours with --catalog-table: the same, with the partition pointed at the staged day (UpdatePartition) before the
  copies and back after the delete. Through Glue a reader sees the old day, then (atomically) the whole new one.
* the earlier protocol, emulated with boto3 as S3A performs a directory rename (each object copied then deleted,
  one after another): rename(day -> trash), rename(staged -> day), delete(trash). A reader sees the day shrink to
  nothing and then grow back: from the first delete of the first rename to the last copy of the second.

moto keeps objects in memory on this machine: the numbers say how many requests a window spans and how long they
take here, not what S3 takes (a CopyObject of a 20 MB object on S3 is tens of milliseconds, more than moto's).
Nothing asserts a timing; results go to stdout.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

BUCKET = "window"
ROOT = f"s3://{BUCKET}/t"
CODE = "20260102"


def _stage(s3: Any, files: int, body: bytes, run: str) -> tuple[str, str]:
    from concurrent.futures import ThreadPoolExecutor

    def put(key: str) -> None:
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    keys = [f"t/proc_ymd={CODE}/part-{i:05d}-old.parquet" for i in range(files)]
    keys += [f"t_staging/{run}/table/proc_ymd={CODE}/part-{i:05d}-{run}.parquet" for i in range(files)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, keys))
    return f"{ROOT}_staging/{run}/table/proc_ymd={CODE}", f"{ROOT}/proc_ymd={CODE}"


class _Timed:
    """files.Files with the moments a reader could notice: first new file in, last old file out, partition moves."""

    def __init__(self, files: Any):
        self.files, self.marks = files, {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.files, name)

    def put_in(self, *args: Any) -> None:
        self.marks["copy_start"] = time.perf_counter()
        self.files.put_in(*args)
        self.marks["copy_end"] = time.perf_counter()

    def delete_names(self, *args: Any) -> None:
        self.files.delete_names(*args)
        self.marks["delete_end"] = time.perf_counter()


def ours(s3: Any, glue: Any, files_n: int, body: bytes, run: str, with_partition: bool) -> dict[str, float]:
    from cloudtrail_etl.catalog import update_catalog_table
    from cloudtrail_etl.files import Files
    from cloudtrail_etl.publish import apply_swap, partition_of, plan_swap

    staged, target = _stage(s3, files_n, body, run)
    partition = None
    if with_partition:
        update_catalog_table(glue, "db", "t", ROOT, [CODE])
        partition = partition_of(f"{ROOT}/proc_ymd={CODE}/", staged, [CODE], "db", "t", None)
    timed = _Timed(Files(None, lambda: s3))
    swap = plan_swap(timed, f"proc_ymd={CODE}", staged, target, partition)
    moves: list[float] = []

    def glue_factory(region: Any) -> Any:
        class Counted:
            def __getattr__(self, name: str) -> Any:
                method = getattr(glue, name)
                if name != "update_partition":
                    return method

                def update(**kwargs: Any) -> Any:
                    answer = method(**kwargs)
                    moves.append(time.perf_counter())
                    return answer

                return update

        return Counted()

    start = time.perf_counter()
    apply_swap(timed, swap, glue_factory)
    end = time.perf_counter()
    marks = timed.marks
    result = {
        "swap_s": end - start,
        "folder_window_s": marks["delete_end"] - marks["copy_start"],  # old + some new files visible
        "copies_s": marks["copy_end"] - marks["copy_start"],
    }
    if with_partition:
        result["through_glue_window_s"] = 0.0  # two UpdatePartition calls, each an atomic switch
        result["partition_on_staged_s"] = moves[-1] - moves[0]
    return result


def earlier(s3: Any, files_n: int, body: bytes, run: str) -> dict[str, float]:
    """rename(day -> trash), rename(staged -> day), delete(trash), each object copied then deleted in turn."""
    staged, target = _stage(s3, files_n, body, run)
    trash = f"{ROOT}_staging/{run}/replaced/{CODE}"

    def key(uri: str) -> str:
        return uri.split("/", 3)[3]

    def rename(source: str, destination: str) -> tuple[float, float]:
        listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=key(source) + "/").get("Contents", [])
        first_delete = last = 0.0
        for item in listed:
            name = item["Key"].rsplit("/", 1)[-1]
            s3.copy_object(
                Bucket=BUCKET, Key=f"{key(destination)}/{name}", CopySource={"Bucket": BUCKET, "Key": item["Key"]}
            )
            s3.delete_object(Bucket=BUCKET, Key=item["Key"])
            first_delete = first_delete or time.perf_counter()
            last = time.perf_counter()
        return first_delete, last

    start = time.perf_counter()
    first_gone, _ = rename(target, trash)
    _, all_in = rename(staged, target)
    end = time.perf_counter()
    return {"swap_s": end - start, "folder_window_s": all_in - first_gone}


def main() -> None:
    parser = argparse.ArgumentParser(prog="benchmarks.swap_window")
    parser.add_argument("--files", default="50,200")
    parser.add_argument("--size-kib", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from tests.aws import _SERVER, client, reset_moto

    endpoint = _SERVER.acquire()
    try:
        body = b"x" * (args.size_kib * 1024)
        print(f"moto S3 on {endpoint}, objects of {args.size_kib} KiB, median of {args.repeat}")
        print("| files | protocol | swap s | a reader of the folder sees a mixed or missing day for | through Glue |")
        print("|---|---|---|---|---|")
        for files_n in [int(n) for n in args.files.split(",")]:
            for name in ("ours", "ours --catalog-table", "earlier (emulated S3A renames)"):
                results = []
                for attempt in range(args.repeat):
                    reset_moto(endpoint)
                    s3, glue = client("s3", endpoint), client("glue", endpoint)
                    s3.create_bucket(Bucket=BUCKET)
                    run = f"20260102T00000{attempt}Z-0000abcd"
                    if name.startswith("earlier"):
                        results.append(earlier(s3, files_n, body, run))
                    else:
                        results.append(ours(s3, glue, files_n, body, run, name.endswith("table")))

                def median(field: str, results: list = results) -> float:
                    return statistics.median(r[field] for r in results)

                seen = "old + part of new" if name.startswith("ours") else "part of old or new, or nothing"
                glue_text = "-"
                if "through_glue_window_s" in results[0]:
                    glue_text = f"old, then all of new (partition on staged {median('partition_on_staged_s'):.2f} s)"
                print(
                    f"| {files_n} | {name} | {median('swap_s'):.2f} | {median('folder_window_s'):.2f} s "
                    f"({seen}) | {glue_text} |"
                )
    finally:
        _SERVER.release()


if __name__ == "__main__":
    main()
