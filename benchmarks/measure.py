"""Run a command and measure its wall time and the peak memory of its whole process tree, from /proc.

Why a tree: Spark jobs are a Python driver plus a JVM (and Python workers) it starts; the JVM holds most of the
memory, and `time -v` or getrusage report one process at a time. The peak is the largest sum, over all samples
(every 50 ms), of the resident set sizes of the process and all its descendants at that moment.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_SECONDS = 0.05


@dataclasses.dataclass(frozen=True)
class Measured:
    """One run of one command."""

    seconds: float
    peak_rss: int  # bytes
    returncode: int
    log: Path


def _parents() -> dict[int, int]:
    """pid -> parent pid for every process now alive (stat's 4th field; the name in () may hold spaces)."""
    parents = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
            parents[int(entry.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):  # the process ended while we looked
            continue
    return parents


def tree_rss(root: int) -> int:
    """Sum of the resident set sizes (bytes) of `root` and all its descendants now."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm", "rb") as statm:
                total += int(statm.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def run(command: Sequence[str], log: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Measured:
    """Run `command` to completion (stdout and stderr to `log`), sampling its tree's memory on a thread."""
    log.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    with log.open("wb") as out:
        started = time.monotonic()
        process = subprocess.Popen(list(command), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss(process.pid))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = process.wait()
        seconds = time.monotonic() - started
        done.set()
        sampler.join()
    return Measured(seconds=seconds, peak_rss=peak, returncode=returncode, log=log)
