"""Read CloudTrail delivery files: one row per file, its records still JSON text."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from cloudtrail_etl.schema import CORRUPT_COLUMN, DELIVERY_FILE_SCHEMA
from cloudtrail_etl.transform import SOURCE_FILE

REASON_NOT_JSON = "invalid JSON, or Records is not an array"
REASON_NO_RECORDS = "no Records array"
REASON_UNREADABLE = "unreadable: corrupt, truncated or empty gzip"
REASON_ZERO_BYTES = "zero bytes"


def read_delivery_files(spark: SparkSession, folders: Sequence[str]) -> DataFrame:
    """Each file parsed as one JSON document (pretty-printed copies work too).

    Columns: `_source_file`, `records` (array of JSON text, null when the file has no Records array) and
    `file_problem` (null for a good file). Files that cannot be decompressed are skipped by Spark
    (ignoreCorruptFiles) and found by the job by comparing what was read with what was listed.
    """
    files = (
        spark.read.schema(DELIVERY_FILE_SCHEMA)
        .option("multiLine", True)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", CORRUPT_COLUMN)
        .option("ignoreCorruptFiles", True)
        .option("pathGlobFilter", "*.json.gz")
        .json(list(folders))
    )
    problem = F.when(F.col(CORRUPT_COLUMN).isNotNull(), F.lit(REASON_NOT_JSON)).when(
        F.col("Records").isNull(), F.lit(REASON_NO_RECORDS)
    )
    return files.select(
        F.col("_metadata.file_path").alias(SOURCE_FILE),
        F.col("Records").alias("records"),
        problem.alias("file_problem"),
    )
