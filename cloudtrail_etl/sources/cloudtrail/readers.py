"""Which CloudTrail reader a run uses: decided here, and only here.

- `map`: reader.py, each record as a map of its top-level fields (every Spark version).
- `variant`: variant_reader.py, each file parsed once into VARIANT (Spark 4 only).

The default is the map reader on every Spark version: on Spark 4.1 it measured faster than the VARIANT reader
(benchmarks/profile.md, "Spark 4.1: VARIANT reader against the map reader"). The environment variable
CLOUDTRAIL_ETL_READER=map|variant overrides it on Spark 4; Spark 3.5 (no VARIANT) always reads with the map reader.
"""

from __future__ import annotations

import os

from cloudtrail_etl.errors import UsageError

MAP = "map"
VARIANT = "variant"
READERS = (MAP, VARIANT)
ENV = "CLOUDTRAIL_ETL_READER"

# The VARIANT reader's columns (here, not in variant_reader, which only imports on Spark 4).
RECORD_VARIANT = "_v"  # one record as VARIANT
RECORDS_VARIANT = "_records_v"  # on file rows: Records as array<variant>, null when unusable


def spark_major(version: str) -> int:
    return int(version.split(".", 1)[0])


def reader_for(spark_version: str, env: dict | None = None) -> str:
    """The reader a run on this Spark version uses (`map` or `variant`)."""
    wanted = (os.environ if env is None else env).get(ENV, "").strip().lower()
    if wanted and wanted not in READERS:
        raise UsageError(f"{ENV}={wanted!r}: expected one of {', '.join(READERS)}")
    if spark_major(spark_version) < 4:
        return MAP
    return wanted or MAP
