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

import base64
import datetime as dt
import gzip
import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from cloudtrail_etl.sample_digests import digest_document, digest_metadata, sign_digest

__all__ = ["SampleSpec", "SampleSummary", "write_sample_trail"]

_UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_SECZ = [f"{second:02d}Z" for second in range(60)]
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_B32_PAIRS = [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"]
_UUID_MASK = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)
_UUID_BITS = (0x4 << 76) | (0x2 << 62)
_COMPACT = (",", ":")
_GZIP_LEVEL = 3
# JSON has no way to make json.dumps write 1.50: such values are written as a marked string and unmarked after.
_DECIMAL_MARK = "#sample-decimal#"
_DECIMAL_RE = re.compile(r'"#sample-decimal#(-?[0-9]+\.[0-9]+)"')
_VERSIONS = ["1.08"] * 9 + ["1.09"] * 7 + ["1.10"] * 2 + ["1.11"] * 2
_ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
_ORG_RE = re.compile(r"^o-[a-z0-9]{10,32}$")
_REGION_RE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
_LATE_FILE_RATE = 0.03  # share of files that also carry a few events delivered 15 min .. 4 h late
_ERROR_RATE = 0.05
_OTHER_ACCOUNTS = ("777788889999", "210987654321")


@dataclass(frozen=True)
class SampleSpec:
    """What to generate. Defaults: 3 UTC days, 2 accounts x 2 regions, ~3,500 files, ~140K events (~4 s)."""

    start: dt.date = dt.date(2026, 1, 1)  # first UTC delivery day
    days: int = 3  # UTC delivery days
    accounts: tuple[str, ...] = ("111122223333", "444455556666")
    regions: tuple[str, ...] = ("ap-northeast-2", "us-east-1")
    org_id: str | None = None  # "o-abc123defg" adds the organization level to the layout
    delivery_interval_minutes: float = 5  # one file per account/region per interval (fractions allowed)
    events_per_file: tuple[int, int] = (20, 60)  # inclusive range, drawn per file
    duplicate_rate: float = 0.01  # share of files re-delivered as a second file with the same records
    seed: int = 7

    def __post_init__(self) -> None:
        """Reject specs that would write a layout CloudTrail never produces, before anything is written."""
        if not isinstance(self.start, dt.date) or isinstance(self.start, dt.datetime):
            raise ValueError(f"start must be a datetime.date, got {self.start!r}")
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if not self.accounts or any(not _ACCOUNT_RE.match(str(a)) for a in self.accounts):
            raise ValueError(f"accounts must be 12-digit AWS account ids, got {self.accounts!r}")
        if len(set(self.accounts)) != len(self.accounts) or len(set(self.regions)) != len(self.regions):
            raise ValueError("accounts and regions must not repeat")
        if not self.regions or any(not _REGION_RE.match(str(r)) for r in self.regions):
            raise ValueError(f"regions must look like 'ap-northeast-2', got {self.regions!r}")
        if self.org_id is not None and not _ORG_RE.match(self.org_id):
            raise ValueError(f"org_id must look like 'o-abc123defg', got {self.org_id!r}")
        if not self.delivery_interval_minutes > 0 or self.delivery_interval_minutes > 1440:
            raise ValueError(f"delivery_interval_minutes must be in (0, 1440], got {self.delivery_interval_minutes}")
        low, high = self.events_per_file
        if low < 1 or high < low:
            raise ValueError(f"events_per_file must be (low, high) with 1 <= low <= high, got {self.events_per_file}")
        if not 0.0 <= self.duplicate_rate <= 1.0:
            raise ValueError(f"duplicate_rate must be within [0, 1], got {self.duplicate_rate}")


@dataclass(frozen=True)
class SampleSummary:
    """What was written, so callers can check the ETL's counts against the truth."""

    root: Path
    files_written: int  # log files, duplicate deliveries included, digests excluded
    events_written: int  # records in all log files, duplicates included
    distinct_event_ids: int  # what a correct dedup by eventID keeps
    duplicate_files: int  # re-deliveries (each repeats all records of an earlier file)
    digest_files: int = 0
    # digest key -> S3 user metadata CloudTrail sets on it ({"signature": hex, "signature-algorithm": ...}):
    # an upload to S3 (or moto) puts these, so that `verify` can check the signatures.
    digest_metadata: dict[str, dict[str, str]] = field(default_factory=dict)


def write_sample_trail(root: Path, spec: SampleSpec = SampleSpec()) -> SampleSummary:
    """Write a deterministic sample trail under ROOT/AWSLogs and return its counts.

    Each account/region stream has its own RNG seeded from spec.seed, so output does not depend on dict order,
    the clock or the time zone of the machine. Files already under ROOT are left alone (write to an empty folder).
    distinct_event_ids assumes no collision among 122-bit random eventIDs.
    """
    root = Path(root)
    master = random.Random(spec.seed)
    bucket = f"aws-cloudtrail-logs-{spec.accounts[0]}-{master.getrandbits(32):08x}"
    writer = _Writer(root)
    totals = [0, 0, 0, 0]  # files, events, duplicate files, duplicate events
    for account in spec.accounts:
        for region in spec.regions:
            stream_rng = random.Random(master.getrandbits(64))
            trail = _Trail(spec, account, region, bucket, stream_rng, writer)
            files, events, dup_files, dup_events = trail.run()
            totals[0] += files
            totals[1] += events
            totals[2] += dup_files
            totals[3] += dup_events
    return SampleSummary(
        root=root,
        files_written=totals[0],
        events_written=totals[1],
        distinct_event_ids=totals[1] - totals[3],
        duplicate_files=totals[2],
        digest_files=writer.digests,
        digest_metadata={key: digest_metadata(sig) for key, sig in sorted(writer.signatures.items())},
    )


class _Writer:
    """Writes gzip files reproducibly (mtime 0, no file name in the header) and creates each folder once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made: set[str] = set()
        self.digests = 0
        self.signatures: dict[str, str] = {}  # digest key -> hex signature (S3 metadata `signature`)

    def write(self, key: str, payload: bytes) -> None:
        folder, _, _ = key.rpartition("/")
        if folder not in self.made:
            (self.root / folder).mkdir(parents=True, exist_ok=True)
            self.made.add(folder)
        (self.root / key).write_bytes(gzip.compress(payload, compresslevel=_GZIP_LEVEL, mtime=0))


class _Actor:
    """One caller: its userIdentity element and how its requests look (address, agent, TLS, VPC endpoint)."""

    __slots__ = ("arn", "console", "identity", "ip", "tls", "ua", "vpce")

    def __init__(
        self,
        identity: dict[str, Any],
        ip: str,
        ua: str,
        *,
        console: bool = False,
        tls: int = 2,
        vpce: bool = False,
    ) -> None:
        self.identity = identity
        self.ip = ip
        self.ua = ua
        self.console = console
        self.tls = tls  # 0: no tlsDetails (AWS-internal calls), 1: TLSv1.2, 2: TLSv1.3
        self.vpce = vpce
        self.arn = identity.get("arn")


_UA_BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36"
)
_UA_BOTO = (
    "Boto3/1.35.92 md/Botocore#1.35.92 ua/2.0 os/linux#6.1.119-129.201.amzn2023.x86_64 md/arch#x86_64 "
    "lang/python#3.11.10 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.92"
)
_UA_CLI = (
    "aws-cli/2.22.26 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0-1021-aws md/arch#x86_64 lang/python#3.12.6 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off "
    "md/command#sts.get-caller-identity"
)
_UA_LAMBDA = (
    "aws-sdk-java/2.29.43 Linux/5.10.230-244.887.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 "
    "vendor/Amazon.com_Inc. md/internal exec-env/AWS_Lambda_java21 io/sync http/Apache cfg/retry-mode/legacy"
)
_UA_GO = "aws-sdk-go-v2/1.32.7 ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64 api/sts#1.33.3"
_UA_TERRAFORM = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.10.3 (+https://www.terraform.io) terraform-provider-aws/5.82.2 "
    "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.7 ua/2.1 os/linux lang/go#1.23.4"
)
_UA_S3CONSOLE = (
    "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.779 Linux/5.10.230-202.885.amzn2int.x86_64 "
    "OpenJDK_64-Bit_Server_VM/25.432-b06 java/1.8.0_432 vendor/Oracle_Corporation cfg/retry-mode/standard]"
)


class _Trail:
    """The deliveries of one account and region: files every interval, events, duplicates and digests."""

    def __init__(
        self,
        spec: SampleSpec,
        account: str,
        region: str,
        bucket: str,
        rng: random.Random,
        writer: _Writer,
    ) -> None:
        self.spec = spec
        self.account = account
        self.region = region
        self.bucket = bucket
        self.rng = rng
        self.rnd = rng.random
        self.bits = rng.getrandbits
        self.writer = writer
        self.trail_name = "org-trail" if spec.org_id else "management-events"
        org = f"{spec.org_id}/" if spec.org_id else ""
        self.log_prefix = f"AWSLogs/{org}{account}/CloudTrail/{region}/"
        self.digest_prefix = f"AWSLogs/{org}{account}/CloudTrail-Digest/{region}/"
        self.minutes: dict[int, str] = {}
        self.tls_cache: dict[tuple[str, int, bool], dict[str, str]] = {}
        self.pools: dict[int, list[_Actor]] = {}
        self.has_decimal = False
        self.digest_offset = 0
        self._make_resources()
        self._make_static_actors()
        self.table = self._template_table()

    # ---------------------------------------------------------------- small helpers (hot path: keep them cheap)

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

    # ---------------------------------------------------------------- the account's resources and principals

    def _make_resources(self) -> None:
        acct, region = self.account, self.region
        self.buckets = [
            f"{acct}-app-data-{region}",
            f"cdk-hnb659fds-assets-{acct}-{region}",
            f"prod-uploads-{self.hexid(8)}",
            f"analytics-raw-{acct}",
            f"config-bucket-{acct}",
        ]
        self.key_ids = [self.uuid() for _ in range(3)]
        self.key_arns = [f"arn:aws:kms:{region}:{acct}:key/{key}" for key in self.key_ids]
        self.instances = ["i-0" + self.hexid(16) for _ in range(6)]
        self.vpcs = ["vpc-0" + self.hexid(16) for _ in range(2)]
        self.subnets = ["subnet-0" + self.hexid(16) for _ in range(4)]
        self.security_groups = ["sg-0" + self.hexid(16) for _ in range(3)]
        self.functions = ["orders-api", "thumbnail-resizer", "audit-forwarder", "nightly-report"]
        self.function_arns = [f"arn:aws:lambda:{region}:{acct}:function:{name}" for name in self.functions]
        self.tables = ["orders", "sessions", "inventory"]
        self.table_arns = [f"arn:aws:dynamodb:{region}:{acct}:table/{name}" for name in self.tables]
        self.stream_arns = [
            f"{arn}/stream/2025-11-{3 + i:02d}T08:15:{30 + i:02d}.{self.bits(10) % 1000:03d}"
            for i, arn in enumerate(self.table_arns)
        ]
        self.log_groups = ["/aws/lambda/orders-api", "/aws/lambda/thumbnail-resizer", "/ecs/web", "/aws/eks/prod"]
        self.parameters = ["/prod/db/host", "/prod/api/base-url", "/shared/feature-flags", "/prod/db/password"]
        self.secrets = ["prod/db/credentials", "prod/stripe/api-key", "staging/db/credentials"]
        self.roles = ["app-backend-role", "orders-api-role-7f3k2", "github-actions-deploy", "terraform-admin"]
        self.vpce_ids = {
            service: "vpce-0" + self.hexid(16)
            for service in ("s3", "kms", "ssm", "secretsmanager", "logs", "sts", "dynamodb")
        }
        self.vpce_owner = {service: self.rnd() < 0.4 for service in self.vpce_ids}

    def _make_static_actors(self) -> None:
        acct = self.account
        self.services = {
            name: _Actor({"type": "AWSService", "invokedBy": name}, name, name, tls=0)
            for name in (
                "lambda.amazonaws.com",
                "ecs-tasks.amazonaws.com",
                "ec2.amazonaws.com",
                "s3.amazonaws.com",
                "secretsmanager.amazonaws.com",
                "cloudformation.amazonaws.com",
                "config.amazonaws.com",
                "apigateway.amazonaws.com",
                "rds.amazonaws.com",
            )
        }
        scoped = {
            "type": "AWSService",
            "invokedBy": "lambda.amazonaws.com",
            "inScopeOf": {
                "sourceArn": self.function_arns[0],
                "sourceAccount": acct,
                "issuerType": "AWS::Lambda::Function",
                "credentialsIssuedTo": f"arn:aws:iam::{acct}:role/{self.roles[1]}",
            },
        }
        self.scoped_lambda = _Actor(scoped, "lambda.amazonaws.com", "lambda.amazonaws.com", tls=0)
        store = f"arn:aws:identitystore::{acct}:identitystore/d-9067{self.hexid(6)}"
        self.idc_users = [
            _Actor(
                {
                    "type": "IdentityCenterUser",
                    "accountId": acct,
                    "onBehalfOf": {"userId": self.uuid(), "identityStoreArn": store},
                    "credentialId": "".join(self.rng.choices(_ALNUM + "-_", k=60)),
                },
                self.public_ip(),
                _UA_BROWSER,
            )
            for _ in range(2)
        ]
        user_id = "AIDA" + self.b32(17)
        self.login_actors = [
            _Actor(
                {
                    "type": "IAMUser",
                    "principalId": user_id,
                    "arn": f"arn:aws:iam::{acct}:user/alice",
                    "accountId": acct,
                    "userName": "alice",
                },
                self.public_ip(),
                _UA_BROWSER,
            ),
            _Actor(
                {
                    "type": "Root",
                    "principalId": acct,
                    "arn": f"arn:aws:iam::{acct}:root",
                    "accountId": acct,
                    "accessKeyId": "",
                },
                self.public_ip(),
                _UA_BROWSER,
            ),
        ]
        self.alice_id = user_id
        self.ci_user = {
            "type": "IAMUser",
            "principalId": "AIDA" + self.b32(17),
            "arn": f"arn:aws:iam::{acct}:user/ci-bot",
            "accountId": acct,
            "accessKeyId": "AKIA" + self.b32(16),
            "userName": "ci-bot",
        }
        self.ci_ip = self.public_ip()
        self.role_ids = {role: "AROA" + self.b32(17) for role in self.roles}
        self.sso_role = f"AWSReservedSSO_AdministratorAccess_{self.hexid(16)}"
        self.role_ids[self.sso_role] = "AROA" + self.b32(17)
        self.office_ip = self.public_ip()

    def _assumed(
        self,
        role: str,
        session: str,
        created: str,
        *,
        path: str = "",
        source_identity: str | None = None,
        ec2: bool = False,
        web: bool = False,
    ) -> dict[str, Any]:
        acct = self.account
        role_id = self.role_ids[role]
        context: dict[str, Any] = {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id,
                "arn": f"arn:aws:iam::{acct}:role/{path}{role}",
                "accountId": acct,
                "userName": role,
            },
            "webIdFederationData": (
                {
                    "federatedProvider": f"arn:aws:iam::{acct}:oidc-provider/token.actions.githubusercontent.com",
                    "attributes": {},
                }
                if web
                else {}
            ),
            "attributes": {"creationDate": created, "mfaAuthenticated": "false"},
        }
        if source_identity:
            context["sourceIdentity"] = source_identity
        if ec2:
            context["ec2RoleDelivery"] = "2.0"
        return {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{session}",
            "arn": f"arn:aws:sts::{acct}:assumed-role/{role}/{session}",
            "accountId": acct,
            "accessKeyId": "ASIA" + self.b32(16),
            "sessionContext": context,
        }

    def _pool(self, hour: int) -> list[_Actor]:
        """Principals active in one hour (sessions are renewed hourly so creationDate precedes their events)."""
        pool = self.pools.get(hour)
        if pool is not None:
            return pool
        if len(self.pools) > 8:
            for old in sorted(self.pools)[:-4]:
                del self.pools[old]
        acct = self.account
        start = hour * 3600

        def created() -> str:
            return self.ts(start - 60 - int(self.rnd() * 3000))

        app = _Actor(
            self._assumed(self.roles[0], self.pick(self.instances), created(), ec2=True),
            self.private_ip(),
            _UA_BOTO,
            tls=2,
            vpce=True,
        )
        lam = _Actor(
            self._assumed(self.roles[1], self.functions[0], created()),
            self.public_ip(),
            _UA_LAMBDA,
            tls=2,
            vpce=True,
        )
        sso_identity = self._assumed(
            self.sso_role,
            "alice@example.com",
            created(),
            path="aws-reserved/sso.amazonaws.com/ap-northeast-2/",
        )
        sso = _Actor(sso_identity, self.office_ip, _UA_BROWSER, console=True)
        sso_internal = _Actor(
            dict(sso_identity, invokedBy="AWS Internal"), "AWS Internal", "AWS Internal", console=True, tls=0
        )
        sso_s3 = _Actor(sso_identity, self.office_ip, _UA_S3CONSOLE, console=True, tls=1)
        gha = _Actor(self._assumed(self.roles[2], "GitHubActions", created(), web=True), self.public_ip(), _UA_CLI)
        terraform = _Actor(
            self._assumed(self.roles[3], "bob", created(), source_identity="bob@example.com"),
            self.office_ip,
            _UA_TERRAFORM,
            tls=1,
        )
        ci = _Actor(self.ci_user, self.ci_ip, _UA_GO, tls=1)
        alice_identity = {
            "type": "IAMUser",
            "principalId": self.alice_id,
            "arn": f"arn:aws:iam::{acct}:user/alice",
            "accountId": acct,
            "accessKeyId": "ASIA" + self.b32(16),
            "userName": "alice",
            "sessionContext": {
                "sessionIssuer": {},
                "webIdFederationData": {},
                "attributes": {"creationDate": created(), "mfaAuthenticated": "true"},
            },
        }
        alice = _Actor(alice_identity, self.office_ip, _UA_BROWSER, console=True)
        alice_internal = _Actor(
            dict(alice_identity, invokedBy="AWS Internal"), "AWS Internal", "AWS Internal", console=True, tls=0
        )
        federated = _Actor(
            {
                "type": "FederatedUser",
                "principalId": f"{acct}:ops-oncall",
                "arn": f"arn:aws:sts::{acct}:federated-user/ops-oncall",
                "accountId": acct,
                "accessKeyId": "ASIA" + self.b32(16),
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "IAMUser",
                        "principalId": self.ci_user["principalId"],
                        "arn": self.ci_user["arn"],
                        "accountId": acct,
                        "userName": "ci-bot",
                    },
                    "webIdFederationData": {},
                    "attributes": {"creationDate": created(), "mfaAuthenticated": "false"},
                },
            },
            self.public_ip(),
            _UA_CLI,
        )
        other = self.pick(_OTHER_ACCOUNTS)
        cross = _Actor(
            {"type": "AWSAccount", "principalId": "AROA" + self.b32(17) + ":jenkins", "accountId": other},
            self.public_ip(),
            _UA_BOTO,
        )
        root_identity = {
            "type": "Root",
            "principalId": acct,
            "arn": f"arn:aws:iam::{acct}:root",
            "accountId": acct,
            "accessKeyId": "ASIA" + self.b32(16),
            "sessionContext": {"attributes": {"creationDate": created(), "mfaAuthenticated": "true"}},
        }
        root = _Actor(root_identity, self.office_ip, _UA_BROWSER, console=True)
        root_internal = _Actor(
            dict(root_identity, invokedBy="AWS Internal"), "AWS Internal", "AWS Internal", console=True, tls=0
        )
        ipv6 = _Actor(
            self._assumed(self.roles[0], self.pick(self.instances), created(), ec2=True),
            f"2406:da12:{self.hexid(3)}:{self.hexid(4)}:{self.hexid(4)}:{self.hexid(4)}:{self.hexid(4)}:1",
            _UA_BOTO,
        )
        weighted = (
            (app, 24),
            (lam, 20),
            (sso, 7),
            (sso_internal, 6),
            (gha, 5),
            (terraform, 4),
            (ci, 10),
            (alice, 5),
            (alice_internal, 3),
            (federated, 2),
            (cross, 3),
            (root, 1),
            (root_internal, 1),
            (ipv6, 1),
        )
        pool = [actor for actor, weight in weighted for _ in range(weight)]
        pool.append(sso_s3)  # the last entry: the S3 console, used by S3 templates only
        self.pools[hour] = pool
        return pool

    def principal(self, t: int) -> _Actor:
        pool = self.pools.get(t // 3600) or self._pool(t // 3600)
        return pool[int(self.rnd() * (len(pool) - 1))]

    def s3_caller(self, t: int) -> _Actor:
        """S3 calls: a quarter come from the S3 console (its own user agent, TLS 1.2)."""
        if self.rnd() < 0.25:
            pool = self.pools.get(t // 3600) or self._pool(t // 3600)
            return pool[-1]
        return self.principal(t)

    # ---------------------------------------------------------------- record assembly

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

    # ---------------------------------------------------------------- event templates (source, name, payload shape)

    def _s3_extra(self, out_bytes: int, in_bytes: int = 0) -> dict[str, Any]:
        return {
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": in_bytes,
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": base64.b64encode(self.bits(448).to_bytes(56, "big")).decode(),
            "bytesTransferredOut": out_bytes,
        }

    def _bucket_resource(self, bucket: str) -> list[dict[str, str]]:
        return [{"accountId": self.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}]

    def s3_bucket_read(self, t: int) -> dict[str, Any]:
        bucket = self.pick(self.buckets)
        name, key, not_found = self.pick(
            (
                ("GetBucketAcl", "acl", None),
                ("GetBucketPolicy", "policy", ("NoSuchBucketPolicy", "The bucket policy does not exist")),
                (
                    "GetBucketPublicAccessBlock",
                    "publicAccessBlock",
                    ("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"),
                ),
                ("GetBucketVersioning", "versioning", None),
                ("GetBucketTagging", "tagging", ("NoSuchTagSet", "The TagSet does not exist")),
            )
        )
        host = f"{bucket}.s3.{self.region}.amazonaws.com"
        return self.record(
            t,
            self.s3_caller(t),
            "s3.amazonaws.com",
            name,
            {"bucketName": bucket, "Host": host, key: ""},
            read_only=True,
            extra=self._s3_extra(200 + int(self.rnd() * 600)),
            resources=self._bucket_resource(bucket),
            host=host,
            request_id=self.b32(16),
            not_found=not_found,
        )

    def s3_list_buckets(self, t: int) -> dict[str, Any]:
        host = f"s3.{self.region}.amazonaws.com"
        return self.record(
            t,
            self.s3_caller(t),
            "s3.amazonaws.com",
            "ListBuckets",
            {"Host": host},
            read_only=True,
            extra=self._s3_extra(1200 + int(self.rnd() * 4000)),
            host=host,
            request_id=self.b32(16),
        )

    def s3_list_access_points(self, t: int) -> dict[str, Any]:
        host = f"{self.account}.s3-control.{self.region}.amazonaws.com"
        # S3 Control sends maxResults as a string; EC2 and CloudTrail send it as a number.
        return self.record(
            t,
            self.s3_caller(t),
            "s3.amazonaws.com",
            "ListAccessPoints",
            {"bucket": self.pick(self.buckets), "Host": host, "maxResults": self.pick(("1", "100", "1000"))},
            read_only=True,
            extra=self._s3_extra(72),
            host=host,
            request_id=self.b32(16),
        )

    def s3_create_bucket(self, t: int) -> dict[str, Any]:
        bucket = f"tmp-{self.account}-{self.hexid(8)}"
        request: dict[str, Any] = {"bucketName": bucket, "Host": f"s3.{self.region}.amazonaws.com"}
        if self.region != "us-east-1":
            request = {
                "CreateBucketConfiguration": {
                    "LocationConstraint": self.region,
                    "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                },
                **request,
            }
        request["x-amz-object-ownership"] = "BucketOwnerEnforced"
        return self.record(
            t,
            self.principal(t),
            "s3.amazonaws.com",
            "CreateBucket",
            request,
            read_only=False,
            extra=self._s3_extra(0, 150),
            resources=self._bucket_resource(bucket),
            host=request["Host"],
            request_id=self.b32(16),
        )

    def s3_object(self, t: int) -> dict[str, Any]:
        bucket = self.pick(self.buckets[:4])
        put = self.rnd() < 0.35
        folder = self.pick(("uploads", "exports", "raw/events", "thumbnails"))
        key = f"{folder}/{self.hexid(12)}.{self.pick(('json', 'jpg', 'parquet', 'csv'))}"
        host = f"{bucket}.s3.{self.region}.amazonaws.com"
        size = 512 + int(self.rnd() * 2_000_000)
        response = None
        if put:
            response = {
                "x-amz-server-side-encryption": "aws:kms",
                "x-amz-server-side-encryption-aws-kms-key-id": self.key_arns[0],
                "x-amz-version-id": self.b32(32),
            }
        resources = [
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
            {"accountId": self.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ]
        return self.record(
            t,
            self.principal(t),
            "s3.amazonaws.com",
            "PutObject" if put else "GetObject",
            {"bucketName": bucket, "Host": host, "key": key},
            response,
            read_only=not put,
            extra=self._s3_extra(0 if put else size, size if put else 0),
            resources=resources,
            data_event=True,
            host=host,
            request_id=self.b32(16),
            not_found=None if put else ("NoSuchKey", "The specified key does not exist."),
        )

    def ec2_describe_instances(self, t: int) -> dict[str, Any]:
        if self.rnd() < 0.5:
            request: dict[str, Any] = {
                "instancesSet": {},
                "filterSet": {
                    "items": [{"name": "instance-state-name", "valueSet": {"items": [{"value": "running"}]}}]
                },
                "maxResults": 1000,
            }
        else:
            request = {"instancesSet": {"items": [{"instanceId": self.pick(self.instances)}]}, "filterSet": {}}
        return self.record(t, self.principal(t), "ec2.amazonaws.com", "DescribeInstances", request, read_only=True)

    def ec2_describe_network(self, t: int) -> dict[str, Any]:
        name, id_set = self.pick(
            (
                ("DescribeRouteTables", "routeTableIdSet"),
                ("DescribeSecurityGroups", "securityGroupIdSet"),
                ("DescribeSubnets", "subnetSet"),
                ("DescribeVpcs", "vpcSet"),
                ("DescribeNetworkInterfaces", "networkInterfaceIdSet"),
            )
        )
        request = {
            id_set: {},
            "filterSet": {"items": [{"name": "vpc-id", "valueSet": {"items": [{"value": self.pick(self.vpcs)}]}}]},
        }
        return self.record(t, self.principal(t), "ec2.amazonaws.com", name, request, read_only=True)

    def ec2_run_instances(self, t: int) -> dict[str, Any]:
        instance = "i-0" + self.hexid(16)
        subnet = self.pick(self.subnets)
        group = self.pick(self.security_groups)
        ip = self.private_ip()
        tags = [{"key": "Name", "value": f"web-{self.bits(8)}"}, {"key": "team", "value": "platform"}]
        request = {
            "instancesSet": {"items": [{"imageId": "ami-0" + self.hexid(16), "minCount": 1, "maxCount": 1}]},
            "instanceType": self.pick(("t3.micro", "m7g.large", "c7i.xlarge")),
            "blockDeviceMapping": {},
            "monitoring": {"enabled": False},
            "subnetId": subnet,
            "disableApiTermination": False,
            "disableApiStop": False,
            "clientToken": self.uuid(),
            "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": tags}]},
        }
        response = {
            "requestId": self.uuid(),
            "reservationId": "r-0" + self.hexid(16),
            "ownerId": self.account,
            "groupSet": {},
            "instancesSet": {
                "items": [
                    {
                        "instanceId": instance,
                        "imageId": request["instancesSet"]["items"][0]["imageId"],
                        "instanceState": {"code": 0, "name": "pending"},
                        "privateDnsName": f"ip-{ip.replace('.', '-')}.{self.region}.compute.internal",
                        "amiLaunchIndex": 0,
                        "productCodes": {},
                        "instanceType": request["instanceType"],
                        "launchTime": t * 1000,
                        "placement": {"availabilityZone": f"{self.region}a", "tenancy": "default"},
                        "monitoring": {"state": "disabled"},
                        "subnetId": subnet,
                        "vpcId": self.vpcs[0],
                        "privateIpAddress": ip,
                        "stateReason": {"code": "pending", "message": "pending"},
                        "architecture": "x86_64",
                        "rootDeviceType": "ebs",
                        "rootDeviceName": "/dev/xvda",
                        "blockDeviceMapping": {},
                        "virtualizationType": "hvm",
                        "tagSet": {"items": tags},
                        "groupSet": {"items": [{"groupId": group, "groupName": "web"}]},
                        "sourceDestCheck": True,
                        "ebsOptimized": False,
                        "enaSupport": True,
                        "cpuOptions": {"coreCount": 1, "threadsPerCore": 2},
                        "metadataOptions": {
                            "state": "pending",
                            "httpTokens": "required",
                            "httpPutResponseHopLimit": 2,
                            "httpEndpoint": "enabled",
                        },
                    }
                ]
            },
        }
        return self.record(
            t,
            self.principal(t),
            "ec2.amazonaws.com",
            "RunInstances",
            request,
            response,
            read_only=False,
            not_found=(
                "Client.VcpuLimitExceeded",
                "You have requested more vCPU capacity than your current vCPU limit of 32 allows for the instance "
                "bucket that the specified instance type belongs to.",
            ),
        )

    def ec2_create_tags(self, t: int) -> dict[str, Any]:
        request = {
            "resourcesSet": {"items": [{"resourceId": self.pick(self.instances)}]},
            "tagSet": {"items": [{"key": "owner", "value": self.pick(("alice", "bob", "platform"))}]},
        }
        return self.record(
            t, self.principal(t), "ec2.amazonaws.com", "CreateTags", request, {"_return": True}, read_only=False
        )

    def iam_read(self, t: int) -> dict[str, Any]:
        name, request = self.pick(
            (
                ("GetUser", {"userName": "ci-bot"}),
                ("GetRole", {"roleName": self.roles[0]}),
                ("ListRoles", {"maxItems": 100}),
                ("ListAttachedRolePolicies", {"roleName": self.roles[1]}),
                ("GetAccountAuthorizationDetails", None),
            )
        )
        return self.record(
            t,
            self.principal(t),
            "iam.amazonaws.com",
            name,
            request,
            read_only=True,
            host="iam.amazonaws.com",
            not_found=("NoSuchEntityException", "The role with name app-backend-role cannot be found."),
        )

    def iam_create_role(self, t: int) -> dict[str, Any]:
        role = f"svc-{self.pick(('etl', 'batch', 'reporting'))}-{self.hexid(6)}"
        policy = (
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},'
            '"Action":"sts:AssumeRole"}]}'
        )
        tags = [{"key": "team", "value": "data"}, {"key": "env", "value": "prod"}]  # IAM: tags is an array
        response = {
            "role": {
                "path": "/",
                "roleName": role,
                "roleId": "AROA" + self.b32(17),
                "arn": f"arn:aws:iam::{self.account}:role/{role}",
                "createDate": self.aws_date(t),
                "assumeRolePolicyDocument": policy.replace('"', "%22").replace("{", "%7B").replace("}", "%7D"),
                "tags": tags,
            }
        }
        return self.record(
            t,
            self.principal(t),
            "iam.amazonaws.com",
            "CreateRole",
            {"roleName": role, "assumeRolePolicyDocument": policy, "tags": tags},
            response,
            read_only=False,
            host="iam.amazonaws.com",
        )

    def sts_assume_role(self, t: int) -> dict[str, Any]:
        roll = self.rnd()
        role = self.pick(self.roles[:2])
        role_arn = f"arn:aws:iam::{self.account}:role/{role}"
        if roll < 0.45:
            actor = self.services[self.pick(("lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "ec2.amazonaws.com"))]
            session = self.pick(self.instances) if actor.ip.startswith("ec2") else self.pick(self.functions)
        elif roll < 0.5:
            actor = self.scoped_lambda
            session = self.functions[0]
        else:
            actor = self.principal(t)
            session = f"session-{self.hexid(8)}"
        request = {"roleArn": role_arn, "roleSessionName": session, "durationSeconds": 3600}
        response = {
            "credentials": {
                "accessKeyId": "ASIA" + self.b32(16),
                "sessionToken": base64.b64encode(self.bits(960).to_bytes(120, "big")).decode(),
                "expiration": self.aws_date(t + 3600),
            },
            "assumedRoleUser": {
                "assumedRoleId": f"{self.role_ids[role]}:{session}",
                "arn": f"arn:aws:sts::{self.account}:assumed-role/{role}/{session}",
            },
        }
        resources = [
            {"accountId": self.account, "type": "AWS::IAM::Role", "ARN": role_arn},
        ]
        return self.record(
            t,
            actor,
            "sts.amazonaws.com",
            "AssumeRole",
            request,
            response,
            read_only=True,
            resources=resources,
            shared=actor.identity.get("type") == "AWSService" and self.rnd() < 0.3,
        )

    def sts_get_caller_identity(self, t: int) -> dict[str, Any]:
        return self.record(t, self.principal(t), "sts.amazonaws.com", "GetCallerIdentity", None, read_only=True)

    def kms_crypto(self, t: int) -> dict[str, Any]:
        key = int(self.rnd() * len(self.key_arns))
        by_service = self.rnd() < 0.5
        if by_service:
            actor = self.services[self.pick(("s3.amazonaws.com", "secretsmanager.amazonaws.com"))]
        else:
            actor = self.principal(t)
        if self.rnd() < 0.75:
            name = "Decrypt"
            if actor.ip.startswith("s3"):
                bucket = self.pick(self.buckets[:4])
                context = {"aws:s3:arn": f"arn:aws:s3:::{bucket}/{self.hexid(12)}.json"}
            else:
                context = {"PARAMETER_ARN": f"arn:aws:ssm:{self.region}:{self.account}:parameter{self.parameters[3]}"}
            request: dict[str, Any] = {"encryptionContext": context, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
        else:
            name = "GenerateDataKey"
            request = {
                "keyId": self.key_arns[key],
                "encryptionContext": {"aws:s3:arn": f"arn:aws:s3:::{self.buckets[0]}"},
                "keySpec": "AES_256",
            }
        resources = [{"accountId": self.account, "type": "AWS::KMS::Key", "ARN": self.key_arns[key]}]
        return self.record(
            t,
            actor,
            "kms.amazonaws.com",
            name,
            request,
            read_only=True,
            resources=resources,
            shared=by_service and self.rnd() < 0.5,
        )

    def dynamodb_read(self, t: int) -> dict[str, Any]:
        i = int(self.rnd() * len(self.tables))
        if self.rnd() < 0.65:
            # DynamoDB Streams resources come without a type here: the ETL must accept a missing resources.type.
            return self.record(
                t,
                self.principal(t),
                "dynamodb.amazonaws.com",
                "DescribeStream",
                {"streamArn": self.stream_arns[i]},
                read_only=True,
                resources=[{"accountId": self.account, "ARN": self.stream_arns[i]}],
                host=f"streams.dynamodb.{self.region}.amazonaws.com",
            )
        return self.record(
            t,
            self.principal(t),
            "dynamodb.amazonaws.com",
            "DescribeTable",
            {"tableName": self.tables[i]},
            read_only=True,
            resources=[{"accountId": self.account, "type": "AWS::DynamoDB::Table", "ARN": self.table_arns[i]}],
            not_found=("ResourceNotFoundException", f"Requested resource not found: Table: {self.tables[i]} not found"),
        )

    def console_login(self, t: int) -> dict[str, Any]:
        root = self.rnd() >= 0.85
        actor = self.login_actors[1 if root else 0]
        mfa = "root-account-mfa-device" if root else "alice"
        failed = self.rnd() < 0.1
        record = self.record(
            t,
            actor,
            "signin.amazonaws.com",
            "ConsoleLogin",
            None,
            {"ConsoleLogin": "Failure" if failed else "Success"},
            read_only=False,
            extra={
                "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
                "MobileVersion": "No",
                "MFAIdentifier": f"arn:aws:iam::{self.account}:mfa/{mfa}",
                "MFAUsed": "Yes",
            },
            event_type="AwsConsoleSignIn",
            host="signin.aws.amazon.com",
        )
        if failed:
            record["errorMessage"] = "Failed authentication"
        return record

    def lambda_management(self, t: int) -> dict[str, Any]:
        if self.rnd() < 0.85:
            name = self.pick(("ListFunctions20150331", "GetFunction20150331v2", "GetFunctionConfiguration20150331v2"))
            request: Any = (
                {"functionVersion": "ALL", "maxItems": 50}
                if name.startswith("List")
                else {"functionName": self.pick(self.functions)}
            )
            return self.record(t, self.principal(t), "lambda.amazonaws.com", name, request, read_only=True)
        function = f"job-{self.hexid(6)}"
        role = f"arn:aws:iam::{self.account}:role/{self.roles[1]}"
        tags = {"team": "data", "env": "prod"}  # Lambda: tags is an object
        request = {
            "functionName": function,
            "runtime": "python3.12",
            "role": role,
            "handler": "app.handler",
            "code": {},
            "timeout": 30,
            "memorySize": 256,
            "publish": False,
            "tags": tags,
        }
        response = {
            "functionName": function,
            "functionArn": f"arn:aws:lambda:{self.region}:{self.account}:function:{function}",
            "runtime": "python3.12",
            "role": role,
            "handler": "app.handler",
            "codeSize": 1024 + self.bits(16),
            "description": "",
            "timeout": 30,
            "memorySize": 256,
            "lastModified": self.ts(t)[:-1] + ".000+0000",
            "codeSha256": base64.b64encode(self.bits(256).to_bytes(32, "big")).decode(),
            "version": "$LATEST",
            "tracingConfig": {"mode": "PassThrough"},
            "revisionId": self.uuid(),
            "state": "Pending",
            "stateReason": "The function is being created.",
            "stateReasonCode": "Creating",
            "packageType": "Zip",
            "architectures": ["arm64"],
            "ephemeralStorage": {"size": 512},
            "loggingConfig": {"logFormat": "Text", "logGroup": f"/aws/lambda/{function}"},
        }
        return self.record(
            t, self.principal(t), "lambda.amazonaws.com", "CreateFunction20150331", request, response, read_only=False
        )

    def lambda_invoke(self, t: int) -> dict[str, Any]:
        i = int(self.rnd() * len(self.functions))
        roll = self.rnd()
        actor = self.services["apigateway.amazonaws.com"] if roll < 0.3 else self.principal(t)
        return self.record(
            t,
            actor,
            "lambda.amazonaws.com",
            "Invoke",
            {"functionName": self.function_arns[i], "invocationType": self.pick(("RequestResponse", "Event"))},
            read_only=False,
            extra={"functionVersion": f"{self.function_arns[i]}:$LATEST"},
            resources=[{"accountId": self.account, "type": "AWS::Lambda::Function", "ARN": self.function_arns[i]}],
            data_event=True,
        )

    def cloudtrail_read(self, t: int) -> dict[str, Any]:
        if self.rnd() < 0.5:
            request: dict[str, Any] = {
                "lookupAttributes": [{"attributeKey": "EventName", "attributeValue": "ConsoleLogin"}],
                "startTime": self.aws_date(t - 86400),
                "endTime": self.aws_date(t),
                "maxResults": 50,
            }
            actor = self.principal(t)
            return self.record(t, actor, "cloudtrail.amazonaws.com", "LookupEvents", request, read_only=True)
        trail = self.trail_name
        name, request = self.pick(
            (
                ("DescribeTrails", {"includeShadowTrails": False}),
                ("GetTrailStatus", {"name": f"arn:aws:cloudtrail:{self.region}:{self.account}:trail/{trail}"}),
                ("GetEventSelectors", {"trailName": self.trail_name}),
            )
        )
        return self.record(t, self.principal(t), "cloudtrail.amazonaws.com", name, request, read_only=True)

    def logs_event(self, t: int) -> dict[str, Any]:
        roll = self.rnd()
        group = self.pick(self.log_groups)
        if roll < 0.7:
            stream = f"2026/01/01/[$LATEST]{self.hexid(32)}"
            return self.record(
                t,
                self.principal(t),
                "logs.amazonaws.com",
                "CreateLogStream",
                {"logGroupName": group, "logStreamName": stream},
                read_only=False,
                not_found=("ResourceAlreadyExistsException", "The specified log stream already exists"),
            )
        if roll < 0.95:
            return self.record(
                t,
                self.principal(t),
                "logs.amazonaws.com",
                "DescribeLogGroups",
                {"logGroupNamePrefix": "/aws/lambda/", "limit": 50},
                read_only=True,
            )
        return self.record(
            t,
            self.principal(t),
            "logs.amazonaws.com",
            "CreateLogGroup",
            {"logGroupName": f"/app/{self.hexid(6)}", "tags": {"env": "prod", "owner": "platform"}},
            read_only=False,
        )

    def ssm_get_parameter(self, t: int) -> dict[str, Any]:
        name = self.pick(self.parameters)
        if self.rnd() < 0.7:
            request: dict[str, Any] = {"name": name, "withDecryption": name.endswith("password")}
            event = "GetParameter"
        else:
            request = {"path": "/prod/", "recursive": True, "withDecryption": True, "maxResults": 10}
            event = "GetParametersByPath"
        return self.record(
            t,
            self.principal(t),
            "ssm.amazonaws.com",
            event,
            request,
            read_only=True,
            not_found=("ParameterNotFound", f"Parameter {name} not found."),
        )

    def secrets_get_value(self, t: int) -> dict[str, Any]:
        secret = self.pick(self.secrets)
        arn = f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:{secret}-{self.b32(6)}"
        return self.record(
            t,
            self.principal(t),
            "secretsmanager.amazonaws.com",
            self.pick(("GetSecretValue", "GetSecretValue", "DescribeSecret")),
            {"secretId": arn if self.rnd() < 0.5 else secret},
            read_only=True,
            not_found=("ResourceNotFoundException", "Secrets Manager can't find the specified secret."),
        )

    def health_aggregates(self, t: int) -> dict[str, Any]:
        request = {
            "aggregateField": "eventTypeCategory",
            "filter": {
                "eventStatusCodes": ["open", "upcoming"],
                "startTimes": [{"from": self.aws_date(t - 7 * 86400)}],
            },
        }
        return self.record(
            t, self.principal(t), "health.amazonaws.com", "DescribeEventAggregates", request, read_only=True
        )

    def elb_describe(self, t: int) -> dict[str, Any]:
        return self.record(
            t,
            self.principal(t),
            "elasticloadbalancing.amazonaws.com",
            "DescribeLoadBalancers",
            {"pageSize": 400},
            read_only=True,
            api_version="2015-12-01",
        )

    def metric_alarm(self, t: int) -> dict[str, Any]:
        function = self.pick(self.functions)
        request = {
            "alarmName": f"{function}-errors",
            "alarmActions": [f"arn:aws:sns:{self.region}:{self.account}:ops-alerts"],
            "metricName": "Errors",
            "namespace": "AWS/Lambda",
            "statistic": "Sum",
            "dimensions": [{"name": "FunctionName", "value": function}],
            "period": 300,
            "evaluationPeriods": 1,
            "threshold": self.decimal(self.pick(("1.50", "0.50", "2.50", "10.0"))),
            "comparisonOperator": "GreaterThanOrEqualToThreshold",
            "treatMissingData": "notBreaching",
        }
        return self.record(t, self.principal(t), "monitoring.amazonaws.com", "PutMetricAlarm", request, read_only=False)

    def scaling_policy(self, t: int) -> dict[str, Any]:
        table = self.pick(self.tables)
        request = {
            "policyName": f"{table}-read-scaling",
            "serviceNamespace": "dynamodb",
            "resourceId": f"table/{table}",
            "scalableDimension": "dynamodb:table:ReadCapacityUnits",
            "policyType": "TargetTrackingScaling",
            "targetTrackingScalingPolicyConfiguration": {
                "targetValue": self.decimal(self.pick(("70.50", "65.0", "80.00"))),
                "predefinedMetricSpecification": {"predefinedMetricType": "DynamoDBReadCapacityUtilization"},
                "scaleOutCooldown": 60,
                "scaleInCooldown": 60,
            },
        }
        response = {
            "policyARN": f"arn:aws:autoscaling:{self.region}:{self.account}:scalingPolicy:{self.uuid()}:resource/"
            f"dynamodb/table/{table}:policyName/{table}-read-scaling"
        }
        return self.record(
            t,
            self.principal(t),
            "application-autoscaling.amazonaws.com",
            "PutScalingPolicy",
            request,
            response,
            read_only=False,
        )

    def identity_center_call(self, t: int) -> dict[str, Any]:
        actor = self.pick(self.idc_users)
        application = f"{self.hexid(8)}-{self.hexid(4)}-4{self.hexid(3)}-a{self.hexid(3)}-{self.hexid(12)}"
        name = self.pick(("ChatSync", "ListConversations", "ListMessages"))
        request: dict[str, Any] = {"applicationId": application}
        if name == "ChatSync":
            request["userMessage"] = "HIDDEN_DUE_TO_SECURITY_REASONS"
        elif name == "ListMessages":
            request["conversationId"] = self.uuid()
        return self.record(t, actor, "qbusiness.amazonaws.com", name, request, read_only=name != "ChatSync")

    def service_event(self, t: int) -> dict[str, Any]:
        """AwsServiceEvent: the service acts on its own; these userIdentity elements carry no type."""
        roll = self.rnd()
        if roll < 0.5:
            service, name = "ec2.amazonaws.com", "SharedSnapshotVolumeCreated"
            details: dict[str, Any] = {"snapshotId": "snap-0" + self.hexid(16)}
            resources = None
            shared = True
        elif roll < 0.8:
            service, name = "kms.amazonaws.com", "RotateKey"
            key = self.pick(self.key_arns)
            details = {"keyId": key.rsplit("/", 1)[1], "rotationType": "AUTOMATIC"}
            resources = [{"accountId": self.account, "type": "AWS::KMS::Key", "ARN": key}]
            shared = False
        else:
            service, name = "backup.amazonaws.com", "BackupJobCompleted"
            table = self.pick(self.table_arns)
            details = {
                "backupJobId": self.uuid().upper(),
                "backupVaultName": "Default",
                "backupVaultArn": f"arn:aws:backup:{self.region}:{self.account}:backup-vault:Default",
                "resourceArn": table,
                "resourceType": "DynamoDB",
                "state": "COMPLETED",
                "creationDate": self.aws_date(t - 900),
                "completionDate": self.aws_date(t),
                "backupSizeInBytes": 1_048_576 + self.bits(24),
                "percentDone": "100.0",
            }
            resources = [{"accountId": self.account, "type": "AWS::DynamoDB::Table", "ARN": table}]
            shared = False
        actor = _Actor({"accountId": self.account, "invokedBy": service}, service, service, tls=0)
        record = self.record(
            t,
            actor,
            service,
            name,
            None,
            read_only=False,
            resources=resources,
            event_type="AwsServiceEvent",
            shared=shared,
        )
        record["serviceEventDetails"] = details
        return record

    def _template_table(self) -> list[Callable[[int], dict[str, Any]]]:
        """Weighted mix of templates, expanded so the hot path draws one with one random number."""
        weighted: list[tuple[Callable[[int], dict[str, Any]], float]] = [
            (self.s3_bucket_read, 6),
            (self.s3_list_buckets, 1.5),
            (self.s3_list_access_points, 1),
            (self.s3_create_bucket, 0.3),
            (self.s3_object, 10),
            (self.ec2_describe_instances, 5),
            (self.ec2_describe_network, 6),
            (self.ec2_run_instances, 0.3),
            (self.ec2_create_tags, 0.5),
            (self.sts_assume_role, 7),
            (self.sts_get_caller_identity, 2),
            (self.kms_crypto, 9),
            (self.dynamodb_read, 4),
            (self.console_login, 0.4),
            (self.lambda_management, 1.5),
            (self.lambda_invoke, 3),
            (self.cloudtrail_read, 1),
            (self.logs_event, 5),
            (self.ssm_get_parameter, 5),
            (self.secrets_get_value, 3),
            (self.health_aggregates, 1),
            (self.elb_describe, 1),
            (self.metric_alarm, 0.5),
            (self.scaling_policy, 0.3),
            (self.identity_center_call, 0.6),
            (self.service_event, 1),
        ]
        if self.region == "us-east-1":  # IAM is global: its events are recorded in us-east-1
            weighted += [(self.iam_read, 5), (self.iam_create_role, 0.3)]
        table = []
        for template, weight in weighted:
            table.extend([template] * round(weight * 10))
        return table

    # ---------------------------------------------------------------- deliveries

    def events(self, deliver: int) -> list[dict[str, Any]]:
        """The records of one file delivered at epoch second `deliver`: events 1-15 minutes old, a few much older."""
        rnd = self.rnd
        low, high = self.spec.events_per_file
        count = low + int(rnd() * (high - low + 1))
        times = [deliver - 60 - int(rnd() * rnd() * 840) for _ in range(count)]
        if rnd() < _LATE_FILE_RATE:
            for i in range(min(count, 1 + int(rnd() * 3))):
                times[i] = deliver - 900 - int(rnd() * 13_500)  # 15 minutes .. 4 hours late
        times.sort()
        table = self.table
        size = len(table)
        records = [table[int(rnd() * size)](t) for t in times]
        if rnd() < 0.02:  # a record re-sent with corrected data carries an addendum naming the original
            rec = records[int(rnd() * count)]
            if "requestID" in rec:
                rec["addendum"] = {
                    "reason": "UPDATED_DATA",
                    "updatedFields": self.pick(("userIdentity", "requestParameters,responseElements", "tlsDetails")),
                    "originalRequestID": rec["requestID"],
                    "originalEventID": self.uuid(),
                }
        return records

    def log_key(self, deliver: int) -> str:
        moment = _EPOCH + dt.timedelta(seconds=deliver)
        suffix = "".join(self.rng.choices(_ALNUM, k=16))
        return (
            f"{self.log_prefix}{moment:%Y/%m/%d}/{self.account}_CloudTrail_{self.region}_{moment:%Y%m%dT%H%MZ}_"
            f"{suffix}.json.gz"
        )

    def run(self) -> tuple[int, int, int, int]:
        """Write every delivery of this stream, then its digests; return (files, events, dup files, dup events)."""
        spec = self.spec
        rnd = self.rnd
        day0 = int((dt.datetime.combine(spec.start, dt.time(), _UTC) - _EPOCH).total_seconds())
        interval = spec.delivery_interval_minutes * 60.0
        slots = int(spec.days * 86400 // interval)
        jitter = min(60.0, interval / 2)
        windows = self._digest_windows(day0)
        files = events = dup_files = dup_events = 0
        for slot in range(slots):
            deliver = day0 + int(slot * interval + rnd() * jitter)
            self.has_decimal = False
            records = self.events(deliver)
            text = json.dumps({"Records": records}, separators=_COMPACT)
            if self.has_decimal:
                text = _DECIMAL_RE.sub(r"\1", text)
            payload = text.encode()
            deliveries = [deliver]
            if rnd() < spec.duplicate_rate:
                deliveries.append(deliver + 120 + int(rnd() * 780))
            for when in deliveries:
                key = self.log_key(when)
                self.writer.write(key, payload)
                window = windows.setdefault((when - self.digest_offset) // 3600, [])
                sha = hashlib.sha256(payload).hexdigest()
                window.append((key, sha, records[0]["eventTime"], records[-1]["eventTime"]))
            files += len(deliveries)
            events += len(records) * len(deliveries)
            if len(deliveries) > 1:
                dup_files += 1
                dup_events += len(records)
        self._write_digests(windows)
        return files, events, dup_files, dup_events

    def _digest_windows(self, day0: int) -> dict[int, list[tuple[str, str, str, str]]]:
        """Hourly digest windows at a per-stream offset, contiguous from the first delivery's hour.

        The draws of the old layout (random hours) are kept, so that the log files stay byte-identical for a seed;
        run() adds the windows of the hours in which files are delivered, _write_digests() the empty ones."""
        self.digest_offset = 60 + int(self.rnd() * 3000)
        for _day in range(self.spec.days):
            self.rng.sample(range(23), 1 + int(self.rnd() < 0.5))
        return {(day0 - self.digest_offset) // 3600: []}

    def _write_digests(self, windows: dict[int, list[tuple[str, str, str, str]]]) -> None:
        """One signed digest per hour, each linked to the previous one; the first is a starting digest."""
        previous: tuple[str, str, str] | None = None  # key, sha256 of its JSON, signature
        for index in range(min(windows), max(windows) + 1):
            entries = sorted(windows.get(index, []))
            start = index * 3600 + self.digest_offset
            end = start + 3600
            key = self._digest_key(end)
            document = digest_document(
                account=self.account,
                bucket=self.bucket,
                key=key,
                start=self.ts(start),
                end=self.ts(end),
                entries=[(self.bucket, name, sha, first, last) for name, sha, first, last in entries],
                previous=previous,
            )
            payload = json.dumps(document, separators=_COMPACT).encode()
            signature = sign_digest(document, payload)
            self.writer.write(key, payload)
            self.writer.signatures[key] = signature
            self.writer.digests += 1
            previous = (key, hashlib.sha256(payload).hexdigest(), signature)

    def _digest_key(self, end: int) -> str:
        moment = _EPOCH + dt.timedelta(seconds=end)
        return (
            f"{self.digest_prefix}{moment:%Y/%m/%d}/{self.account}_CloudTrail-Digest_{self.region}_{self.trail_name}_"
            f"{self.region}_{moment:%Y%m%dT%H%M%SZ}.json.gz"
        )
