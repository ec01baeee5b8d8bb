"""CloudTrail log file integrity: digest files, their chain and signatures, checked for KST days (`verify`).

`verify_days` (verify.py) is the entry point; it is imported lazily so that the stdlib-only parts (rsa, digests,
keys) load without Spark, e.g. in the sample generator.
"""

from __future__ import annotations

from typing import Any

__all__ = ["IntegrityReport", "verify_days"]


def __getattr__(name: str) -> Any:
    if name == "verify_days":
        from cloudtrail_etl.integrity.verify import verify_days

        return verify_days
    if name == "IntegrityReport":
        from cloudtrail_etl.integrity.report import IntegrityReport

        return IntegrityReport
    raise AttributeError(name)
