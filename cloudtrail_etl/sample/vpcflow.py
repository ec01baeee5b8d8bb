"""Sample VPC flow log files in the real S3 layout, for tests, demos and benchmarks.

Why it exists: the flow-log source has to be exercised on files shaped like AWS's (a header per file, default and
custom formats side by side, daily, hourly and Hive-compatible folders, NODATA and SKIPDATA records, IPv6, records
that arrive hours late, identical lines from two flow logs on one interface) without an AWS account. The output is
deterministic for a spec: same bytes on every run, no clock, no machine time zone. Stdlib only.

Each flow log writes, for every 5 minutes, one file holding the records whose `end` falls in those 5 minutes
(as AWS documents: `..._20180620T1620Z_...` holds the end times 16:20:00-16:24:59), named and foldered after that
UTC time; a small share of files is made (and so named and foldered) hours later, as a delayed delivery is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import random
from collections.abc import Sequence
from pathlib import Path

from cloudtrail_etl.sample.constants import _ACCOUNT_RE, _REGION_RE

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
WINDOW_S = 600  # the default maximum aggregation interval: 10 minutes
FILE_S = 300  # a file per flow log every 5 minutes
KST_OFFSET_S = 9 * 3600


def _fields(text: str) -> tuple[str, ...]:
    return tuple(text.split())


V2 = _fields(
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
)
# A custom v5 format in an order of its own, as the AWS console's examples suggest.
V5 = _fields(
    "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr "
    "pkt-dstaddr protocol bytes packets start end action tcp-flags log-status flow-direction traffic-path "
    "pkt-src-aws-service pkt-dst-aws-service region az-id"
)
ECS_FIELDS = _fields(
    "ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id "
    "ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id"
)
# Every field through version 8 (ECS and reject-reason), and a field this project does not know.
V8 = (
    *V2,
    *_fields("vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type"),
    *_fields("sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"),
    *ECS_FIELDS,
    "reject-reason",
    "encryption-status",
)


@dataclasses.dataclass(frozen=True)
class FlowLog:
    """One flow log: its id, owner, format and S3 options, and which of the account's interfaces it covers."""

    flow_log_id: str
    account: str
    region: str
    fields: tuple[str, ...]
    hive: bool = False
    hourly: bool = False
    interfaces: tuple[int, ...] = ()  # indexes into the account's interfaces; () = all
    file_format: str = "plain-text"  # or "parquet" (FileFormat): .log.parquet files, typed columns

    @property
    def version(self) -> int:
        return {V2: 2, V5: 5}.get(self.fields, 8)


ACCOUNT_A, ACCOUNT_B = "111122223333", "444455556666"
DEFAULT_FLOW_LOGS = (
    # A VPC's flow log in the default format, plain daily folders.
    FlowLog("fl-0a1b2c3d4e5f60718", ACCOUNT_A, "ap-northeast-2", V2),
    # A second flow log on two of the same interfaces, same format: its lines repeat the first's, as AWS writes them.
    FlowLog("fl-0b2c3d4e5f6071829", ACCOUNT_A, "ap-northeast-2", V2, interfaces=(0, 1)),
    # A custom v5 format, hourly partitions, on the same VPC.
    FlowLog("fl-0c3d4e5f607182930", ACCOUNT_A, "ap-northeast-2", V5, hourly=True),
    # Another account: every field through v8 plus one unknown to this project, Hive-compatible hourly folders.
    FlowLog("fl-0d4e5f60718293a4b", ACCOUNT_B, "us-east-1", V8, hive=True, hourly=True),
)


@dataclasses.dataclass(frozen=True)
class FlowSampleSpec:
    """What to generate. Defaults: 3 UTC days, 4 flow logs over 2 accounts, ~3,500 files, ~150K records (~3 s)."""

    start: dt.date = dt.date(2026, 1, 1)  # first UTC day
    days: int = 3
    flow_logs: tuple[FlowLog, ...] = DEFAULT_FLOW_LOGS
    interfaces_per_account: int = 8
    flows_per_window: float = 6.0  # mean flows per interface per 10-minute window (the size knob)
    late_file_rate: float = 0.01  # share of files made 2-20 hours late
    seed: int = 7

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if not self.flow_logs:
            raise ValueError("at least one flow log")
        for flow_log in self.flow_logs:
            if not (_ACCOUNT_RE.match(flow_log.account) and _REGION_RE.match(flow_log.region)):
                raise ValueError(f"bad account or region in {flow_log}")
        if self.interfaces_per_account < 2 or self.flows_per_window <= 0:
            raise ValueError("interfaces_per_account >= 2 and flows_per_window > 0")
        if not 0.0 <= self.late_file_rate <= 1.0:
            raise ValueError(f"late_file_rate must be within [0, 1], got {self.late_file_rate}")


@dataclasses.dataclass(frozen=True)
class FlowSampleSummary:
    root: Path
    files_written: int
    records_written: int  # lines after the headers
    bytes_written: int
    records_by_kst_day: dict[str, int] = dataclasses.field(default_factory=dict)  # YYYY-MM-DD of start in KST -> lines
    # UTC date of the file's folder -> YYYY-MM-DD of start in KST -> lines: what a run reading some folders must see.
    records_by_folder: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Interface:
    """A network interface: its ids and addresses, and what kind of traffic it carries."""

    eni: str
    account: str
    vpc: str
    subnet: str
    instance: str  # "-" for requester-managed interfaces (a NAT gateway)
    address: str
    address6: str | None
    az: str
    role: str  # web (faces the internet), app, db, nat, ecs
    ecs: tuple[str, ...] = ()  # the ten ECS fields, for a task's interface


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def make_interfaces(account: str, region: str, count: int, rng: random.Random) -> list[Interface]:
    roles = ["web", "app", "db", "nat", "ecs"]
    vpc = f"vpc-{_hex(rng, 17)}"
    octet = int(account[-2:]) % 200 + 10
    found = []
    for i in range(count):
        role = roles[i % len(roles)]
        az = f"{'apne2' if region.startswith('ap-') else 'use1'}-az{i % 3 + 1}"
        ecs = ()
        if role == "ecs":
            cluster = f"arn:aws:ecs:{region}:{account}:cluster/sample"
            task_id = _hex(rng, 32)
            ecs = (
                cluster,
                "sample",
                f"arn:aws:ecs:{region}:{account}:container-instance/sample/{_hex(rng, 32)}",
                _hex(rng, 32),
                f"{task_id}-{rng.randrange(10**9, 10**10)}",
                "-",
                "checkout",
                f"arn:aws:ecs:{region}:{account}:task-definition/checkout:7",
                f"arn:aws:ecs:{region}:{account}:task/sample/{task_id}",
                task_id,
            )
        found.append(
            Interface(
                eni=f"eni-{_hex(rng, 17)}",
                account=account,
                vpc=vpc,
                subnet=f"subnet-{_hex(rng, 17)}",
                instance="-" if role == "nat" else f"i-{_hex(rng, 17)}",
                address=f"10.{octet}.{i // 250}.{i % 250 + 4}",
                address6=f"2600:1f18:{octet:x}:{i:x}::{rng.randrange(1, 65535):x}" if i % 3 == 0 else None,
                az=az,
                role=role,
                ecs=ecs,
            )
        )
    return found


_SCAN_PORTS = (22, 23, 3389, 445, 1433, 3306, 5900, 8080)
_SERVICES = ("S3", "DYNAMODB", "AMAZON", "EC2")
_PUBLIC_FIRST = (52, 54, 3, 18, 185, 45, 91, 203)
CONVERSATIONS_PER_INTERFACE = 300
PEERS_PER_INTERFACE = 4
SCANNERS = 2000  # the internet addresses that probe public interfaces


def _public(rng: random.Random, six: bool = False) -> str:
    if six:
        return f"2a02:{rng.randrange(65536):x}:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}"
    first = rng.choice(_PUBLIC_FIRST)
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


@dataclasses.dataclass(frozen=True)
class Conversation:
    """A flow an interface has again and again (a 5-tuple and what it carries): the fields of its records but for
    the times and, where `varies`, the packets and bytes of each window."""

    values: dict[str, str]
    packets: int
    bytes: int
    varies: bool = True


def conversation(iface: Interface, peers: Sequence[Interface], scanners: Sequence[str], rng: random.Random):
    """One conversation of an interface, drawn by its role."""
    kind = rng.random()
    six = iface.address6 is not None and rng.random() < 0.3
    local = iface.address6 if six else iface.address
    values = {"type": "IPv6" if six else "IPv4", "action": "ACCEPT", "log-status": "OK"}
    if iface.role == "web" and kind < 0.35:  # internet scanners, turned away by the security group
        values.update(
            srcaddr=rng.choice(scanners) if not six else _public(rng, True), dstaddr=local,
            srcport=str(rng.randrange(1024, 65536)), dstport=str(rng.choice(_SCAN_PORTS)), protocol="6",
            action="REJECT", **{"tcp-flags": "2", "flow-direction": "ingress"},
        )  # fmt: skip
        return Conversation(values, 1, rng.choice((40, 44, 60)), varies=False)
    if kind < 0.05:  # ICMP: ports are 0
        values.update(
            srcaddr=_public(rng, six), dstaddr=local, srcport="0", dstport="0", protocol="58" if six else "1",
            action="ACCEPT" if iface.role == "web" else "REJECT", **{"flow-direction": "ingress"},
        )  # fmt: skip
        return Conversation(values, 2, 168)
    if iface.role == "nat" or kind < 0.3:  # out to the internet or an AWS service
        service = rng.choice(_SERVICES) if rng.random() < 0.4 else "-"
        values.update(
            srcaddr=local, dstaddr=_public(rng, six), srcport=str(rng.randrange(32768, 61000)), dstport="443",
            protocol="6", **{"tcp-flags": rng.choice(("3", "19", "27")), "flow-direction": "egress"},
            **{"traffic-path": "8" if service == "-" else "7", "pkt-dst-aws-service": service},
        )  # fmt: skip
        if iface.role == "nat":  # the NAT gateway records the original private source
            values["pkt-srcaddr"] = rng.choice(peers).address
        heavy = rng.random() < 0.01  # a backup upload: more than 2^31 bytes in a window
        return Conversation(values, rng.randrange(2, 4000), 3_000_000_000 if heavy else rng.randrange(100, 5_000_000))
    peer = rng.choice(peers)  # inside the VPC: app -> db, web -> app, ...
    port = {"db": "5432", "app": "8080", "ecs": "8443"}.get(peer.role, "443")
    ephemeral = str(rng.randrange(32768, 61000))
    outbound = rng.random() < 0.5
    values.update(
        srcaddr=local if outbound else peer.address, dstaddr=peer.address if outbound else local,
        srcport=ephemeral if outbound else port, dstport=port if outbound else ephemeral,
        protocol="6" if rng.random() < 0.9 else "17", **{"tcp-flags": rng.choice(("2", "18", "19", "3", "0"))},
        **{"flow-direction": "egress" if outbound else "ingress", "traffic-path": "1" if outbound else "-"},
    )  # fmt: skip
    return Conversation(values, rng.randrange(1, 500), rng.randrange(40, 400_000))


def _record_values(values: dict[str, str], iface: Interface, flow_log: FlowLog) -> dict[str, str]:
    """Every field of a record as the flow log writes it ("-" where it does not apply), the times and counts as
    placeholders of a format string."""
    full = {
        "version": str(flow_log.version),
        "account-id": iface.account,
        "interface-id": iface.eni,
        "start": "{0}",
        "end": "{1}",
        **values,
    }
    if values["log-status"] != "OK":  # NODATA, SKIPDATA: the rest does not apply
        return full
    full.update(packets="{2}", bytes="{3}")
    full.setdefault("pkt-srcaddr", values["srcaddr"])
    full.setdefault("pkt-dstaddr", values["dstaddr"])
    full.update(
        {
            "vpc-id": iface.vpc,
            "subnet-id": iface.subnet,
            "instance-id": iface.instance,
            "region": flow_log.region,
            "az-id": iface.az,
            "encryption-status": "0" if values["action"] == "REJECT" else "1",
        }
    )
    if values["action"] == "REJECT" and values.get("srcport", "1").endswith("0"):  # VPC Block Public Access
        full["reject-reason"] = "BPA"
    full.update(zip(ECS_FIELDS, iface.ecs))
    return full


def line_template(values: dict[str, str], iface: Interface, flow_log: FlowLog) -> str:
    """The record's line in the flow log's format: `{0}` start, `{1}` end, `{2}` packets, `{3}` bytes."""
    full = _record_values(values, iface, flow_log)
    return " ".join(full.get(name, "-") for name in flow_log.fields)  # no value holds a brace


def _folder(root: Path, flow_log: FlowLog, made: dt.datetime) -> Path:
    if flow_log.hive:
        base = (
            root / "AWSLogs" / f"aws-account-id={flow_log.account}" / "aws-service=vpcflowlogs"
            / f"aws-region={flow_log.region}" / f"year={made:%Y}" / f"month={made:%m}" / f"day={made:%d}"
        )  # fmt: skip
        return base / f"hour={made:%H}" if flow_log.hourly else base
    base = root / "AWSLogs" / flow_log.account / "vpcflowlogs" / flow_log.region
    base = base / f"{made:%Y}" / f"{made:%m}" / f"{made:%d}"
    return base / f"{made:%H}" if flow_log.hourly else base


@dataclasses.dataclass
class _Stream:
    """An interface and the line templates of its conversations, per flow log that covers it."""

    iface: Interface
    flow_logs: list[int]  # numbers of the flow logs covering it
    conversations: list[tuple[Conversation, list[str]]]  # with one template per covering flow log
    quiet: dict[str, list[str]]  # NODATA / SKIPDATA templates


def write_flow_logs(root: Path, spec: FlowSampleSpec = FlowSampleSpec()) -> FlowSampleSummary:
    """Write every flow log's files for the spec's UTC days under root/AWSLogs/; return what was written.

    Windows are generated in time order and each 5-minute file is written as soon as no later window can add to
    it, so memory stays flat whatever the size of the spec."""
    rng = random.Random(spec.seed)
    scanners = [_public(rng) for _ in range(SCANNERS)]
    streams: list[_Stream] = []
    for account, region in sorted({(f.account, f.region) for f in spec.flow_logs}):
        ifaces = make_interfaces(account, region, spec.interfaces_per_account, random.Random(f"{spec.seed}-{account}"))
        for index, iface in enumerate(ifaces):
            covering = [
                number
                for number, f in enumerate(spec.flow_logs)
                if (f.account, f.region) == (account, region) and (not f.interfaces or index in f.interfaces)
            ]
            if not covering:
                continue
            # Hosts talk to a few others (an app to its database, a load balancer to its targets), not to all.
            others = ifaces[:index] + ifaces[index + 1 :]
            peers = random.Random(f"{spec.seed}-{iface.eni}").sample(others, min(PEERS_PER_INTERFACE, len(others)))
            talks = [conversation(iface, peers, scanners, rng) for _ in range(CONVERSATIONS_PER_INTERFACE)]
            templates = [(c, [line_template(c.values, iface, spec.flow_logs[n]) for n in covering]) for c in talks]
            quiet = {
                status: [line_template({"log-status": status}, iface, spec.flow_logs[n]) for n in covering]
                for status in ("NODATA", "SKIPDATA")
            }
            streams.append(_Stream(iface, covering, templates, quiet))
    first = dt.datetime.combine(spec.start, dt.time(0), tzinfo=dt.timezone.utc)
    begin = int((first - EPOCH).total_seconds())
    stop = begin + spec.days * 86400
    pending: dict[tuple[int, int], list[str]] = {}  # (flow log, file time) -> its lines
    pending_days: dict[tuple[int, int], dict[int, int]] = {}  # (flow log, file time) -> KST day -> its lines
    totals = [0, 0, 0]
    by_day: dict[int, int] = {}  # days since 1970 of start + 9 hours -> lines
    by_folder: dict[str, dict[str, int]] = {}

    def add(numbers: list[int], lines: list[str], end: int, *times: int) -> None:
        made = end - end % FILE_S
        if begin <= made < stop:
            for number, template in zip(numbers, lines):
                pending.setdefault((number, made), []).append(template.format(*times))
            day = (times[0] + KST_OFFSET_S) // 86400
            by_day[day] = by_day.get(day, 0) + len(numbers)
            for number in numbers:
                file_days = pending_days.setdefault((number, made), {})
                file_days[day] = file_days.get(day, 0) + 1

    def flush(before: int) -> None:
        for number, made in sorted(key for key in pending if key[1] < before):
            lines, file_days = pending.pop((number, made)), pending_days.pop((number, made))
            if rng.random() < spec.late_file_rate:  # made (and so named and foldered) hours late
                made += rng.randrange(2, 21) * 3600
            folder = by_folder.setdefault((EPOCH + dt.timedelta(seconds=made)).date().isoformat(), {})
            for day, n in file_days.items():
                kst_day = (EPOCH + dt.timedelta(days=day)).date().isoformat()
                folder[kst_day] = folder.get(kst_day, 0) + n
            _write_file(root, spec.flow_logs[number], made, lines, rng, totals)

    mean = spec.flows_per_window
    for window in range(begin - WINDOW_S, stop, WINDOW_S):
        flush(window)
        for stream in streams:
            count = int(rng.expovariate(1 / mean))
            if count == 0:  # no traffic in the window (now and then records were skipped)
                status = "SKIPDATA" if rng.random() < 0.02 else "NODATA"
                add(stream.flow_logs, stream.quiet[status], window + WINDOW_S - 1, window, window + WINDOW_S - 1)
                continue
            for _ in range(count):
                talk, lines = stream.conversations[rng.randrange(CONVERSATIONS_PER_INTERFACE)]
                start = window + rng.randrange(WINDOW_S - 60)
                end = start + rng.randrange(60)
                scale = 0.5 + rng.random() if talk.varies else 1.0
                add(
                    stream.flow_logs, lines, end, start, end, max(1, int(talk.packets * scale)), int(talk.bytes * scale)
                )
    flush(stop)
    days = {(EPOCH + dt.timedelta(days=day)).date().isoformat(): n for day, n in sorted(by_day.items())}
    folders = {date: dict(sorted(n.items())) for date, n in sorted(by_folder.items())}
    return FlowSampleSummary(root, *totals, records_by_kst_day=days, records_by_folder=folders)


def _write_file(root: Path, flow_log: FlowLog, made: int, lines: list[str], rng: random.Random, totals: list) -> None:
    when = EPOCH + dt.timedelta(seconds=made)
    folder = _folder(root, flow_log, when)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = f"{when:%Y%m%dT%H%M}Z"
    name = f"{flow_log.account}_vpcflowlogs_{flow_log.region}_{flow_log.flow_log_id}_{stamp}_{_hex(rng, 8)}"
    if flow_log.file_format == "parquet":
        data = parquet_delivery(flow_log.fields, lines)
        name += ".log.parquet"
    else:
        text = " ".join(flow_log.fields) + "\n" + "\n".join(lines) + "\n"
        data = gzip.compress(text.encode(), compresslevel=6, mtime=0)
        name += ".log.gz"
    (folder / name).write_bytes(data)
    totals[0] += 1
    totals[1] += len(lines)
    totals[2] += len(data)


# The physical types of a Parquet delivery (AWS VPC user guide); every other field is a string.
PARQUET_INT32 = frozenset({"version", "srcport", "dstport", "protocol", "tcp-flags", "traffic-path"})
PARQUET_INT64 = frozenset({"packets", "bytes", "start", "end"})


def parquet_delivery(fields: tuple[str, ...], lines: list[str]) -> bytes:
    """A flow log's records as AWS delivers them in Parquet: one row group, columns named as the fields with `_`,
    INT32/INT64 where AWS writes integers (null for `-`), strings otherwise (`-` kept, as the Avro writer's
    default). Needs pyarrow (the dev dependencies)."""
    import io

    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - the runtime has no pyarrow; the sample is a local tool
        raise RuntimeError("writing Parquet flow logs needs pyarrow: pip install pyarrow") from exc
    values = [line.split(" ") for line in lines]
    columns = {}
    for i, field in enumerate(fields):
        texts = [row[i] for row in values]
        if field in PARQUET_INT32 or field in PARQUET_INT64:
            kind = pa.int32() if field in PARQUET_INT32 else pa.int64()
            columns[field.replace("-", "_")] = pa.array([None if t == "-" else int(t) for t in texts], kind)
        else:
            columns[field.replace("-", "_")] = pa.array(texts, pa.string())
    out = io.BytesIO()
    pq.write_table(pa.table(columns), out, compression="snappy", row_group_size=max(1, len(lines)))
    return out.getvalue()
