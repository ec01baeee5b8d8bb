"""Event templates by service, and the weighted mix the generator draws from."""

from __future__ import annotations

from typing import Any, Callable

from cloudtrail_etl.sample.templates.ec2 import Ec2Templates
from cloudtrail_etl.sample.templates.iam_sts import IamStsTemplates
from cloudtrail_etl.sample.templates.s3 import S3Templates
from cloudtrail_etl.sample.templates.services import ServiceTemplates


class TemplatesMixin(S3Templates, Ec2Templates, IamStsTemplates, ServiceTemplates):
    """Every template, and the table of them weighted by how often real trails show each call."""

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
