"""Run a command and measure its wall time, the peak memory and CPU time of its whole process tree, from /proc.

Why a tree: Spark jobs are a Python driver plus a JVM (and Python workers) it starts; the JVM holds most of the
memory, and `time -v` or getrusage report one process at a time. The peak is the largest sum, over all samples
(every 50 ms), of the resident set sizes of the process and all its descendants at that moment. CPU seconds are
the sum over the tree's processes of the last user + system time seen for each: on a VM whose wall times swing
with CPU steal, they are the steadier figure for comparing two versions (a process that ends between two samples
loses at most 50 ms of its CPU time).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.05


@dataclasses.dataclass(frozen=True)
class Measured:
    """One run of one command."""

    seconds: float
    peak_rss: int  # bytes
    cpu_seconds: float  # user + system, whole tree
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


def _tree(root: int) -> list[int]:
    """`root` and all its descendants now."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def sample_tree(root: int, ticks: dict[int, int]) -> int:
    """Resident bytes of `root` and all its descendants now; records each one's user + system clock ticks
    (stat fields 14 and 15) in `ticks`."""
    total = 0
    for pid in _tree(root):
        try:
            with open(f"/proc/{pid}/statm", "rb") as statm:
                total += int(statm.read().split()[1]) * PAGE
            with open(f"/proc/{pid}/stat", "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
            ticks[pid] = max(ticks.get(pid, 0), int(fields[11]) + int(fields[12]))
        except (OSError, IndexError, ValueError):  # the process ended while we looked
            continue
    return total


def run(command: Sequence[str], log: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Measured:
    """Run `command` to completion (stdout and stderr to `log`), sampling its tree's memory on a thread."""
    log.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    ticks: dict[int, int] = {}
    with log.open("wb") as out:
        started = time.monotonic()
        process = subprocess.Popen(list(command), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, sample_tree(process.pid, ticks))
                done.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        returncode = process.wait()
        seconds = time.monotonic() - started
        done.set()
        sampler.join()
    cpu_seconds = sum(ticks.values()) / TICKS
    return Measured(seconds=seconds, peak_rss=peak, cpu_seconds=cpu_seconds, returncode=returncode, log=log)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: on 2 cores, well above 1 means other work shared the machine."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def clean_output(root: Path) -> None:
    """Remove a converter's previous output (and our job's staging and quarantine siblings) before a run."""
    for path in (root, Path(f"{root}_staging"), Path(f"{root}_quarantine"), root.parent / "report.json"):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def alternate(
    names: Sequence[str],
    runs: int,
    label: str,
    root_for: Callable[[str], Path],
    command_for: Callable[[str, Path], Sequence[str]],
    cwd: Path,
) -> dict[str, list[Measured]]:
    """Each converter `runs` times, round-robin, so that a change in the machine's load hits all alike; each run
    starts from an empty output (`root_for(name)`), logs beside it, and prints a line."""
    env = {**os.environ, "CLOUDTRAIL_ETL_MASTER": "local[2]"}
    measured: dict[str, list[Measured]] = {name: [] for name in names}
    for i in range(runs):
        for name in names:
            root = root_for(name)
            clean_output(root)
            one = run(command_for(name, root), root.parent / f"run{i + 1}.log", env=env, cwd=cwd)
            measured[name].append(one)
            state = "ok" if one.returncode == 0 else f"FAILED (exit {one.returncode}, see {one.log})"
            print(
                f"  {label} run {i + 1}/{runs} {name:8s} {one.seconds:7.1f} s {one.cpu_seconds:7.1f} CPU s "
                f"{one.peak_rss / 1e6:7.0f} MB  {state}",
                flush=True,
            )
    return measured


def stage_times(report: Mapping | None) -> str:
    """Our run's stages from its report (issue 25), as one line beside the totals: where the wall time went."""
    stages = (report or {}).get("stages") or []
    if not stages:
        return "- ours, stages: not in the report"
    parts = []
    for stage in stages:
        cpu = stage.get("task_cpu_s")
        parts.append(f"{stage['name']} {stage['seconds']:.1f}" + (f" (task CPU {cpu:.1f})" if cpu is not None else ""))
    total = sum(stage["seconds"] for stage in stages)
    return f"- ours, stages of the last run (wall s): {', '.join(parts)}; sum {total:.1f} of {report['duration_s']} s"
