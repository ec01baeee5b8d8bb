"""cloudtrail-etl: AWS CloudTrail logs to a partitioned Parquet table, one KST day per run."""

__version__ = "0.1.0"
