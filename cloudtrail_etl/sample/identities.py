"""Who calls: the account's resources, its principals (every userIdentity type) and how their requests look."""

from __future__ import annotations

from typing import Any

from cloudtrail_etl.sample.constants import _ALNUM, _OTHER_ACCOUNTS


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


class IdentitiesMixin:
    """The account's resources and principals; mixed into the stream (delivery.py)."""

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
