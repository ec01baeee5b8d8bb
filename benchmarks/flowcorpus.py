"""The flow-log benchmark corpus: one busy account's VPC flow log over the two UTC days that hold KST day D,
generated once with the sample generator and cached by spec (benchmarks/.cache/).

The 1x day is ~2 million records in KST day D (a VPC of 250 interfaces in the default format, files every 5
minutes); a scale multiplies the flows per interface and window. The truth the converters' rows are checked
against (records per KST day of start) is counted by the generator as it writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

from benchmarks.corpus import CACHE, DAY
from cloudtrail_etl.sample.vpcflow import V2, FlowLog, FlowSampleSpec, write_flow_logs

FLOW_LOG = FlowLog("fl-0a1b2c3d4e5f60718", "111122223333", "ap-northeast-2", V2)
INTERFACES = 250
FLOWS_PER_WINDOW_1X = 56.0  # x 250 interfaces x 144 windows: ~2M records a day
SEED = 20260102
GENERATOR = 3  # bump when the sample generator writes other files for the same spec: the cache key changes


@dataclasses.dataclass(frozen=True)
class FlowCorpus:
    root: Path
    scale: float
    files: int
    records: int
    raw_bytes: int
    records_in_day: int  # lines of the folders D-1 and D whose start is in KST day D: what every converter must write


def spec_for(scale: float, file_format: str = "plain-text") -> FlowSampleSpec:
    return FlowSampleSpec(
        start=DAY.replace(day=DAY.day - 1),
        days=2,
        flow_logs=(dataclasses.replace(FLOW_LOG, file_format=file_format),),
        interfaces_per_account=INTERFACES,
        flows_per_window=FLOWS_PER_WINDOW_1X * scale,
        late_file_rate=0.002,
        seed=SEED,
    )


def ensure_flow_corpus(scale: float, file_format: str = "plain-text") -> FlowCorpus:
    """The corpus at a scale, its files text (.log.gz) or Parquet (.log.parquet): the same records either way."""
    spec = spec_for(scale, file_format)
    key = hashlib.sha256(f"{GENERATOR}:{spec!r}".encode()).hexdigest()[:12]
    kind = "" if file_format == "plain-text" else f"{file_format}-"
    root = CACHE / f"vpcflow-{kind}{scale:g}x-{key}"
    meta = root / "corpus.json"
    if not meta.exists():
        shutil.rmtree(root, ignore_errors=True)
        print(f"generating the {scale:g}x flow log corpus in {root} ...", flush=True)
        summary = write_flow_logs(root, spec)
        facts = {
            "files": summary.files_written,
            "records": summary.records_written,
            "raw_bytes": summary.bytes_written,
            # Each converter reads the folders D-1 and D; records of the day in later (late) files are not its to see.
            "records_in_day": sum(
                summary.records_by_folder.get(folder.isoformat(), {}).get(DAY.isoformat(), 0)
                for folder in (DAY - dt.timedelta(days=1), DAY)
            ),
        }
        meta.write_text(json.dumps(facts, indent=1) + "\n")
    facts = json.loads(meta.read_text())
    return FlowCorpus(root, scale, **facts)
