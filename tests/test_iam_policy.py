"""The deploy/ templates' job-role policies grant every request the job makes, and not much more.

Each template is resolved as CloudFormation would (parameters, conditions, intrinsic functions) for several
deployments, and its job role's statements are evaluated with IAM's rules (tests/iam_policy.py) against the
request list of one run (tests/job_requests.py): Spark/Hadoop's S3 requests including the HEAD probes of keys that
do not exist, boto3's listings from discovery.py and every Glue call in catalog.py. No AWS is involved.

Every template is deployed once per source (`Source`): a CloudTrail stack and, beside it, a VPC flow log stack. Each
deployment is checked for its own source's run, and against the other source's files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest

from cloudtrail_etl.days import utc_folders
from tests.iam_policy import (
    Request,
    evaluate,
    failed_rules,
    load_template,
    policy_statements,
    resolve_template,
    role_statements,
)
from tests.job_requests import (
    CATALOG_EXCLUSIONS,
    PUBLISH_S3_MODELLED,
    Call,
    Layout,
    catalog_calls,
    catalog_glue_methods,
    denied,
    discovery_calls,
    discovery_s3_methods,
    flow_log_day_folders,
    flow_log_file,
    glue_action,
    job_calls,
    log_reads,
    metrics_cloudwatch_methods,
    not_granted,
    publish_s3_methods,
    source_s3_methods,
)

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
# template -> (file, logical id of the role the job runs as)
TEMPLATES = {
    "glue": ("cloudtrail-etl-glue.yaml", "JobRole"),
    "emr-serverless": ("cloudtrail-etl-emr-serverless.yaml", "JobRole"),
    "emr-ec2": ("cloudtrail-etl-emr-ec2.yaml", "InstanceRole"),
}
KMS_KEY = "arn:aws:kms:ap-northeast-2:123456789012:key/11111111-2222-3333-4444-555555555555"
SOURCES = ("cloudtrail", "vpcflow")
TRAIL_LAYOUTS = {
    # The measurement: a trail under logs/, the table at cloudtrail/parquet/cloudtrail.
    "trail-under-logs": Layout("trail-bucket", "logs", "lake-bucket", "cloudtrail/parquet/cloudtrail"),
    # AWSLogs/ at the bucket root (LogPrefix empty), a one-level table prefix.
    "trail-at-root": Layout("trail-bucket", "", "lake-bucket", "cloudtrail"),
    # One bucket for both, a deeper trail prefix, SSE-KMS on both sides.
    "one-bucket-kms": Layout(
        "shared-bucket",
        "org/trails/main",
        "shared-bucket",
        "analytics/cloudtrail_v2",
        log_kms_key=KMS_KEY,
        output_kms_key=KMS_KEY.replace("1111", "9999"),
        metrics_namespace="Security/Lake",
    ),
    # No metrics (MetricsNamespace empty): no PutMetricData at all.
    "trail-no-metrics": Layout(
        "trail-bucket", "logs", "lake-bucket", "cloudtrail/parquet/cloudtrail", metrics_namespace=""
    ),
}


def flow_log_stack(layout: Layout) -> Layout:
    """The flow log stack beside a CloudTrail one: the same log bucket and prefix (the flow logs are delivered next
    to the trail), its own table (vpcflow in place of cloudtrail in the prefix), database, table and job names."""
    return dataclasses.replace(
        layout,
        source="vpcflow",
        output_prefix=layout.output_prefix.replace("cloudtrail", "vpcflow"),
        database="vpcflow",
        table="vpcflow",
        crawler="cloudtrail-etl-vpcflow-crawler",
    )


LAYOUTS = {
    **TRAIL_LAYOUTS,
    **{f"flowlogs-{name.removeprefix('trail-')}": flow_log_stack(layout) for name, layout in TRAIL_LAYOUTS.items()},
}
MODES = ("table", "crawler", "none")


def parameters(template: str, layout: Layout, mode: str) -> dict[str, str]:
    values = {
        "LogBucket": layout.log_bucket,
        "LogPrefix": layout.log_prefix,
        "OutputBucket": layout.output_bucket,
        "OutputPrefix": layout.output_prefix,
        "CodeBucket": layout.code_bucket,
        "CodePrefix": layout.code_prefix,
        "GlueDatabase": layout.database,
        "TableName": layout.table,
        "CatalogMode": mode,
        "LogKmsKeyArn": layout.log_kms_key,
        "OutputKmsKeyArn": layout.output_kms_key,
        "Source": layout.source,
        "MetricsNamespace": layout.metrics_namespace,
    }
    if template == "glue":
        values["JobName"] = layout.crawler.removesuffix("-crawler")
    else:
        values["CrawlerName"] = layout.crawler if mode == "crawler" else ""
    return values


def job_role(template: str, layout: Layout, mode: str, text: str | None = None) -> list[dict]:
    name, role = TEMPLATES[template]
    resolved = resolve_template(DEPLOY / name, parameters(template, layout, mode), text=text)
    return role_statements(resolved, role)


def _decide(statements: list[dict]):
    return lambda request: evaluate(statements, request).allowed


def _explain(statements: list[dict], calls: list[Call]) -> str:
    lines = []
    for call in calls:
        refused = [check for check in call.checks if not evaluate(statements, check).allowed]
        lines.append(f"  {call.what}: refused {'; '.join(str(check) for check in refused)}")
    return "\n".join(lines)


# --- the templates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("layout_name", sorted(LAYOUTS))
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_job_role_allows_every_request_of_a_run(template: str, layout_name: str, mode: str) -> None:
    layout = LAYOUTS[layout_name]
    statements = job_role(template, layout, mode)
    calls = job_calls(layout, mode)
    required = [call for call in calls if not call.tolerated]
    refused = denied(required, _decide(statements))
    assert not refused, f"{len(refused)} of {len(required)} calls denied:\n" + _explain(statements, refused)
    # The catalog step is really part of what was checked (a mode with no Glue calls would pass trivially).
    glue_checks = {check.action for call in calls for check in call.checks if check.action.startswith("glue:")}
    assert (mode == "none") == (not glue_checks)


@pytest.mark.parametrize("layout_name", sorted(LAYOUTS))
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_job_role_grants_nothing_the_job_does_not_need(template: str, layout_name: str) -> None:
    layout = LAYOUTS[layout_name]
    for mode in MODES:
        statements = job_role(template, layout, mode)
        allowed = [str(request) for request in not_granted(layout) if evaluate(statements, request).allowed]
        assert not allowed, f"{template} ({mode} mode) allows requests the job never makes: {allowed}"
        # No reads above the table's prefix either: S3A's HEADs of those parents are denied, and tolerated.
        parents = [call for call in job_calls(layout, mode) if call.tolerated and call.what.startswith("HEAD ")]
        assert parents or "/" not in layout.output_prefix
        assert denied(parents, _decide(statements)) == parents


@pytest.mark.parametrize("layout_name", sorted(LAYOUTS))
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_job_role_reads_nothing_of_the_other_source(template: str, layout_name: str) -> None:
    """A CloudTrail stack cannot read the flow logs delivered beside the trail, and a flow log stack cannot read the
    trail: every file read of the other source's run (same bucket and prefix) is denied."""
    layout = LAYOUTS[layout_name]
    other_source = "cloudtrail" if layout.source == "vpcflow" else "vpcflow"
    other_run = dataclasses.replace(layout, source=other_source)
    for mode in MODES:
        statements = job_role(template, layout, mode)
        reads = log_reads(job_calls(other_run, mode), other_run)
        assert reads, "the other source's run reads no files: the check would pass trivially"
        allowed = [str(read) for read in reads if evaluate(statements, read).allowed]
        assert not allowed, f"{template} ({layout.source}, {mode} mode) reads {other_source} files: {allowed}"
        own = log_reads(job_calls(layout, mode), layout)
        assert own and all(evaluate(statements, read).allowed for read in own)


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_catalog_grants_follow_the_mode(template: str) -> None:
    layout = LAYOUTS["trail-under-logs"]
    base = f"arn:aws:glue:{layout.region}:{layout.account}"
    table_call = Request("glue:BatchCreatePartition", f"{base}:table/{layout.database}/{layout.table}")
    crawler_call = Request("glue:StartCrawler", f"{base}:crawler/{layout.crawler}")
    for mode, table_allowed, crawler_allowed in (
        ("table", True, False),
        ("crawler", False, True),
        ("none", False, False),
    ):
        statements = job_role(template, layout, mode)
        assert evaluate(statements, table_call).allowed is table_allowed, (template, mode)
        assert evaluate(statements, crawler_call).allowed is crawler_allowed, (template, mode)


def test_the_policies_of_commit_92d1d76_fail_the_check() -> None:
    """The S3 statements of the templates before this change (verbatim), resolved for the issue's layout: the HEAD
    probes are denied, which is what failed runs on AWS. Kept here so the check is shown to catch that bug."""
    old = textwrap.dedent(
        """
        Parameters:
          LogBucket: {Type: String}
          LogPrefix: {Type: String, Default: ""}
          OutputBucket: {Type: String}
          OutputPrefix: {Type: String}
          CodeBucket: {Type: String}
          CodePrefix: {Type: String}
        Conditions:
          HasLogPrefix: !Not [!Equals [!Ref LogPrefix, ""]]
        Resources:
          Policy:
            Type: AWS::IAM::ManagedPolicy
            Properties:
              Roles: [!Ref Role]
              PolicyDocument:
                Statement:
                  - Sid: ListTrailPrefix
                    Effect: Allow
                    Action: s3:ListBucket
                    Resource: !Sub "arn:${AWS::Partition}:s3:::${LogBucket}"
                    Condition:
                      StringLike:
                        s3:prefix:
                          - !If [HasLogPrefix, !Sub "${LogPrefix}/AWSLogs", AWSLogs]
                          - !If [HasLogPrefix, !Sub "${LogPrefix}/AWSLogs/*", AWSLogs/*]
                  - Sid: ReadTrailObjects
                    Effect: Allow
                    Action: s3:GetObject
                    Resource: !If
                      - HasLogPrefix
                      - !Sub "arn:${AWS::Partition}:s3:::${LogBucket}/${LogPrefix}/AWSLogs/*"
                      - !Sub "arn:${AWS::Partition}:s3:::${LogBucket}/AWSLogs/*"
                  - Sid: ListOutputPrefixes
                    Effect: Allow
                    Action: s3:ListBucket
                    Resource: !Sub "arn:${AWS::Partition}:s3:::${OutputBucket}"
                    Condition:
                      StringLike:
                        s3:prefix:
                          - !Ref OutputPrefix
                          - !Sub "${OutputPrefix}/*"
                          - !Sub "${OutputPrefix}_staging"
                          - !Sub "${OutputPrefix}_staging/*"
                          - !Sub "${OutputPrefix}_quarantine"
                          - !Sub "${OutputPrefix}_quarantine/*"
                          - !Sub "${OutputPrefix}_reports"
                          - !Sub "${OutputPrefix}_reports/*"
                  - Sid: ReadWriteDeleteOutput
                    Effect: Allow
                    Action: [s3:GetObject, s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload]
                    Resource:
                      - !Sub "arn:${AWS::Partition}:s3:::${OutputBucket}/${OutputPrefix}/*"
                      - !Sub "arn:${AWS::Partition}:s3:::${OutputBucket}/${OutputPrefix}_staging/*"
                      - !Sub "arn:${AWS::Partition}:s3:::${OutputBucket}/${OutputPrefix}_quarantine/*"
                      - !Sub "arn:${AWS::Partition}:s3:::${OutputBucket}/${OutputPrefix}_reports/*"
                      - !Sub "arn:${AWS::Partition}:s3:::${OutputBucket}/${OutputPrefix}_$folder$"
                      - !Sub "arn:${AWS::Partition}:s3:::${OutputBucket}/${OutputPrefix}_staging_$folder$"
                      - !Sub "arn:${AWS::Partition}:s3:::${OutputBucket}/${OutputPrefix}_quarantine_$folder$"
                      - !Sub "arn:${AWS::Partition}:s3:::${OutputBucket}/${OutputPrefix}_reports_$folder$"
                  - Sid: ReadCode
                    Effect: Allow
                    Action: s3:GetObject
                    Resource: !Sub "arn:${AWS::Partition}:s3:::${CodeBucket}/${CodePrefix}/*"
          Role: {Type: AWS::IAM::Role, Properties: {}}
        """
    )
    layout = LAYOUTS["trail-under-logs"]
    overrides = {
        "LogBucket": layout.log_bucket,
        "LogPrefix": layout.log_prefix,
        "OutputBucket": layout.output_bucket,
        "OutputPrefix": layout.output_prefix,
        "CodeBucket": layout.code_bucket,
        "CodePrefix": layout.code_prefix,
    }
    statements = role_statements(resolve_template("old.yaml", overrides, text=old), "Role")
    s3_calls = [
        call
        for call in job_calls(layout, "none")
        if not call.tolerated and all(check.action.startswith("s3:") for check in call.checks)
    ]
    refused = denied(s3_calls, _decide(statements))
    what = [call.what for call in refused]
    assert refused, "the old policy passes: the check does not see the HEAD-probe bug"
    assert all(call.what.startswith("HEAD ") for call in refused), what
    day_folder = f"HEAD s3://{layout.log_bucket}/logs/AWSLogs/{layout.account}/CloudTrail/{layout.region}/2026/01/01 ("
    assert any(name.startswith(day_folder) for name in what), what
    table_day = f"HEAD s3://{layout.output_bucket}/{layout.output_prefix}/proc_ymd=20260102 ("
    assert any(name.startswith(table_day) for name in what), what
    staging_root = f"HEAD s3://{layout.output_bucket}/{layout.output_prefix}_staging ("
    assert any(name.startswith(staging_root) for name in what), what


def test_glue_crawler_creates_no_partition_index() -> None:
    """Crawlers create partition indexes unless told not to; the crawler role has no glue:CreatePartitionIndex."""
    layout = LAYOUTS["trail-under-logs"]
    resolved = resolve_template(DEPLOY / TEMPLATES["glue"][0], parameters("glue", layout, "crawler"))
    resources = resolved.resources()
    configuration = json.loads(resources["Crawler"]["Properties"]["Configuration"])
    assert configuration["CreatePartitionIndex"] is False
    from cloudtrail_etl.catalog import CRAWLER_CONFIGURATION

    assert configuration == CRAWLER_CONFIGURATION  # the stack's crawler and --create-crawler's are the same
    crawler_role = role_statements(resolved, "CrawlerRole")
    index = Request("glue:CreatePartitionIndex", f"arn:aws:glue:{layout.region}:{layout.account}:table/cloudtrail/x")
    assert not evaluate(crawler_role, index).allowed


@pytest.mark.parametrize("existing", ["true", "false"])
def test_glue_stack_can_use_an_existing_database(existing: str) -> None:
    layout = LAYOUTS["trail-under-logs"]
    overrides = {**parameters("glue", layout, "table"), "CreateDatabase": "false" if existing == "true" else "true"}
    resources = resolve_template(DEPLOY / TEMPLATES["glue"][0], overrides).resources()
    assert ("GlueDatabaseResource" in resources) is (existing == "false")
    # The job still finds the database: its role may read it (and create it should it disappear).
    statements = role_statements(resolve_template(DEPLOY / TEMPLATES["glue"][0], overrides), "JobRole")
    assert not denied(catalog_calls("table", layout), _decide(statements))


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_templates_pass_the_stack_region_to_the_job(template: str) -> None:
    layout = LAYOUTS["trail-under-logs"]
    overrides = {**parameters(template, layout, "table"), "ScheduleEnabled": "true"}
    if template == "emr-ec2":
        overrides.update(ClusterId="j-2AXXXXXXGAPLF", PySparkPython="/usr/bin/python3.11")
    resources = resolve_template(DEPLOY / TEMPLATES[template][0], overrides).resources()
    if template == "glue":
        assert resources["GlueJob"]["Properties"]["DefaultArguments"]["--region"] == "ap-northeast-2"
        return
    # The scheduled run's input is the API request as JSON; the job's arguments end in --region REGION.
    request = json.loads(resources["DailySchedule"]["Properties"]["Target"]["Input"])
    arguments = json.dumps(request)
    assert '"--region", "ap-northeast-2"' in arguments, arguments
    if template == "emr-ec2":
        assert request["JobFlowId"] == "j-2AXXXXXXGAPLF"
        assert '"spark.pyspark.python=/usr/bin/python3.11"' in arguments


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_templates_pass_the_source_to_the_job(template: str, source: str) -> None:
    layout = LAYOUTS["trail-under-logs"] if source == "cloudtrail" else LAYOUTS["flowlogs-under-logs"]
    overrides = {**parameters(template, layout, "table"), "ScheduleEnabled": "true"}
    if template == "emr-ec2":
        overrides["ClusterId"] = "j-2AXXXXXXGAPLF"
    resources = resolve_template(DEPLOY / TEMPLATES[template][0], overrides).resources()
    if template == "glue":
        arguments = resources["GlueJob"]["Properties"]["DefaultArguments"]
        assert arguments["--source"] == source
        assert arguments["--verify-digests"] == "false"
        assert arguments["--catalog-table"] == f"{layout.database}.{layout.table}"
        return
    request = json.dumps(json.loads(resources["DailySchedule"]["Properties"]["Target"]["Input"]))
    assert f'"--source", "{source}"' in request, request
    assert '"--verify-digests", "false"' in request, request
    assert f'"--catalog-table", "{layout.database}.{layout.table}"' in request, request


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_verify_digests_is_refused_for_flow_logs(template: str) -> None:
    """Digest files are CloudTrail's: the job refuses --verify-digests with --source vpcflow, and so does the stack
    (a Rule), before it creates anything."""
    layout = LAYOUTS["flowlogs-under-logs"]
    path = DEPLOY / TEMPLATES[template][0]
    for source, verify, refused in (
        ("vpcflow", "true", True),
        ("vpcflow", "false", False),
        ("cloudtrail", "true", False),
        ("cloudtrail", "false", False),
    ):
        overrides = {**parameters(template, layout, "table"), "Source": source, "VerifyDigests": verify}
        failed = failed_rules(resolve_template(path, overrides))
        assert bool(failed) is refused, (source, verify, failed)
        assert all("VerifyDigests" in message for message in failed), failed


def _named(template: str, source: str) -> dict[str, str]:
    """What a stack with the default names calls the things that must be unique in one account and region."""
    overrides = {
        "Source": source,
        "LogBucket": "log-bucket",
        "OutputBucket": "lake-bucket",
        "OutputPrefix": f"{source}/parquet/{source}",
        "CodeBucket": "code-bucket",
        "ScheduleEnabled": "true",
    }
    if template == "glue":
        overrides["CatalogMode"] = "crawler"
    if template == "emr-ec2":
        overrides["ClusterId"] = "j-2AXXXXXXGAPLF"
    resources = resolve_template(DEPLOY / TEMPLATES[template][0], overrides).resources()
    table_mode = resolve_template(DEPLOY / TEMPLATES[template][0], {**overrides, "CatalogMode": "table"}).resources()
    if template == "glue":
        return {
            "job": resources["GlueJob"]["Properties"]["Name"],
            "crawler": resources["Crawler"]["Properties"]["Name"],
            "daily trigger": resources["DailyTrigger"]["Properties"]["Name"],
            "weekly trigger": resources["WeeklyLateTrigger"]["Properties"]["Name"],
            "database": resources["GlueDatabaseResource"]["Properties"]["DatabaseInput"]["Name"],
            "table": table_mode["GlueJob"]["Properties"]["DefaultArguments"]["--catalog-table"],
        }
    request = json.loads(table_mode["DailySchedule"]["Properties"]["Target"]["Input"])
    if template == "emr-serverless":
        arguments = request["JobDriver"]["SparkSubmit"]["EntryPointArguments"]
        named = {"application": resources["Application"]["Properties"]["Name"], "run": request["Name"]}
    else:
        arguments = request["Steps"][0]["HadoopJarStep"]["Args"]
        named = {"step": request["Steps"][0]["Name"]}
    return {**named, "table": arguments[arguments.index("--catalog-table") + 1]}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_two_stacks_with_the_default_names_do_not_collide(template: str) -> None:
    """The flow log stack beside the CloudTrail one, both with the default names: nothing is named the same; a
    CloudTrail stack keeps the names it had (an update renames nothing). Roles, policies and schedules are named by
    CloudFormation, uniquely per stack."""
    cloudtrail, vpcflow = _named(template, "cloudtrail"), _named(template, "vpcflow")
    assert not set(cloudtrail.values()) & set(vpcflow.values()), (cloudtrail, vpcflow)
    assert cloudtrail["table"] == "cloudtrail.cloudtrail" and vpcflow["table"] == "vpcflow.vpcflow"
    if template == "glue":
        assert cloudtrail["job"] == "cloudtrail-etl" and vpcflow["job"] == "cloudtrail-etl-vpcflow"
        assert cloudtrail["daily trigger"] == "cloudtrail-etl-daily-0100-kst"
        assert cloudtrail["crawler"] == "cloudtrail-etl-crawler"
    if template == "emr-serverless":
        assert cloudtrail["application"] == "cloudtrail-etl" and cloudtrail["run"] == "cloudtrail-etl-daily"
    template_data = load_template((DEPLOY / TEMPLATES[template][0]).read_text())
    for name, resource in template_data["Resources"].items():
        if resource["Type"] in ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::IAM::InstanceProfile"):
            properties = resource.get("Properties", {})
            assert not {"RoleName", "ManagedPolicyName", "InstanceProfileName"} & set(properties), name
        if resource["Type"] == "AWS::Scheduler::Schedule":
            assert "Name" not in resource.get("Properties", {}), name


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_templates_define_no_table_columns(template: str) -> None:
    """The job creates the table from its source's schema (catalog.py), a crawler from the files: a template holds
    no Glue table and no columns that could be CloudTrail's in a flow log stack."""
    data = load_template((DEPLOY / TEMPLATES[template][0]).read_text())
    types = {resource["Type"] for resource in data["Resources"].values()}
    assert not types & {"AWS::Glue::Table", "AWS::Glue::Partition", "AWS::Athena::NamedQuery"}, types

    def keys(node) -> set[str]:
        if isinstance(node, dict):
            return set(node).union(*(keys(value) for value in node.values()))
        if isinstance(node, list):
            return set().union(*(keys(item) for item in node))
        return set()

    assert not keys(data) & {"Columns", "StorageDescriptor", "TableInput", "PartitionKeys"}


def test_emr_ec2_policy_can_go_to_an_existing_role() -> None:
    layout = LAYOUTS["trail-under-logs"]
    overrides = {**parameters("emr-ec2", layout, "table"), "ExistingRoleName": "EMR_EC2_DefaultRole"}
    resolved = resolve_template(DEPLOY / TEMPLATES["emr-ec2"][0], overrides)
    resources = resolved.resources()
    assert "InstanceRole" not in resources and "InstanceProfile" not in resources
    assert resources["JobPolicy"]["Properties"]["Roles"] == ["EMR_EC2_DefaultRole"]
    calls = [call for call in job_calls(layout, "table") if not call.tolerated]
    assert not denied(calls, _decide(policy_statements(resolved, "JobPolicy")))


# --- the request list follows the code -------------------------------------------------------------------------


def test_catalog_calls_are_read_from_catalog_py() -> None:
    assert {"get_database", "create_database", "get_table", "create_table", "update_table"} <= catalog_glue_methods(
        "table"
    )
    assert {"batch_create_partition", "batch_update_partition"} <= catalog_glue_methods("table")
    assert {"get_crawler", "start_crawler"} <= catalog_glue_methods("crawler")
    assert glue_action("batch_update_partition") == "glue:BatchUpdatePartition"
    for mode, method in CATALOG_EXCLUSIONS:  # the exclusions name calls that still exist
        assert method in catalog_glue_methods(mode), (mode, method)


def test_a_new_glue_call_fails_the_check_until_granted(tmp_path: Path) -> None:
    source = (Path(__file__).resolve().parent.parent / "cloudtrail_etl" / "catalog.py").read_text()
    marker = '            updated += [entry["PartitionValueList"][0] for entry in entries]\n'
    assert marker in source
    changed = source.replace(marker, marker + "            glue.batch_delete_partition(DatabaseName=database)\n")
    path = tmp_path / "catalog.py"
    path.write_text(changed)
    assert "batch_delete_partition" in catalog_glue_methods("table", path)
    layout = LAYOUTS["trail-under-logs"]
    statements = job_role("glue", layout, "table")
    calls = catalog_calls("table", layout, path)
    refused = denied(calls, _decide(statements))
    assert [call.what for call in refused] == ["catalog.py glue.batch_delete_partition (table mode)"]


def test_discovery_s3_calls_are_read_from_discovery_py() -> None:
    assert discovery_s3_methods() == {"list_objects_v2"}


def test_the_flow_log_sources_own_s3_call_is_the_modelled_one() -> None:
    """sources/vpcflow.py reads the first line of one file per flow log with a ranged GetObject (the fast read)."""
    assert source_s3_methods() == {"get_object"}
    calls = job_calls(LAYOUTS["flowlogs-under-logs"], "none")
    assert any(call.what.startswith("HEAD+GET ") and "fast read" in call.what for call in calls)


class _RecordingS3:
    """Just enough of a boto3 S3 client for discovery: delimiter listings of a set of keys, each one recorded."""

    def __init__(self, bucket: str, keys: list[str]):
        self.bucket, self.keys, self.listed = bucket, sorted(keys), []

    def list_objects_v2(self, Bucket: str, Prefix: str, MaxKeys: int = 1000, Delimiter: str = "") -> dict:
        assert Bucket == self.bucket
        self.listed.append((Prefix, Delimiter))
        contents, folders = [], set()
        for key in self.keys:
            if not key.startswith(Prefix):
                continue
            rest = key[len(Prefix) :]
            if Delimiter and Delimiter in rest:
                folders.add(Prefix + rest.split(Delimiter, 1)[0] + Delimiter)
            else:
                contents.append({"Key": key, "Size": 100})
        contents = contents[:MaxKeys]
        common = [{"Prefix": folder} for folder in sorted(folders)]
        return {"Contents": contents, "CommonPrefixes": common, "KeyCount": len(contents) + len(common)}

    def get_paginator(self, name: str):
        assert name == "list_objects_v2"
        return self

    def paginate(self, **kwargs):
        return [self.list_objects_v2(**kwargs)]


@pytest.mark.parametrize("layout_name", [name for name in sorted(LAYOUTS) if name.startswith("flowlogs-")])
def test_flow_log_listings_are_the_modelled_ones(layout_name: str) -> None:
    """discovery.py with the flow log layout, run against a bucket holding the model's files (daily and hourly, plain
    and Hive-compatible folders), lists exactly the prefixes discovery_calls models and finds exactly its files."""
    from cloudtrail_etl.sources import get_source

    layout, day = LAYOUTS[layout_name], dt.date(2026, 1, 2)
    files = [
        flow_log_file(layout, folder, folder_day)
        for folder_day in utc_folders(day)
        for _, folder in flow_log_day_folders(layout, folder_day)
        if folder is not None
    ]
    client = _RecordingS3(layout.log_bucket, files)
    input_uri = f"s3://{layout.log_bucket}/{layout.log_prefix}".rstrip("/")
    found = get_source("vpcflow").discover(input_uri, utc_folders(day), "", s3_client=client)
    assert sorted(f.uri for f in found.files) == sorted(f"s3://{layout.log_bucket}/{key}" for key in files)
    modelled = {
        (dict(check.context)["s3:prefix"], dict(check.context).get("s3:delimiter", ""))
        for call in discovery_calls(layout, day)
        for check in call.checks
    }
    assert set(client.listed) == modelled


def test_the_publish_protocols_s3_calls_are_the_modelled_ones() -> None:
    """files.py and lock.py drive an S3 table with boto3: a new kind of request must be modelled in publish_calls."""
    assert publish_s3_methods() == PUBLISH_S3_MODELLED
    assert {"get_partition", "update_partition"} <= catalog_glue_methods("table")


def test_s3_requests_cover_every_kind_of_step() -> None:
    calls = job_calls(LAYOUTS["trail-under-logs"], "table")
    actions = {check.action for call in calls for check in call.checks}
    assert {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:AbortMultipartUpload"} <= actions
    assert "cloudtrail:ListPublicKeys" in actions
    whats = " | ".join(call.what for call in calls)
    for step in ("reader: day folder", "writable check", "staged write", "publish", "quarantine", "report", "digest"):
        assert step in whats, step
    # HEAD probes of missing keys carry no s3:prefix: the ListBucket they need is unconditioned.
    probes = [call for call in calls if call.what.startswith("HEAD ")]
    assert probes and all(call.checks[1] == Request("s3:ListBucket", call.checks[1].resource) for call in probes)


# --- the evaluator -------------------------------------------------------------------------------------------------


def test_evaluator_follows_iam_rules() -> None:
    bucket, key = "arn:aws:s3:::b", "arn:aws:s3:::b/logs/AWSLogs/x"
    listing = {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": bucket,
        "Condition": {"StringLike": {"s3:prefix": ["logs/AWSLogs/*"]}},
    }
    with_prefix = Request("s3:ListBucket", bucket, (("s3:prefix", "logs/AWSLogs/1/"),))
    assert evaluate([listing], with_prefix).allowed
    assert not evaluate([listing], Request("s3:ListBucket", bucket, (("s3:prefix", "other/"),))).allowed
    # A request without the condition key (a HEAD's ListBucket check) does not match ...
    assert not evaluate([listing], Request("s3:ListBucket", bucket)).allowed
    # ... unless the operator is ...IfExists or negated.
    if_exists = {**listing, "Condition": {"StringLikeIfExists": {"s3:prefix": ["logs/*"]}}}
    assert evaluate([if_exists], Request("s3:ListBucket", bucket)).allowed
    negated = {**listing, "Condition": {"StringNotLike": {"s3:prefix": ["secret/*"]}}}
    assert evaluate([negated], Request("s3:ListBucket", bucket)).allowed
    assert not evaluate([negated], Request("s3:ListBucket", bucket, (("s3:prefix", "secret/a"),))).allowed
    # Actions ignore case, resources do not; * spans slashes, ? is one character.
    read = {"Effect": "Allow", "Action": "S3:get*", "Resource": "arn:aws:s3:::b/logs/AWSLogs/?"}
    assert evaluate([read], Request("s3:GetObject", key)).allowed
    assert not evaluate([read], Request("s3:GetObject", key.upper())).allowed
    assert not evaluate([read], Request("s3:GetObject", key + "y")).allowed
    # An explicit Deny wins; NotAction / NotResource.
    deny = {"Effect": "Deny", "NotAction": "s3:List*", "NotResource": "arn:aws:s3:::b/public/*"}
    decision = evaluate([read, deny], Request("s3:GetObject", key))
    assert not decision.allowed and decision.reason == "explicit deny"
    assert evaluate([read, deny], Request("s3:GetObject", "arn:aws:s3:::b/logs/AWSLogs/x")).reason == "explicit deny"
    everything = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    assert evaluate([everything, deny], Request("s3:GetObject", "arn:aws:s3:::b/public/x")).allowed
    assert evaluate([], Request("s3:GetObject", key)).reason.startswith("implicit deny")
    with pytest.raises(ValueError, match="not supported"):
        evaluate([{**listing, "Condition": {"NumericLessThan": {"s3:max-keys": "10"}}}], with_prefix)


def test_the_verifiers_aws_calls_are_the_modelled_ones() -> None:
    """integrity/ reads digests and log files with GetObject, lists through discovery's listers, and asks
    CloudTrail for public keys: a new call there must be modelled in job_requests.hadoop_calls and granted."""
    package = Path(__file__).resolve().parent.parent / "cloudtrail_etl" / "integrity"
    s3_methods = set().union(*(discovery_s3_methods(path) for path in sorted(package.glob("*.py"))))
    assert s3_methods == {"get_object", "list_public_keys"}  # list_public_keys: the cloudtrail client's
    requests = [r for call in job_calls(LAYOUTS["trail-under-logs"], "table") for r in call.checks]
    assert Request("cloudtrail:ListPublicKeys", "*") in requests
    assert any(r.action == "s3:GetObject" and "/CloudTrail-Digest/" in r.resource for r in requests)


# --- metrics: the namespace the job puts to, granted, watched by the dashboard and the alarms ------------------------


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_put_metric_data_is_granted_for_the_stacks_namespace_only(template: str) -> None:
    for name in ("trail-under-logs", "one-bucket-kms", "trail-no-metrics"):
        layout = LAYOUTS[name]
        statements = job_role(template, layout, "table")
        for namespace in ("cloudtrail-etl", "Security/Lake", "other-namespace"):
            request = Request("cloudwatch:PutMetricData", "*", (("cloudwatch:namespace", namespace),))
            assert evaluate(statements, request).allowed is (namespace == layout.metrics_namespace), (name, namespace)


def test_the_metrics_cloudwatch_calls_are_read_from_metrics_py() -> None:
    assert metrics_cloudwatch_methods() == {"put_metric_data"}
    calls = job_calls(LAYOUTS["trail-under-logs"], "none")
    assert Request("cloudwatch:PutMetricData", "*", (("cloudwatch:namespace", "cloudtrail-etl"),)) in [
        check for call in calls for check in call.checks
    ]


def _job_arguments(template: str, resources: dict) -> list[str]:
    """The `run` options a stack starts the job with: Glue's DefaultArguments, or the scheduled request's."""
    if template == "glue":
        return [
            item
            for key, value in resources["GlueJob"]["Properties"]["DefaultArguments"].items()
            for item in (key, value)
        ]
    request = json.loads(resources["DailySchedule"]["Properties"]["Target"]["Input"])
    if template == "emr-serverless":
        return request["JobDriver"]["SparkSubmit"]["EntryPointArguments"]
    arguments = request["Steps"][0]["HadoopJarStep"]["Args"]
    return arguments[next(i for i, a in enumerate(arguments) if a.endswith("spark_submit_job.py")) + 1 :]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_the_dashboard_and_alarms_watch_what_the_job_puts(template: str, source: str) -> None:
    """The namespace and the Source and Table dimensions of the alarms and every dashboard graph are those the job,
    started with the stack's arguments, puts its datapoints with; the metrics are ones it puts."""
    from cloudtrail_etl.config import parse_run_args
    from cloudtrail_etl.metrics import table_dimension

    layout = LAYOUTS["trail-under-logs" if source == "cloudtrail" else "flowlogs-under-logs"]
    overrides = {**parameters(template, layout, "crawler"), "ScheduleEnabled": "true", "AlarmEmail": "sec@example.com"}
    overrides["CatalogMode"] = "none"
    if template == "emr-ec2":
        overrides["ClusterId"] = "j-2AXXXXXXGAPLF"
    resources = resolve_template(DEPLOY / TEMPLATES[template][0], overrides).resources()
    config = parse_run_args(_job_arguments(template, resources))
    table = table_dimension(config.output, config.catalog_table, config.metrics_table)
    assert (config.metrics_namespace, config.source, table) == (layout.metrics_namespace, source, source)
    puts = {"RowsWritten", "DuplicatesDropped", "EventsQuarantined", "SilentStreams", "EventsRead", "BadFiles",
            "LateEvents", "RowsWithUnmapped", "RunSeconds", "RunFailed"}  # fmt: skip
    dimensions = [{"Name": "Source", "Value": source}, {"Name": "Table", "Value": table}]
    for alarm, metric in (("RunFailedAlarm", "RunFailed"), ("RunSilentStreamsAlarm", "SilentStreams")):
        properties = resources[alarm]["Properties"]
        assert (properties["Namespace"], properties["MetricName"]) == (config.metrics_namespace, metric)
        assert properties["Dimensions"] == dimensions and properties["AlarmActions"] == ["ref:AlarmTopic"]
    assert resources["AlarmTopic"]["Properties"]["Subscription"] == [
        {"Protocol": "email", "Endpoint": "sec@example.com"}
    ]
    body = json.loads(resources["Dashboard"]["Properties"]["DashboardBody"])
    rows = [row for widget in body["widgets"] for row in widget["properties"]["metrics"] if isinstance(row[0], str)]
    assert {row[1] for row in rows} == {
        "RowsWritten",
        "EventsQuarantined",
        "BadFiles",
        "SilentStreams",
        "RunSeconds",
        "RunFailed",
    }
    assert {row[1] for row in rows} <= puts
    assert all(row[0] == config.metrics_namespace and row[2:6] == ["Source", source, "Table", table] for row in rows)
    searches = [
        row[0]["expression"] for w in body["widgets"] for row in w["properties"]["metrics"] if isinstance(row[0], dict)
    ]
    assert searches == [
        f"SEARCH('{{\"{config.metrics_namespace}\",Source,Table}} MetricName=\"RowsWritten\"', 'Sum', 86400)"
    ]


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_without_an_email_the_alarms_have_no_topic_and_without_a_namespace_nothing_is_put(template: str) -> None:
    layout = LAYOUTS["trail-under-logs"]
    overrides = {**parameters(template, layout, "table"), "ScheduleEnabled": "true"}
    if template == "emr-ec2":
        overrides["ClusterId"] = "j-2AXXXXXXGAPLF"
    resources = resolve_template(DEPLOY / TEMPLATES[template][0], overrides).resources()
    assert "AlarmTopic" not in resources and "AlarmActions" not in resources["RunFailedAlarm"]["Properties"]
    off = resolve_template(DEPLOY / TEMPLATES[template][0], {**overrides, "MetricsNamespace": ""}).resources()
    assert not {"Dashboard", "RunFailedAlarm", "RunSilentStreamsAlarm", "AlarmTopic"} & set(off)
    assert not any(argument.startswith("--metrics") for argument in _job_arguments(template, off))
