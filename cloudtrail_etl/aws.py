"""AWS clients and the one place that decides their region.

boto3 alone reads only AWS_DEFAULT_REGION and the config file, while Lambda-style environments and many shells set
AWS_REGION, and an EMR cluster-mode driver sets neither: the job resolves the region itself, in a documented order.
boto3 honours AWS_ENDPOINT_URL (moto's server in tests).
"""

from __future__ import annotations

import os
from typing import Any, Optional

from cloudtrail_etl.errors import UsageError

REGION_ORDER = "--region, AWS_REGION, AWS_DEFAULT_REGION, the AWS config file, the EC2/EMR instance metadata"


def resolve_region(explicit: Optional[str] = None) -> Optional[str]:
    """The region of REGION_ORDER's first source that names one; None when none does."""
    if explicit:
        return explicit
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(variable, "").strip():
            return os.environ[variable].strip()
    import botocore.session

    configured = botocore.session.get_session().get_config_variable("region")
    return configured or _instance_region()


def _instance_region() -> Optional[str]:
    """The region of the EC2 instance (EMR nodes too) from its metadata service; None elsewhere (1 s timeout)."""
    if os.environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true":
        return None
    from botocore.utils import InstanceMetadataRegionFetcher

    try:
        return InstanceMetadataRegionFetcher(timeout=1, num_attempts=1).retrieve_region()
    except Exception:
        return None


def require_region(explicit: Optional[str] = None) -> str:
    region = resolve_region(explicit)
    if not region:
        raise UsageError(f"no AWS region: pass --region or set AWS_REGION (looked at {REGION_ORDER})")
    return region


def client(service: str, region: Optional[str] = None, config: Any = None) -> Any:
    """A boto3 client in `region` (resolved when not given; S3 works without one, Glue does not); `config`: a
    botocore Config (timeouts, retries)."""
    import boto3

    return boto3.client(service, region_name=region or resolve_region(), config=config)
