"""Sample CloudTrail delivery files in the real S3 layout, for tests, demos and benchmarks.

Why it exists: the ETL has to be exercised on data shaped like production (folders named after the UTC delivery
time, late and duplicate deliveries, every identity type, payloads whose keys change JSON type between services)
without an AWS account. The output is deterministic for a spec (same bytes on every run, no clock, no machine time
zone), so tests and benchmark figures are reproducible. Stdlib only: it also runs where numpy or faker are absent.

Layout written under ROOT::

    AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_RANDOM16.json.gz
    AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/
        ACCOUNT_CloudTrail-Digest_REGION_TRAIL_REGION_YYYYMMDDTHHMMSSZ.json.gz

Log files are generated and written one at a time, so memory stays flat whatever the size of the spec.
"""

from __future__ import annotations

from cloudtrail_etl.sample.delivery import write_sample_trail
from cloudtrail_etl.sample.spec import SampleSpec, SampleSummary

__all__ = ["SampleSpec", "SampleSummary", "write_sample_trail"]
