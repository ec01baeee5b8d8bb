"""Lines on stderr that show a long run is alive: one per phase and per finished day. stdout keeps the summary and
the JSON report only."""

from __future__ import annotations

import sys
import time

_STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"cloudtrail-etl: [{time.monotonic() - _STARTED:7.1f} s] {message}", file=sys.stderr, flush=True)
