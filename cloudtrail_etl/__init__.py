"""cloudtrail-etl: AWS CloudTrail logs to a partitioned Parquet table, by KST day."""

__version__ = "0.1.0"
