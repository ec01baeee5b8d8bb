"""CloudTrail's public keys by fingerprint: from `aws cloudtrail list-public-keys` JSON, or from the API.

CloudTrail signs with one key pair per region and rotates them; ListPublicKeys returns the keys valid in a time range
as `{"PublicKeyList": [{"Value": base64 DER RSAPublicKey, "Fingerprint": hex MD5 of the DER, ...}]}`. A key is
accepted only when its Fingerprint is the MD5 of its own bytes, so a mislabelled key cannot be used.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cloudtrail_etl.errors import UsageError
from cloudtrail_etl.integrity.rsa import RsaPublicKey, fingerprint, parse_public_key


def keys_from_listing(listing: Mapping[str, Any]) -> dict[str, RsaPublicKey]:
    """fingerprint -> key, from one ListPublicKeys response (or the CLI's JSON of it)."""
    keys: dict[str, RsaPublicKey] = {}
    for item in listing.get("PublicKeyList") or []:
        der = item["Value"]
        der = base64.b64decode(der) if isinstance(der, str) else bytes(der)  # boto3 gives the blob already decoded
        if fingerprint(der) != str(item.get("Fingerprint", "")).lower():
            continue
        keys[fingerprint(der)] = parse_public_key(der)
    return keys


def load_public_keys_file(path: str) -> dict[str, RsaPublicKey]:
    """The JSON `aws cloudtrail list-public-keys` prints; several regions' listings may be concatenated in a list.

    A file that cannot be read or holds no such listing is a UsageError naming --public-keys (for run and verify)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        listings = data if isinstance(data, list) else [data]
        keys: dict[str, RsaPublicKey] = {}
        for listing in listings:
            keys.update(keys_from_listing(listing))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--public-keys {path}: {exc}") from exc
    return keys


def fetch_public_keys(regions: Iterable[str], start: dt.datetime, end: dt.datetime) -> dict[str, RsaPublicKey]:
    """Ask CloudTrail (ListPublicKeys) in each home region for the keys valid between start and end."""
    import boto3

    keys: dict[str, RsaPublicKey] = {}
    for region in sorted(set(regions)):
        client = boto3.client("cloudtrail", region_name=region)
        token = None
        while True:
            kwargs: dict[str, Any] = {"StartTime": start, "EndTime": end}
            if token:
                kwargs["NextToken"] = token
            response = client.list_public_keys(**kwargs)
            keys.update(keys_from_listing(response))
            token = response.get("NextToken")
            if not token:
                break
    return keys


def public_keys_json(keys: Iterable[RsaPublicKey], start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """A ListPublicKeys-shaped document for keys (the sample generator's test key, for --public-keys)."""
    from cloudtrail_etl.integrity.digests import format_time
    from cloudtrail_etl.integrity.rsa import encode_public_key

    entries = []
    for key in keys:
        der = encode_public_key(key)
        entries.append(
            {
                "Value": base64.b64encode(der).decode("ascii"),
                "ValidityStartTime": format_time(start),
                "ValidityEndTime": format_time(end),
                "Fingerprint": fingerprint(der),
            }
        )
    return {"PublicKeyList": entries}
