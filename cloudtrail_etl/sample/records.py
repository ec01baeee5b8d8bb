"""Record assembly: the fields every event has, errors, and the small id/time helpers (hot path: keep cheap)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cloudtrail_etl.sample.constants import (
    _B32_PAIRS,
    _DECIMAL_MARK,
    _EPOCH,
    _ERROR_RATE,
    _MONTHS,
    _SECZ,
    _UUID_BITS,
    _UUID_MASK,
    _VERSIONS,
)
from cloudtrail_etl.sample.identities import _Actor


class RecordsMixin:
    """Helpers and the common record; mixed into the stream (delivery.py)."""

    def pick(self, items: Any) -> Any:
        return items[int(self.rnd() * len(items))]

    def uuid(self) -> str:
        h = "%032x" % ((self.bits(128) & _UUID_MASK) | _UUID_BITS)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def b32(self, chars: int) -> str:
        """Upper-case id characters like AWS key ids and S3 request ids ([A-Z2-7]), two per table lookup."""
        pairs = (chars + 1) // 2
        n = self.bits(pairs * 10)
        return "".join([_B32_PAIRS[(n >> shift) & 1023] for shift in range(0, pairs * 10, 10)])[:chars]

    def hexid(self, digits: int) -> str:
        return f"{self.bits(digits * 4):0{digits}x}"

    def ts(self, t: int) -> str:
        """eventTime text for epoch second t, with a per-minute prefix cache (this runs for every event)."""
        minute = t // 60
        prefix = self.minutes.get(minute)
        if prefix is None:
            prefix = (_EPOCH + dt.timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:")
            self.minutes[minute] = prefix
        return prefix + _SECZ[t - minute * 60]

    @staticmethod
    def aws_date(t: int) -> str:
        """The 'Jan 1, 2026, 3:04:05 AM' form some services use inside payloads (locale independent)."""
        moment = _EPOCH + dt.timedelta(seconds=t)
        hour = moment.hour % 12 or 12
        half = "AM" if moment.hour < 12 else "PM"
        return (
            f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year}, {hour}:{moment.minute:02d}:"
            f"{moment.second:02d} {half}"
        )

    def decimal(self, text: str) -> str:
        """A JSON number written exactly as given (1.50 stays 1.50): json.dumps alone cannot do this."""
        self.has_decimal = True
        return _DECIMAL_MARK + text

    def public_ip(self) -> str:
        first = self.pick((3, 13, 18, 34, 35, 44, 52, 54, 58, 121, 175, 203, 211, 222))
        n = self.bits(24)
        return f"{first}.{n >> 16}.{(n >> 8) & 255}.{(n & 254) + 1}"

    def private_ip(self) -> str:
        n = self.bits(16)
        return f"10.{self.pick((0, 16, 32, 48))}.{n >> 8}.{(n & 254) + 1}"

    def tls(self, host: str, level: int, key_exchange: bool) -> dict[str, str]:
        key = (host, level, key_exchange)
        found = self.tls_cache.get(key)
        if found is None:
            if level == 1:
                found = {"tlsVersion": "TLSv1.2", "cipherSuite": "ECDHE-RSA-AES128-GCM-SHA256"}
            else:
                found = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"}
            found["clientProvidedHostHeader"] = host
            if key_exchange:
                found["keyExchange"] = "x25519" if level == 1 else "X25519MLKEM768"
            self.tls_cache[key] = found
        return found

    def record(
        self,
        t: int,
        actor: _Actor,
        source: str,
        name: str,
        request: Any,
        response: Any = None,
        *,
        read_only: bool,
        extra: dict[str, Any] | None = None,
        resources: list[dict[str, str]] | None = None,
        event_type: str = "AwsApiCall",
        data_event: bool = False,
        host: str | None = None,
        request_id: str | None = None,
        shared: bool = False,
        not_found: tuple[str, str] | None = None,
        api_version: str | None = None,
    ) -> dict[str, Any]:
        """One CloudTrail record in the key order AWS writes; optional fields only where they apply."""
        rnd = self.rnd
        version = _VERSIONS[int(rnd() * 20)]
        rec: dict[str, Any] = {
            "eventVersion": version,
            "userIdentity": actor.identity,
            "eventTime": self.ts(t),
            "eventSource": source,
            "eventName": name,
            "awsRegion": self.region,
            "sourceIPAddress": actor.ip,
            "userAgent": actor.ua,
        }
        if event_type == "AwsApiCall" and actor.arn and rnd() < _ERROR_RATE:
            rec["errorCode"], rec["errorMessage"] = self.error(source, name, actor.arn, not_found)
            response = None
        rec["requestParameters"] = request
        rec["responseElements"] = response
        if extra is not None:
            rec["additionalEventData"] = extra
        if event_type == "AwsApiCall":
            rec["requestID"] = request_id or self.uuid()
        rec["eventID"] = self.uuid()
        rec["readOnly"] = read_only
        if resources is not None:
            rec["resources"] = resources
        rec["eventType"] = event_type
        if api_version:
            rec["apiVersion"] = api_version
        rec["managementEvent"] = not data_event
        rec["recipientAccountId"] = self.account
        if shared or (actor.identity.get("type") == "AWSAccount" and rnd() < 0.7):
            rec["sharedEventID"] = self.uuid()
        if actor.vpce:
            service = source[: source.index(".")]
            vpce = self.vpce_ids.get(service)
            if vpce is not None and rnd() < 0.5:
                rec["vpcEndpointId"] = vpce
                if self.vpce_owner[service]:
                    rec["vpcEndpointAccountId"] = self.account
        rec["eventCategory"] = "Data" if data_event else "Management"
        if actor.tls:
            rec["tlsDetails"] = self.tls(
                host or f"{source[: source.index('.')]}.{self.region}.amazonaws.com", actor.tls, version == "1.11"
            )
        if actor.console:
            rec["sessionCredentialFromConsole"] = "true"
        return rec

    def error(self, source: str, name: str, arn: str, not_found: tuple[str, str] | None) -> tuple[str, str]:
        roll = self.rnd()
        service = source[: source.index(".")]
        action = f"{'cloudwatch' if service == 'monitoring' else service}:{name}"
        if roll < 0.2:
            if service == "ec2":
                return "Client.RequestLimitExceeded", "Request limit exceeded."
            return "ThrottlingException", "Rate exceeded"
        if roll < 0.35 and not_found is not None:
            return not_found
        if service == "s3":
            return "AccessDenied", "Access Denied"
        if service == "ec2":
            return (
                "Client.UnauthorizedOperation",
                f"You are not authorized to perform this operation. User: {arn} is not authorized to perform: "
                f"{action} because no identity-based policy allows the {action} action",
            )
        code = "AccessDenied" if service in ("iam", "sts") else "AccessDeniedException"
        because = f"because no identity-based policy allows the {action} action"
        return code, f"User: {arn} is not authorized to perform: {action} {because}"
