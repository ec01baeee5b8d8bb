"""AWS Glue entry point (Glue 5.x on Spark 3.5, Glue 6.0 on Spark 4.1).

Ship the package with `--extra-py-files s3://.../cloudtrail_etl.zip` (or `--additional-python-modules` and the
wheel) and pass the job's options as Glue job arguments (`--input`, `--output`, `--date`, ...). Glue's own
arguments (`--JOB_ID`, `--JOB_RUN_ID`, `--TempDir`, `--enable-metrics`, ...) are accepted and ignored; a
misspelt option of ours still fails the run with one line. No GlueContext is needed: a plain SparkSession runs
as a Glue job, and the same code runs locally.
"""

import sys

from cloudtrail_etl.cli import run_command

if __name__ == "__main__":
    sys.exit(run_command(sys.argv[1:], prog="glue_job.py"))
