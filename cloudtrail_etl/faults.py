"""Fault injection: every change the job makes to a table, its staging, quarantine, lock or catalog is counted here,
so that tests can stop a run right after any one of them.

* `CLOUDTRAIL_ETL_CRASH_AFTER=N`: the process dies with `os._exit(CRASH_EXIT_CODE)` right after its Nth change
  (no `finally`, no atexit, no JVM shutdown: what a lost node or an OOM kill leaves).
* `CLOUDTRAIL_ETL_TRACE_CHANGES=1`: each change is printed on stderr as `cloudtrail-etl: change N: what`.
* `simulate_crash_after(N)` (tests, in-process): the Nth change raises SimulatedCrash, and from then on every
  further change raises it too, before it happens: no clean-up code can change anything after the crash point.

The lock's renewals are not counted (they happen on a timer, so their number is not reproducible); they stop at a
simulated crash all the same.
"""

from __future__ import annotations

import os
import threading

CRASH_AFTER_ENV = "CLOUDTRAIL_ETL_CRASH_AFTER"
TRACE_ENV = "CLOUDTRAIL_ETL_TRACE_CHANGES"
CRASH_EXIT_CODE = 86


class SimulatedCrash(BaseException):
    """Not an Exception: no `except Exception` handler of the job can swallow it."""


_guard = threading.Lock()
_count = 0
_changes: list[str] = []
_simulate_after: int | None = None
_crashed = False


def _crash_after_env() -> int | None:
    value = os.environ.get(CRASH_AFTER_ENV, "").strip()
    return int(value) if value else None


def active() -> bool:
    """True while a crash may be injected: callers then make their changes one at a time, in a fixed order."""
    return _simulate_after is not None or _crash_after_env() is not None


def before_change() -> None:
    """Call before a change: after a simulated crash nothing may change any more."""
    if _crashed:
        raise SimulatedCrash("the process has crashed (simulated)")


def changed(what: str) -> None:
    """Call right after a change took effect."""
    global _count, _crashed
    with _guard:
        _count += 1
        number = _count
        _changes.append(what)
    if os.environ.get(TRACE_ENV):
        os.write(2, f"cloudtrail-etl: change {number}: {what}\n".encode())
    if _crash_after_env() == number:
        os.write(2, f"cloudtrail-etl: crash injected after change {number}: {what}\n".encode())
        os._exit(CRASH_EXIT_CODE)
    if _simulate_after == number:
        _crashed = True
        raise SimulatedCrash(f"crash simulated after change {number}: {what}")


def simulate_crash_after(n: int | None) -> None:
    """Tests: start counting from zero; the nth change from now raises SimulatedCrash (None: never)."""
    global _count, _simulate_after, _crashed
    with _guard:
        _count = 0
        _changes.clear()
        _simulate_after = n
        _crashed = False


def changes() -> list[str]:
    """What changed since the last simulate_crash_after(), in order (tests)."""
    with _guard:
        return list(_changes)
