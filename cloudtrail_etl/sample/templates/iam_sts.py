"""Event templates of IAM and STS."""

from __future__ import annotations

import base64
from typing import Any


class IamStsTemplates:
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
