"""Failures the job reports in one line, each with its own documented exit code."""

from __future__ import annotations


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
    )
}


class IntegrityFailed(JobError):
    """Log file integrity validation found a problem (missing, modified or unlisted files, broken digests)."""

    exit_code = 10


EXIT_CODES[IntegrityFailed.exit_code] = IntegrityFailed
