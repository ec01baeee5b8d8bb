"""Where CloudTrail puts its files: `AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz`.

Organization trails add the `o-...` level. Digest, Insight and other sibling folders are never entered by a run
(the integrity check lists `CloudTrail-Digest/` itself).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from cloudtrail_etl.days import first_delivery, utc_folders
from cloudtrail_etl.discovery import (
    ACCOUNT_ID,
    DELIVERY_TIME_FORMAT,
    REGION_NAME,
    DayInput,
    Listing,
    discover,
    selected,
)

LOG_SUFFIX = ".json.gz"
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
# ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_RANDOM.json.gz: group 1 is the delivery time, comparable as text.
# ASCII classes only, so that Java and Python read it alike: the reader applies it in Spark too.
DELIVERY_TIME_IN_NAME = r"_CloudTrail_[a-z0-9-]+_([0-9]{8}T[0-9]{4})Z_[A-Za-z0-9]+\.json\.gz$"


def _account_roots(lister) -> list[tuple[str, str]]:
    """(folder, account id) of every AWSLogs/ACCOUNT and AWSLogs/o-ORG/ACCOUNT folder under the input."""
    roots = []
    for name in lister.subfolders("AWSLogs"):
        if ACCOUNT_ID.match(name):
            roots.append((f"AWSLogs/{name}", name))
        elif _ORG.match(name):
            members = lister.subfolders(f"AWSLogs/{name}")
            roots.extend((f"AWSLogs/{name}/{account}", account) for account in members if ACCOUNT_ID.match(account))
    return roots


def trail_streams(
    lister, input_uri: str, accounts: Sequence[str] = (), regions: Sequence[str] = (), kinds=("CloudTrail",)
) -> list[tuple[str, str]]:
    """(AWSLogs/[o-ORG/]ACCOUNT, REGION) of every selected account and region that has a `kinds` folder
    (CloudTrail, CloudTrail-Digest). A filter that matches nothing raises InputNotFound naming what there is."""
    streams = []
    for account_rel in selected(_account_roots(lister), accounts, "account", input_uri):
        found = {region for kind in kinds for region in lister.subfolders(f"{account_rel}/{kind}")}
        streams += [(f"{account_rel}/{region}", region) for region in sorted(found) if REGION_NAME.match(region)]
    return [tuple(rel.rsplit("/", 1)) for rel in selected(streams, regions, "region", input_uri)]  # type: ignore[misc]


def delivered_time(name: str) -> str:
    match = re.search(DELIVERY_TIME_IN_NAME, name)
    return match.group(1) if match else ""


class CloudTrailLayout:
    """discovery.Layout of CloudTrail log files."""

    def streams(self, lister, input_uri: str, accounts: Sequence[str], regions: Sequence[str]) -> list[str]:
        return [
            f"{account_rel}/CloudTrail/{region}"
            for account_rel, region in trail_streams(lister, input_uri, accounts, regions)
        ]

    def day_folders(self, lister, stream: str, folder_day: dt.date, delivered_since: str) -> list[tuple[str, Listing]]:
        rel = f"{stream}/{folder_day:%Y/%m/%d}"
        return [(rel, lister.listing(rel, folder_day, LOG_SUFFIX))]

    def delivered(self, name: str) -> str:
        return delivered_time(name)


def discover_day(
    input_uri: str, day: dt.date, accounts: Sequence[str] = (), regions: Sequence[str] = (), s3_client=None
) -> DayInput:
    """The files of one KST day: UTC folders D-1 and D, less those delivered before the day began."""
    since = first_delivery(day).strftime(DELIVERY_TIME_FORMAT)
    return discover(input_uri, CloudTrailLayout(), utc_folders(day), since, accounts, regions, s3_client)
