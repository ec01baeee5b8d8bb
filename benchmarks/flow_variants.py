"""Whole runs of our flow-log job in variants, alternated, at several day sizes: the slope of each (issue 26,
benchmarks/profile.md).

    .venv/bin/python -m benchmarks.flow_variants [--scales 1,2,4] [--rounds 2] [--variants ours,wholestage]

Each variant is `cloudtrail-etl run --source vpcflow` of this checkout with one setting changed in the process
before the run (VARIANTS: Python run by `python -c`), so that a variant needs no copy of the package. Per scale the
variants run round-robin, the order reversed every other round (measure.alternate's rounds); reported: each run's
wall and CPU s, each variant's median per scale, the least-squares slope and intercept (benchmarks/scaling.py),
the rows written against the corpus's truth, and the bytes the analysts' queries read of each variant's output.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from benchmarks import flowlogs
from benchmarks.corpus import DAY
from benchmarks.flowcorpus import ensure_flow_corpus
from benchmarks.measure import clean_output, load_average, run
from benchmarks.scaling import cost_table, costs

OUT = flowlogs.OUT.parent / "flow-variants"
# Python run before the job's main(): one change each.
VARIANTS = {
    "ours": "",
    "wholestage": "import cloudtrail_etl.session as s; s.JOB_SQL_CONF['spark.sql.codegen.wholeStage'] = 'true'",
    "sort2": "import cloudtrail_etl.sources.vpcflow as v; v.VpcFlowLogs.sort_columns = ('action', 'interface_id')",
    # Sort keys that stop at a cheap integer: time within an interface's addresses, or within the interface.
    "sort_src_start": "import cloudtrail_etl.sources.vpcflow as v; "
    "v.VpcFlowLogs.sort_columns = ('action', 'interface_id', 'srcaddr', 'start')",
    "sort_start": "import cloudtrail_etl.sources.vpcflow as v; "
    "v.VpcFlowLogs.sort_columns = ('action', 'interface_id', 'start')",
    # No bloom filters on srcaddr/dstaddr: parquet-mr hashes every value for them, and writes one only for a chunk
    # that is not wholly dictionary-encoded.
    "nobloom": "import cloudtrail_etl.sources.vpcflow as v; v.VpcFlowLogs.bloom_filter_columns = ()",
    # No shuffle: each reading task sorts and writes its own rows (job.py's path for a source without a key).
    "noshuffle": "import cloudtrail_etl.sources.vpcflow as v; v.VpcFlowLogs.distribution_key = lambda self: None",
    "wholestage+noshuffle": "import cloudtrail_etl.session as s; s.JOB_SQL_CONF['spark.sql.codegen.wholeStage'] = "
    "'true'\nimport cloudtrail_etl.sources.vpcflow as v; v.VpcFlowLogs.distribution_key = lambda self: None",
}


def command(variant: str, corpus_root: str, root: str) -> list[str]:
    setup = VARIANTS[variant]
    args = ["run", "--source", "vpcflow", "--input", corpus_root, "--output", root, "--date", DAY.isoformat()]
    code = f"{setup}\nimport sys\nfrom cloudtrail_etl.cli import main\nsys.exit(main({args!r}))"
    return [sys.executable, "-c", code]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.flow_variants")
    parser.add_argument("--scales", default="1,2,4")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--variants", default="ours,wholestage")
    parser.add_argument("--no-queries", action="store_true")
    args = parser.parse_args(argv)
    import os

    env = {**os.environ, "CLOUDTRAIL_ETL_MASTER": "local[2]"}
    variants = args.variants.split(",")
    scales = [int(float(s)) if float(s).is_integer() else float(s) for s in args.scales.split(",")]
    measured: dict[str, dict[float, tuple[float, float]]] = {v: {} for v in variants}
    records: dict[float, int] = {}
    for scale in scales:
        corpus = ensure_flow_corpus(scale)
        records[scale] = corpus.records_in_day
        runs: dict[str, list] = {v: [] for v in variants}
        for i in range(args.rounds):
            order = variants if i % 2 == 0 else list(reversed(variants))
            for variant in order:
                root = OUT / f"{scale:g}x" / variant / "table"
                clean_output(root)
                load = load_average()
                one = run(command(variant, str(corpus.root), str(root)), root.parent / f"run{i + 1}.log", env=env)
                runs[variant].append(one)
                rows = flowlogs.FlowOutcome(variant, [one])
                flowlogs.inspect(rows, root)
                verdict = (
                    "ok" if rows.rows == corpus.records_in_day else f"MISMATCH {rows.rows - corpus.records_in_day:+,}"
                )
                print(
                    f"{scale:g}x round {i + 1} {variant:12s} {one.seconds:7.1f} s {one.cpu_seconds:7.1f} CPU s "
                    f"exit {one.returncode} rows {rows.rows:,} ({verdict}) {rows.output_bytes / 1e6:.1f} MB "
                    f"load before {load}",
                    flush=True,
                )
        for variant in variants:
            good = [m for m in runs[variant] if m.returncode == 0]
            if good:
                measured[variant][scale] = (
                    statistics.median(m.seconds for m in good),
                    statistics.median(m.cpu_seconds for m in good),
                )
        if not args.no_queries:
            for variant in variants:
                for r in flowlogs.run_queries(variant, OUT / f"{scale:g}x" / variant / "table", runs=1):
                    if r.query.target or r.query.name.startswith("one interface"):
                        print(f"{scale:g}x {variant:12s} {r.query.name}: {r.bytes_read / r.day_bytes:.2%} of the day")
    print()
    print(cost_table(costs(measured, records), "ours"))
    print(f"load at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
