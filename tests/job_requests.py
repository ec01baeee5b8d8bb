"""Every AWS request one run of the job makes, as IAM authorization checks, for a given deployment layout.

What is derived from the code, so that a new call fails the policy test until the policy (and this list) grants it:

* Glue: every `glue.<method>(...)` in `cloudtrail_etl/catalog.py`, found by walking its AST from the entry point of
  each catalog mode (`update_catalog_table` for table mode, `run_crawler` for crawler mode) through the module's own
  functions. The method name gives the IAM action (`get_table` -> `glue:GetTable`); the resource ARNs Glue
  authorizes come from the kind of object (catalog + database, + table, or the crawler).
* S3 from boto3: every client method (and paginator) in `cloudtrail_etl/discovery.py`, mapped by `S3_BOTO3_ACTIONS`,
  and those of the publish protocol on an S3 table (`files.py`, `lock.py`: `publish_s3_methods`), whose requests
  `publish_calls` models. The flow log source's own boto3 call (the ranged GET of one file's first line per flow
  log, `sources/vpcflow.py`) is checked by `source_s3_methods`.
* CloudWatch: every `cloudwatch.<method>(...)` of `cloudtrail_etl/metrics.py` (`metrics_cloudwatch_methods`): the
  run's figures, PutMetricData to the layout's namespace (`metrics_calls`), which IAM checks with the
  `cloudwatch:namespace` condition key (the action has no resource-level control).

A run reads the files of one source (`Layout.source`): CloudTrail's under `AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/` (and
the digests under `CloudTrail-Digest/`), or VPC flow logs under `AWSLogs/ACCOUNT/vpcflowlogs/` and the
Hive-compatible `AWSLogs/aws-account-id=ACCOUNT/aws-service=vpcflowlogs/`. Everything after the read (staging,
publish, quarantine, report, catalog) is the same for both.

What cannot be read from the code, because Hadoop's FileSystem (S3A; EMRFS on EMR and Glue) turns each
`exists`/`mkdirs`/`rename`/`delete`/Spark read or write into S3 requests: an explicit table, `hadoop_calls`, one
entry per thing the job does, written from S3A's behaviour:

* `getFileStatus(dir)` = HEAD `key` (a missing object: S3 answers 404 only with s3:ListBucket on the bucket, which
  a HEAD checks with no s3:prefix; else 403), HEAD `key/` (directory marker), HEAD `key_$folder$` (EMRFS marker),
  then LIST `key/`;
* a rename = getFileStatus of source, target and target's parent, LIST the source, then per object a copy
  (GetObject on the source, PutObject on the target) and a delete; an emptied parent gets a `parent/` marker;
* a Spark write = the target's status and delete (mode overwrite), `mkdirs(target/_temporary/0)` probing each
  missing parent, task files PUT (multipart: aborted on failure), task and job commit = renames, `_SUCCESS`.

Calls marked `tolerated` are made but their denial does not fail a run: S3A's mkdirs probes the parents of a
missing directory up to the bucket and, on AccessDenied, logs "Access denied when looking for parent directory;
skipping checks" (MkdirOperation). The policies deliberately grant nothing above the table's own prefixes.
"""

from __future__ import annotations

import ast
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from cloudtrail_etl.days import utc_folders
from tests.iam_policy import Request

PACKAGE = Path(__file__).resolve().parent.parent / "cloudtrail_etl"

# boto3 S3 client methods -> the IAM action S3 authorizes them with.
S3_BOTO3_ACTIONS = {
    "list_objects_v2": "s3:ListBucket",
    "list_objects": "s3:ListBucket",
    "head_object": "s3:GetObject",
    "get_object": "s3:GetObject",
    "put_object": "s3:PutObject",
    "copy_object": "s3:PutObject",  # and s3:GetObject on the source
    "delete_object": "s3:DeleteObject",
    "delete_objects": "s3:DeleteObject",  # of every key in the request
}
# The publish protocol's S3 requests (files.py, lock.py) that publish_calls models.
PUBLISH_S3_MODELLED = {"list_objects_v2", "get_object", "put_object", "copy_object", "delete_object", "delete_objects"}
# Catalog calls reached from an entry point but made only on a path the templates do not support, with why.
CATALOG_EXCLUSIONS = {
    ("crawler", "create_crawler"): "only with --create-crawler (needs iam:PassRole); the stacks create the crawler",
    ("crawler", "get_database"): "only with --create-crawler (the database of a crawler being created)",
    ("crawler", "create_database"): "only with --create-crawler (the database of a crawler being created)",
}
# Table mode: the catalog step, and the partition repointed during an S3 swap (publish.py via job.py).
CATALOG_ENTRY_POINTS = {
    "table": ("update_catalog_table", "partition_location_now", "point_partition"),
    "crawler": ("run_crawler", "restart_crawler"),  # the latter: a recovery repeating a crashed run's crawl
}


@dataclass(frozen=True)
class Layout:
    """Where a deployment reads and writes: the values of the templates' parameters."""

    log_bucket: str
    log_prefix: str
    output_bucket: str
    output_prefix: str
    code_bucket: str = "code-bucket"
    code_prefix: str = "cloudtrail-etl/0.1.0"
    database: str = "cloudtrail"
    table: str = "cloudtrail"
    crawler: str = "cloudtrail-etl-crawler"
    source: str = "cloudtrail"  # the job's --source: cloudtrail or vpcflow
    report_key: str = ""  # default: OUTPUT_reports/cloudtrail-etl-latest.json
    log_kms_key: str = ""
    output_kms_key: str = ""
    region: str = "ap-northeast-2"
    account: str = "123456789012"
    metrics_namespace: str = "cloudtrail-etl"  # the job's --metrics-namespace; "" = no metrics

    @property
    def trail_root(self) -> str:
        return f"{self.log_prefix}/AWSLogs" if self.log_prefix else "AWSLogs"

    @property
    def report(self) -> str:
        return self.report_key or f"{self.output_prefix}_reports/cloudtrail-etl-latest.json"


@dataclass(frozen=True)
class Call:
    """One request the job sends; it succeeds only if every authorization check in `checks` is allowed."""

    what: str
    checks: tuple[Request, ...]
    tolerated: str = ""  # why a denial of this call does not fail the run ("" = it does)

    def __str__(self) -> str:
        return f"{self.what}: " + "; ".join(str(check) for check in self.checks)


# --- code-derived calls ------------------------------------------------------------------------------------------


def _module_functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text())
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def catalog_glue_methods(mode: str, path: Path = PACKAGE / "catalog.py") -> set[str]:
    """The `glue.<method>` calls reachable from the mode's entry point through the module's own functions."""
    functions = _module_functions(path)
    seen: set[str] = set()
    methods: set[str] = set()
    pending = list(CATALOG_ENTRY_POINTS[mode])
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in ast.walk(functions[name]):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "glue":
                methods.add(func.attr)
            elif isinstance(func, ast.Name) and func.id in functions:
                pending.append(func.id)
    return methods


def discovery_s3_methods(path: Path = PACKAGE / "discovery.py") -> set[str]:
    """boto3 S3 operations of discovery.py: `client.<method>(...)` and `get_paginator("<method>")`."""
    methods: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = node.func.value
        is_client = (isinstance(receiver, ast.Name) and receiver.id == "client") or (
            isinstance(receiver, ast.Attribute) and receiver.attr == "client"
        )
        if not is_client:
            continue
        if node.func.attr == "get_paginator":
            argument = node.args[0]
            assert isinstance(argument, ast.Constant), "get_paginator with a computed name"
            methods.add(str(argument.value))
        else:
            methods.add(node.func.attr)
    return methods


def publish_s3_methods(paths: tuple[Path, ...] = (PACKAGE / "files.py", PACKAGE / "lock.py")) -> set[str]:
    """boto3 S3 operations of the publish protocol: `self.s3.<method>(...)`, `self.client.<method>(...)` and
    `get_paginator("<method>")`."""
    methods: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = node.func.value
            if not (isinstance(receiver, ast.Attribute) and receiver.attr in ("s3", "client")):
                continue
            if node.func.attr == "get_paginator":
                methods.add(str(node.args[0].value))  # type: ignore[attr-defined]
            elif node.func.attr != "exceptions":
                methods.add(node.func.attr)
    return methods


def glue_action(method: str) -> str:
    return "glue:" + "".join(part.capitalize() for part in method.split("_"))


def glue_resources(method: str, layout: Layout) -> tuple[str, ...]:
    """The ARNs Glue authorizes a call on (all of them must be allowed)."""
    base = f"arn:aws:glue:{layout.region}:{layout.account}"
    catalog, database = f"{base}:catalog", f"{base}:database/{layout.database}"
    if "crawler" in method:
        return (f"{base}:crawler/{layout.crawler}",)
    if method.endswith("database"):
        return (catalog, database)
    if method.endswith(("table", "partition")):
        return (catalog, database, f"{base}:table/{layout.database}/{layout.table}")
    raise ValueError(f"glue.{method}: say in glue_resources which ARNs Glue authorizes it on")


def catalog_calls(mode: str, layout: Layout, path: Path = PACKAGE / "catalog.py") -> list[Call]:
    """The Glue calls of the catalog step in `mode` (table, crawler, none), as read from catalog.py."""
    if mode == "none":
        return []
    calls = []
    for method in sorted(catalog_glue_methods(mode, path)):
        if (mode, method) in CATALOG_EXCLUSIONS:
            continue
        action = glue_action(method)
        checks = tuple(Request(action, arn) for arn in glue_resources(method, layout))
        calls.append(Call(f"catalog.py glue.{method} ({mode} mode)", checks))
    return calls


# --- S3 helpers ----------------------------------------------------------------------------------------------------


def _object(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _bucket(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def _list(bucket: str, prefix: str, delimiter: bool = True) -> Request:
    context = (("s3:prefix", prefix), ("s3:delimiter", "/")) if delimiter else (("s3:prefix", prefix),)
    return Request("s3:ListBucket", _bucket(bucket), context)


class _Calls:
    """Builds the call list of one step; `kms` adds the key checks S3 makes for SSE-KMS objects."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self.calls: list[Call] = []

    def _kms(self, bucket: str, key: str, action: str) -> tuple[Request, ...]:
        """SSE-KMS: reading an object needs kms:Decrypt, writing one kms:GenerateDataKey too, both via S3."""
        layout = self.layout
        if bucket == layout.log_bucket and key.startswith(layout.trail_root + "/"):
            kms_key = layout.log_kms_key
        elif bucket == layout.output_bucket and key.startswith(layout.output_prefix):
            kms_key = layout.output_kms_key
        else:
            kms_key = ""
        if not kms_key:
            return ()
        via = (("kms:ViaService", f"s3.{layout.region}.amazonaws.com"),)
        actions = ["kms:Decrypt"] if action == "read" else ["kms:GenerateDataKey", "kms:Decrypt"]
        return tuple(Request(name, kms_key, via) for name in actions)

    def add(self, what: str, *checks: Request, tolerated: str = "") -> None:
        self.calls.append(Call(what, checks, tolerated))

    def head_missing(self, bucket: str, key: str, why: str, tolerated: str = "") -> None:
        self.add(
            f"HEAD s3://{bucket}/{key} ({why}; no such object)",
            Request("s3:GetObject", _object(bucket, key)),
            Request("s3:ListBucket", _bucket(bucket)),  # 404 rather than 403; a HEAD carries no s3:prefix
            tolerated=tolerated,
        )

    def dir_status(self, bucket: str, key: str, why: str, tolerated: str = "") -> None:
        """getFileStatus / exists of a directory: HEAD the key and its markers, then LIST."""
        for probe in (key, key + "/", key + "_$folder$"):
            self.head_missing(bucket, probe, why, tolerated)
        self.add(f"LIST s3://{bucket}/{key}/ ({why})", _list(bucket, key + "/", False), tolerated=tolerated)

    def list_dir(self, bucket: str, key: str, why: str) -> None:
        self.add(f"LIST s3://{bucket}/{key}/ ({why})", _list(bucket, key + "/"))

    def get(self, bucket: str, key: str, why: str) -> None:
        self.add(
            f"HEAD+GET s3://{bucket}/{key} ({why})",
            Request("s3:GetObject", _object(bucket, key)),
            *self._kms(bucket, key, "read"),
        )

    def put(self, bucket: str, key: str, why: str) -> None:
        self.add(
            f"PUT s3://{bucket}/{key} ({why})",
            Request("s3:PutObject", _object(bucket, key)),
            *self._kms(bucket, key, "write"),
        )
        self.add(
            f"abort multipart upload s3://{bucket}/{key} ({why})",
            Request("s3:AbortMultipartUpload", _object(bucket, key)),
        )

    def delete(self, bucket: str, key: str, why: str) -> None:
        self.add(f"DELETE s3://{bucket}/{key} ({why})", Request("s3:DeleteObject", _object(bucket, key)))

    def copy(self, bucket: str, source: str, target: str, why: str) -> None:
        self.add(
            f"COPY s3://{bucket}/{source} -> {target} ({why})",
            Request("s3:GetObject", _object(bucket, source)),
            Request("s3:PutObject", _object(bucket, target)),
            *self._kms(bucket, source, "read"),
            *self._kms(bucket, target, "write"),
        )

    def parents(self, bucket: str, key: str, stop: str, why: str) -> None:
        """mkdirs of a missing directory: status of each parent up to the bucket; those above `stop` tolerated."""
        parts = key.split("/")
        for depth in range(len(parts) - 1, 0, -1):
            parent = "/".join(parts[:depth])
            above = len(parent) < len(stop) and stop.startswith(parent + "/")
            tolerated = "S3A mkdirs skips parent checks on AccessDenied" if above else ""
            self.dir_status(bucket, parent, f"{why}: parent probe", tolerated)

    def rename(self, bucket: str, source: str, target: str, files: list[str], why: str) -> None:
        """Hadoop rename of a directory on S3: statuses, LIST, copy + delete per object, parent marker."""
        self.dir_status(bucket, source, f"{why}: source")
        self.dir_status(bucket, target, f"{why}: target must not exist")
        self.dir_status(bucket, target.rsplit("/", 1)[0], f"{why}: target's parent")
        self.add(f"LIST s3://{bucket}/{source}/ ({why})", _list(bucket, source + "/", False))
        for name in files:
            self.copy(bucket, f"{source}/{name}", f"{target}/{name}", why)
            self.delete(bucket, f"{source}/{name}", why)
        self.put(bucket, source.rsplit("/", 1)[0] + "/", f"{why}: marker of the emptied parent")

    def spark_write(self, bucket: str, target: str, stop: str, why: str) -> None:
        """DataFrameWriter mode("overwrite") with FileOutputCommitter (v1 or v2) to a directory."""
        self.dir_status(bucket, target, f"{why}: overwrite check")
        self.add(f"LIST s3://{bucket}/{target}/ ({why}: delete old)", _list(bucket, target + "/", False))
        self.delete(bucket, f"{target}/part-00000.old", f"{why}: delete old")
        temporary = f"{target}/_temporary/0"
        self.dir_status(bucket, temporary, f"{why}: setupJob mkdirs")
        self.parents(bucket, temporary, stop, f"{why}: setupJob mkdirs")
        self.put(bucket, temporary + "/", f"{why}: directory marker")
        attempt = f"{temporary}/_temporary/attempt_0000_m_000000_0"
        self.put(bucket, f"{attempt}/part-00000", f"{why}: task output")
        self.rename(bucket, attempt, f"{temporary}/task_0000_m_000000", ["part-00000"], f"{why}: commitTask")
        self.rename(bucket, f"{temporary}/task_0000_m_000000", target, ["part-00000"], f"{why}: commitJob")
        self.delete(bucket, f"{temporary}/", f"{why}: cleanupJob")
        self.put(bucket, f"{target}/_SUCCESS", f"{why}: _SUCCESS")


# --- the run -------------------------------------------------------------------------------------------------------


def source_s3_methods(path: Path = PACKAGE / "sources" / "vpcflow.py") -> set[str]:
    """boto3 S3 operations a source module calls itself: `s3_client.<method>(...)`."""
    methods: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            if isinstance(receiver, ast.Name) and receiver.id == "s3_client":
                methods.add(node.func.attr)
    return methods


# A second region beside the layout's: the flow logs of the model are a daily one and an hourly one (one region
# each), delivered into plain folders and into Hive-compatible ones.
FLOW_LOG_HOURLY_REGION = "us-east-1"
FLOW_LOG_HOUR = "00"


def flow_log_streams(layout: Layout) -> list[tuple[str, str, bool]]:
    """(the folder of one account, service and region, its region, hourly) of the flow logs the model delivers."""
    root, account = layout.trail_root, layout.account
    plain = f"{root}/{account}/vpcflowlogs"
    hive = f"{root}/aws-account-id={account}/aws-service=vpcflowlogs"
    return [
        (f"{plain}/{layout.region}", layout.region, False),
        (f"{plain}/{FLOW_LOG_HOURLY_REGION}", FLOW_LOG_HOURLY_REGION, True),
        (f"{hive}/aws-region={layout.region}", layout.region, False),
        (f"{hive}/aws-region={FLOW_LOG_HOURLY_REGION}", FLOW_LOG_HOURLY_REGION, True),
    ]


def flow_log_day_folders(layout: Layout, folder_day: dt.date) -> list[tuple[str, str | None]]:
    """(folder, the folder that holds its files, or None) of every stream for one UTC date: the day folder, and for
    an hourly flow log its hour folder under it (the day folder then holds only subfolders)."""
    found = []
    for stream, _, hourly in flow_log_streams(layout):
        hive = "/aws-region=" in stream
        day = (
            f"{stream}/year={folder_day:%Y}/month={folder_day:%m}/day={folder_day:%d}"
            if hive
            else f"{stream}/{folder_day:%Y/%m/%d}"
        )
        hour = f"{day}/hour={FLOW_LOG_HOUR}" if hive else f"{day}/{FLOW_LOG_HOUR}"
        found += [(day, None), (hour, hour)] if hourly else [(day, day)]
    return found


def flow_log_file(layout: Layout, folder: str, folder_day: dt.date) -> str:
    """The key of the model's file in `folder`: ACCOUNT_vpcflowlogs_REGION_FLOWLOGID_YYYYMMDDTHHmmZ_HASH.log.gz."""
    region = FLOW_LOG_HOURLY_REGION if FLOW_LOG_HOURLY_REGION in folder else layout.region
    flow_log_id = "fl-0hourly0000000000" if region == FLOW_LOG_HOURLY_REGION else "fl-0daily00000000000"
    return f"{folder}/{layout.account}_vpcflowlogs_{region}_{flow_log_id}_{folder_day:%Y%m%d}T0005Z_1a2b3c4d.log.gz"


def discovery_calls(layout: Layout, day: dt.date) -> list[Call]:
    """boto3 listings of discovery.py (the request shapes it sends): for CloudTrail an organization trail and a plain
    one; for flow logs the streams of `flow_log_streams`. --accounts and --regions only leave some of these out."""
    methods = discovery_s3_methods()
    unknown = methods - set(S3_BOTO3_ACTIONS)
    if unknown:
        raise ValueError(f"discovery.py calls s3 {sorted(unknown)}: add them to S3_BOTO3_ACTIONS and discovery_calls")
    if methods - {"list_objects_v2", "list_objects"}:
        raise ValueError(f"discovery.py now calls {sorted(methods)}: model those requests in discovery_calls")
    root, bucket, account = layout.trail_root, layout.log_bucket, layout.account
    if layout.source == "vpcflow":
        prefixes = [f"{root}/", f"{root}/{account}/vpcflowlogs/"]
        prefixes += [f"{root}/aws-account-id={account}/aws-service=vpcflowlogs/"]
        prefixes += [
            f"{folder}/" for folder_day in utc_folders(day) for folder, _ in flow_log_day_folders(layout, folder_day)
        ]
    else:
        prefixes = [f"{root}/", f"{root}/o-exampleorg/", f"{root}/{account}/CloudTrail/"]
        prefixes += [f"{root}/o-exampleorg/{account}/CloudTrail/"]
        for folder in utc_folders(day):
            prefixes.append(f"{root}/{account}/CloudTrail/{layout.region}/{folder:%Y/%m/%d}/")
    calls = [Call(f"boto3 list_objects_v2 s3://{bucket}/{prefix}", (_list(bucket, prefix),)) for prefix in prefixes]
    calls.append(Call(f"boto3 list_objects_v2 MaxKeys=1 s3://{bucket}/{root}/", (_list(bucket, f"{root}/", False),)))
    return calls


def hadoop_calls(layout: Layout, day: dt.date, run_id: str = "20260102T160000Z-0123abcd") -> list[Call]:
    """The S3 requests of the job's Spark and Hadoop FileSystem work, step by step."""
    calls = _Calls(layout)
    out, log = layout.output_bucket, layout.log_bucket
    table, staging = layout.output_prefix, f"{layout.output_prefix}_staging"
    code = f"{day:%Y%m%d}"
    run = f"{staging}/{run_id}"
    staged_table = f"{run}/table"  # one partitioned write of all the run's days
    target = f"{table}/proc_ymd={code}"
    staged_quarantine = f"{run}/quarantine/proc_ymd={code}"

    # Read: Spark's file index is given the day folders; it checks and lists each, then opens the files.
    if layout.source == "vpcflow":
        calls.calls += flow_log_read_calls(layout, day)
    else:
        for folder in utc_folders(day):
            key = f"{layout.trail_root}/{layout.account}/CloudTrail/{layout.region}/{folder:%Y/%m/%d}"
            calls.dir_status(log, key, "reader: day folder")
            calls.list_dir(log, key, "reader: day folder")
            name = f"{layout.account}_CloudTrail_{layout.region}_{folder:%Y%m%d}T0005Z_abc.json.gz"
            calls.get(log, f"{key}/{name}", "reader: delivery file")

    # Writability check (the code change landing in main): a marker written then deleted in the staging run.
    calls.dir_status(out, f"{run}/_writable", "writable check: create")
    calls.put(out, f"{run}/_writable", "writable check")
    calls.delete(out, f"{run}/_writable", "writable check")
    calls.put(out, f"{run}/", "writable check: marker of the emptied parent")

    calls.spark_write(out, staged_table, table, "staged write (partitionBy proc_ymd)")
    calls.dir_status(out, target, "rows before: does the day exist (shrink check)")
    calls.list_dir(out, target, "rows before: the existing day's footers (shrink check)")
    calls.get(out, f"{target}/part-00000", "rows before: the existing day's footers (shrink check)")

    # Lock, recovery, journal, swap and clean-up: boto3 requests of files.py and lock.py (publish_calls).
    calls.calls += publish_calls(layout, code, run)

    # Report of the written files, and the unmapped-fields read back.
    calls.list_dir(out, target, "list written files")
    calls.get(out, f"{target}/part-00000", "read back unmapped fields")
    # Volume per stream and KST hour (stages/volume.py): the day before is probed, the written day's stream and time
    # columns are read back (with the day before's, when the table holds it).
    previous = f"{day - dt.timedelta(days=1):%Y%m%d}"
    calls.dir_status(out, f"{table}/proc_ymd={previous}", "volume: does the table hold the day before")
    calls.list_dir(out, target, "volume: the written day's columns")
    calls.get(out, f"{target}/part-00000", "volume: the written day's columns")

    # A range run stages several days and swaps each one the same way; a second day adds no new kind of request.

    # Quarantine: the files with quarantined records are read again; Spark writes JSON into the staging run, reads it
    # back, and the day's quarantine is swapped in beside the day.
    calls.spark_write(out, staged_quarantine, table, "quarantine write")
    calls.list_dir(out, staged_quarantine, "quarantine read back")
    calls.get(out, f"{staged_quarantine}/part-00000", "quarantine read back")
    calls.calls += publish_calls(layout, code, run, quarantine=True)

    # Report (--report): Hadoop create() of one file, overwriting the previous one.
    calls.dir_status(out, layout.report, "report create")
    calls.dir_status(out, layout.report.rsplit("/", 1)[0], "report parent")
    calls.put(out, layout.report, "report")

    # Verification of digests (--verify-digests, `verify`; CloudTrail only): list, GET and HEAD the digest files, the
    # public keys.
    for folder in utc_folders(day) if layout.source == "cloudtrail" else ():
        key = f"{layout.trail_root}/{layout.account}/CloudTrail-Digest/{layout.region}/{folder:%Y/%m/%d}"
        calls.list_dir(log, key, "digest listing")
        name = (
            f"{layout.account}_CloudTrail-Digest_{layout.region}_trail_{layout.region}_{folder:%Y%m%d}T001728Z.json.gz"
        )
        calls.get(log, f"{key}/{name}", "digest file (GET, and HEAD for its signature metadata)")
    if layout.source == "cloudtrail":
        calls.add("cloudtrail:ListPublicKeys (digest signatures)", Request("cloudtrail:ListPublicKeys", "*"))

    # The code: the entry scripts and the package zip.
    for name in ("glue_job.py", "spark_submit_job.py", "cloudtrail_etl.zip"):
        calls.get(layout.code_bucket, f"{layout.code_prefix}/{name}", "code")
    return calls.calls


def flow_log_read_calls(layout: Layout, day: dt.date) -> list[Call]:
    """The reads of a flow log run: the fast read's ranged GET of one file's first line per flow log (on the driver),
    then Spark given every folder that holds files (a day folder, or an hour folder under it): status, listing and
    the files. The exact read, and the quarantine's second read of files by name, read the same objects."""
    calls = _Calls(layout)
    log = layout.log_bucket
    for folder_day in utc_folders(day):
        for _, folder in flow_log_day_folders(layout, folder_day):
            if folder is None:
                continue
            key = flow_log_file(layout, folder, folder_day)
            calls.get(log, key, "fast read: the first line of one file per flow log (ranged GET)")
            calls.dir_status(log, folder, "reader: flow log folder")
            calls.list_dir(log, folder, "reader: flow log folder")
            calls.get(log, key, "reader: flow log file")
    return calls.calls


def publish_calls(layout: Layout, code: str, run: str, quarantine: bool = False) -> list[Call]:
    """The S3 requests of the publish protocol (publish.py through files.py and lock.py) for one day's folder.

    Lock: PutObject If-None-Match, GetObject of a holder's lock, PutObject If-Match (renewal, takeover),
    DeleteObject If-Match (release). Recovery: delimiter listings of the staging root and each run folder, GetObject
    of journals. Swap: listings of the staged and target folders, PutObject of journal records, a CopyObject per new
    file, DeleteObjects of the old files, then of the run folder (a listing without delimiter)."""
    calls = _Calls(layout)
    out, staging = layout.output_bucket, f"{layout.output_prefix}_staging"
    lock = f"{staging}/_lock.json"
    if quarantine:
        staged, target = f"{run}/quarantine/proc_ymd={code}", f"{layout.output_prefix}_quarantine/proc_ymd={code}"
    else:
        staged, target = f"{run}/table/proc_ymd={code}", f"{layout.output_prefix}/proc_ymd={code}"
    calls.put(out, lock, "publish: lock: create, renew, take over")
    calls.get(out, lock, "publish: lock: read the holder")
    calls.delete(out, lock, "publish: lock: release")
    calls.list_dir(out, staging, "publish: recovery: run folders")
    calls.list_dir(out, run, "publish: recovery: journal records")
    calls.get(out, f"{run}/_journal-0000.json", "publish: recovery: journal")
    calls.put(out, f"{run}/_journal-0000.json", "publish: journal")
    calls.list_dir(out, staged, "publish: swap: staged files")
    calls.list_dir(out, target, "publish: swap: the target's files")
    calls.copy(out, f"{staged}/part-00000", f"{target}/part-00000", "publish: swap: new file in")
    calls.delete(out, f"{target}/part-00000.old", "publish: swap: old file out (DeleteObjects)")
    calls.add(f"LIST s3://{out}/{run}/ (publish: clean-up)", _list(out, run + "/", False))
    calls.delete(out, f"{staged}/part-00000", "publish: clean-up: run folder (DeleteObjects)")
    calls.delete(out, f"{run}/_journal-0000.json", "publish: clean-up: run folder (DeleteObjects)")
    return calls.calls


def metrics_cloudwatch_methods(path: Path = PACKAGE / "metrics.py") -> set[str]:
    """The CloudWatch operations of metrics.py: `cloudwatch.<method>(...)`."""
    methods: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            if isinstance(receiver, ast.Name) and receiver.id == "cloudwatch":
                methods.add(node.func.attr)
    return methods


def metrics_calls(layout: Layout) -> list[Call]:
    """--metrics-namespace: PutMetricData to the layout's namespace, authorized on "*" with cloudwatch:namespace."""
    if not layout.metrics_namespace:
        return []
    methods = metrics_cloudwatch_methods()
    if methods != {"put_metric_data"}:
        raise ValueError(f"metrics.py now calls cloudwatch {sorted(methods)}: model those requests in metrics_calls")
    check = Request("cloudwatch:PutMetricData", "*", (("cloudwatch:namespace", layout.metrics_namespace),))
    return [Call(f"cloudwatch PutMetricData (namespace {layout.metrics_namespace})", (check,))]


def job_calls(layout: Layout, catalog_mode: str, day: dt.date = dt.date(2026, 1, 2)) -> list[Call]:
    """Every request of one run (discovery, Spark/Hadoop, catalog step), without duplicates, in order."""
    seen: set[Call] = set()
    unique = []
    every = [*discovery_calls(layout, day), *hadoop_calls(layout, day), *catalog_calls(catalog_mode, layout)]
    for call in [*every, *metrics_calls(layout)]:
        if call not in seen:
            seen.add(call)
            unique.append(call)
    return unique


def not_granted(layout: Layout) -> list[Request]:
    """Requests the job never makes and a job role must not be allowed: the policy stays as narrow as it can. A
    stack reads only its own source's files: a CloudTrail stack none of the flow logs beside the trail, a flow log
    stack none of the trail's files or digests, nor CloudTrail's public keys."""
    out, log, table = layout.output_bucket, layout.log_bucket, layout.output_prefix
    parent = table.rsplit("/", 1)[0] if "/" in table else ""
    base = f"arn:aws:glue:{layout.region}:{layout.account}"
    other_keys = [f"{table}_other/x", f"{table}x/part-0", "other-table/part-0", f"{layout.trail_root}x/secret"]
    if parent:
        other_keys += [f"{parent}/other/part-0", f"{parent}/", parent]
    requests = [Request(action, _object(out, key)) for key in other_keys for action in ("s3:GetObject", "s3:PutObject")]
    requests += [Request("s3:DeleteObject", _object(out, f"{parent}/other/part-0" if parent else "other/part-0"))]
    root, account, region = layout.trail_root, layout.account, layout.region
    trail_key = f"{root}/{account}/CloudTrail/{region}/2026/01/02/x.json.gz"
    flow_log_key = f"{root}/{account}/vpcflowlogs/{region}/2026/01/02/x.log.gz"
    hive_key = f"{root}/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/year=2026/x.log.gz"
    own_keys = [flow_log_key, hive_key] if layout.source == "vpcflow" else [trail_key]
    for key in own_keys:
        requests += [Request(action, _object(log, key)) for action in ("s3:PutObject", "s3:DeleteObject")]
    if layout.source == "vpcflow":
        digest_key = f"{root}/{account}/CloudTrail-Digest/{region}/2026/01/02/x.json.gz"
        org_trail_key = f"{root}/o-exampleorg/{account}/CloudTrail/{region}/2026/01/02/x.json.gz"
        requests += [Request("s3:GetObject", _object(log, key)) for key in (trail_key, digest_key, org_trail_key)]
        requests += [Request("cloudtrail:ListPublicKeys", "*")]
    else:
        requests += [Request("s3:GetObject", _object(log, key)) for key in (flow_log_key, hive_key)]
        other_service = f"{root}/{account}/elasticloadbalancing/{region}/2026/01/02/x.log.gz"
        requests += [Request("s3:GetObject", _object(log, other_service))]
    outside_trail = f"{layout.log_prefix}/other/x" if layout.log_prefix else "other/x"
    requests += [Request("s3:GetObject", _object(log, outside_trail))]
    requests += [Request("s3:GetObject", _object(layout.code_bucket, "other/glue_job.py"))]
    requests += [
        Request("glue:DeleteTable", f"{base}:table/{layout.database}/{layout.table}"),
        Request("glue:DeleteDatabase", f"{base}:database/{layout.database}"),
        Request("glue:CreateTable", f"{base}:table/otherdb/{layout.table}"),
        Request("glue:CreateTable", f"{base}:database/otherdb"),
        Request("glue:GetTable", f"{base}:table/{layout.database}/other_table"),
        Request("glue:StartCrawler", f"{base}:crawler/other-crawler"),
        Request("glue:CreateCrawler", f"{base}:crawler/{layout.crawler}"),
        Request("iam:PassRole", f"arn:aws:iam::{layout.account}:role/any"),
    ]
    # CloudWatch: no namespace but the layout's (none when it puts no metrics), nor a request without a namespace.
    wrong = ["other-namespace", f"{layout.metrics_namespace}-other"]
    wrong += [] if layout.metrics_namespace else ["cloudtrail-etl"]
    requests += [Request("cloudwatch:PutMetricData", "*", (("cloudwatch:namespace", name),)) for name in wrong]
    requests += [Request("cloudwatch:PutMetricData", "*")]
    return requests


def log_reads(calls: list[Call], layout: Layout) -> list[Request]:
    """The GetObject checks of `calls` on files under the layout's AWSLogs/ (what a run reads of its source)."""
    under = _object(layout.log_bucket, layout.trail_root + "/")
    return [
        check
        for call in calls
        for check in call.checks
        if check.action == "s3:GetObject" and check.resource.startswith(under)
    ]


def denied(calls: list[Call], decide: Callable[[Request], bool]) -> list[Call]:
    """The calls with at least one check `decide` refuses."""
    return [call for call in calls if not all(decide(check) for check in call.checks)]
