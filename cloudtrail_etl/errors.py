"""Failures the job reports in one line, each with its own documented exit code."""

from __future__ import annotations

import re


class JobError(Exception):
    exit_code = 1


class UsageError(JobError, ValueError):
    """Invalid or unknown arguments."""

    exit_code = 2


class InputNotFound(JobError, FileNotFoundError):
    """--input does not exist or holds no AWSLogs/ folder."""

    exit_code = 3


class NoInputFiles(JobError):
    """The day has no delivery files and --require-input was given."""

    exit_code = 4


class BadInputFiles(JobError):
    """Some files could not be read and --skip-bad-files was not given; the table was left untouched."""

    exit_code = 5


class OutputNotWritable(JobError):
    """The output (or quarantine, or report) location could not be written."""

    exit_code = 6


class CatalogFailed(JobError):
    """The day was written but the Glue Data Catalog step failed."""

    exit_code = 7


class JavaMissing(JobError):
    """No Java runtime, so Spark cannot start."""

    exit_code = 8


class SparkStartFailed(JobError):
    """The local JVM exited before Spark started (its last words say why)."""

    exit_code = 8


class DayWouldShrink(JobError):
    """A day would hold fewer rows than the table has for it now: it was left untouched (--allow-fewer-rows)."""

    exit_code = 9


class IntegrityFailed(JobError):
    """Log file integrity validation found a problem (missing, modified or unlisted files, broken digests)."""

    exit_code = 10


class TableLocked(JobError):
    """Another run holds the table's lock (it is named); nothing was changed. --wait-for-lock waits for it."""

    exit_code = 11


class RecoveryFailed(JobError):
    """A crashed run left a folder that is neither its old nor its new version: it is named, nothing else changed."""

    exit_code = 12


EXIT_CODES = {
    cls.exit_code: cls
    for cls in (
        UsageError,
        InputNotFound,
        NoInputFiles,
        BadInputFiles,
        OutputNotWritable,
        CatalogFailed,
        JavaMissing,
        DayWouldShrink,
        IntegrityFailed,
        TableLocked,
        RecoveryFailed,
    )
}


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:500]
    return ""


def error_causes(exc: BaseException) -> list[str]:
    """`Class: first line of message` of each exception in the chain, outermost first.

    A failure inside Spark reaches Python as a Py4JJavaError (or a PySpark exception holding the Java one) whose
    own message is `An error occurred while calling o60.json`: the Java chain below it says why."""
    java = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    if java is not None:
        try:
            causes, current = [], java
            while current is not None and len(causes) < 20:
                causes.append(f"{current.getClass().getSimpleName()}: {_first_line(current.getMessage() or '')}")
                current = current.getCause()
            return [cause.rstrip(": ") for cause in causes]
        except Exception:  # the JVM is gone: fall back to Python's view
            pass
    causes = []
    seen: BaseException | None = exc
    while seen is not None and len(causes) < 20:
        causes.append(f"{type(seen).__name__}: {_first_line(str(seen))}".rstrip(": "))
        seen = seen.__cause__ or seen.__context__
    return causes


# A message that names a location: s3://bucket/key, s3a://..., hdfs://..., file:/path.
_NAMES_A_LOCATION = re.compile(r"\b[a-z][a-z0-9+.-]*:/")


def describe(exc: BaseException) -> str:
    """One line for the console: our own errors as they are, anything else by the innermost cause that says where
    (S3A's `AccessDeniedException: s3a://b/k: getFileStatus ...: 403 Forbidden` wraps an SDK exception that says
    only `Forbidden (Service: Amazon S3; Status Code: 403 ...)`), with the root cause when that one does not already
    say it (a failed write to file:/... whose root cause is `No space left on device`)."""
    if isinstance(exc, JobError):
        return _first_line(str(exc)) or type(exc).__name__
    causes = error_causes(exc)
    root = causes[-1]
    located = [cause for cause in causes if _NAMES_A_LOCATION.search(cause)]
    if not located:
        return root
    where = located[-1]
    return where if root in where else f"{where} (root cause: {root})"
