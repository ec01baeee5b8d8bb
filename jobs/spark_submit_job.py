"""spark-submit entry point (EMR on EC2 steps, EMR Serverless, local spark-submit).

    spark-submit --py-files cloudtrail_etl.zip spark_submit_job.py --input s3://... --output s3://... [--date ...]

Takes the same options as `cloudtrail-etl run`; the package comes from --py-files (or an installed wheel).
"""

import sys

from cloudtrail_etl.cli import run_command

if __name__ == "__main__":
    sys.exit(run_command(sys.argv[1:], prog="spark_submit_job.py"))
