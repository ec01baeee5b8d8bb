"""Event templates of the other services: KMS, DynamoDB, sign-in, Lambda, CloudTrail, Logs, SSM, Secrets Manager,
Health, ELB, CloudWatch, Auto Scaling, IAM Identity Center, and AWS service events."""

from __future__ import annotations

import base64
from typing import Any

from cloudtrail_etl.sample.identities import _Actor


class ServiceTemplates:
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
