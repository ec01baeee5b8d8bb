"""Lines on stderr that show a long run is alive: one per stage and per finished day, each naming the stage it comes
from. stdout keeps the summary and the JSON report only."""

from __future__ import annotations

import sys
import time

_STARTED = time.monotonic()
_stage: str | None = None  # the stage of the run now going on (stages/clock.py), named in each line


def set_stage(name: str | None) -> None:
    global _stage
    _stage = name


def say(message: str) -> None:
    named = f"{_stage}: {message}" if _stage else message
    print(f"cloudtrail-etl: [{time.monotonic() - _STARTED:7.1f} s] {named}", file=sys.stderr, flush=True)
