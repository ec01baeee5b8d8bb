"""The cost of a record at scale (issue 26): a least-squares line through each converter's CPU seconds at the day
sizes measured (1x, 2x, 4x), so that a run's fixed cost (JVM start, planning, listing, the JIT's warm-up) and its
cost per record are told apart.

The slope is the marginal CPU per 1x of records (and per million records of the day); the intercept is the CPU a
run would take with no records, the fixed cost. A single small run hides the slope under the intercept: compare
converters by their slopes. Pure: no I/O, no Spark.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

SECONDS_PER_HOUR = 3600.0
# A Glue DPU is 4 vCPUs and 16 GB (AWS Glue pricing); a DPU-hour is at least a quarter of the CPU-hours it runs.
VCPUS_PER_DPU = 4


@dataclasses.dataclass(frozen=True)
class Line:
    """y = intercept + slope * x, fitted to `points` (x, y) pairs; `residual` is the largest |y - fit| seen."""

    slope: float
    intercept: float
    points: int
    residual: float

    def at(self, x: float) -> float:
        return self.intercept + self.slope * x


def least_squares(points: Sequence[tuple[float, float]]) -> Line | None:
    """The least-squares line through (x, y) points, or None with fewer than two distinct x (no slope to tell).

    With two points it is the line through them; with more, the one that minimises the squared distances."""
    xs = [float(x) for x, _ in points]
    if len(set(xs)) < 2:
        return None
    ys = [float(y) for _, y in points]
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    residual = max(abs(y - (intercept + slope * x)) for x, y in zip(xs, ys))
    return Line(slope, intercept, n, residual)


@dataclasses.dataclass(frozen=True)
class Cost:
    """One converter's cost as the day grows: the CPU line against scale, and the same per million records."""

    name: str
    cpu_by_scale: dict[float, float]  # median CPU s of its runs at each scale
    wall_by_scale: dict[float, float]
    per_1x: Line | None  # CPU s against scale: slope = marginal CPU s per 1x of records, intercept = fixed CPU s
    per_million: Line | None  # CPU s against millions of records in the day: slope = marginal CPU s per million

    @property
    def cpu_hours_per_billion(self) -> float | None:
        """Marginal CPU-hours of a billion records (the fixed cost left out: paid once per run, not per record)."""
        return self.per_million.slope * 1000 / SECONDS_PER_HOUR if self.per_million else None

    @property
    def dpu_hours_per_billion(self) -> float | None:
        """Glue DPU-hours of a billion records if every vCPU of every DPU were busy: a lower bound."""
        hours = self.cpu_hours_per_billion
        return hours / VCPUS_PER_DPU if hours is not None else None


def costs(measured: Mapping[str, Mapping[float, tuple[float, float]]], records: Mapping[float, int]) -> list[Cost]:
    """Each converter's Cost from `measured[name][scale] = (wall s, CPU s)` and the records of the day at each
    scale (what every converter must write), in the order of `measured`. A converter measured at one scale only
    gets no lines."""
    found = []
    for name, by_scale in measured.items():
        scales = sorted(by_scale)
        cpu = {s: by_scale[s][1] for s in scales}
        wall = {s: by_scale[s][0] for s in scales}
        per_1x = least_squares([(s, cpu[s]) for s in scales])
        per_million = least_squares([(records[s] / 1e6, cpu[s]) for s in scales if s in records])
        found.append(Cost(name, cpu, wall, per_1x, per_million))
    return found


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def cost_table(found: Sequence[Cost], reference: str) -> str:
    """A Markdown table: wall / CPU s at each scale, the slope per 1x and per million records, the intercept, and
    each slope as a multiple of `reference`'s (the straightforward job: the issue's targets are such ratios)."""
    scales = sorted({s for c in found for s in c.cpu_by_scale})
    base = next((c for c in found if c.name == reference), None)
    base_slope = base.per_1x.slope if base and base.per_1x else None
    lines = [
        "| converter | "
        + " | ".join(f"{s:g}x wall / CPU s" for s in scales)
        + " | marginal CPU s per 1x (slope) | per M records | fixed CPU s (intercept) | largest residual "
        + f"| slope x {reference} | CPU-h per 1e9 records | Glue DPU-h per 1e9 (lower bound) |",
        "|---|" + "---:|" * len(scales) + "---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in found:
        cells = [f"{c.wall_by_scale[s]:.1f} / {c.cpu_by_scale[s]:.1f}" if s in c.cpu_by_scale else "-" for s in scales]
        ratio = f"{c.per_1x.slope / base_slope:.2f}x" if c.per_1x and base_slope and base_slope > 0 else "-"
        lines.append(
            f"| {c.name} | "
            + " | ".join(cells)
            + f" | {_number(c.per_1x.slope if c.per_1x else None)}"
            + f" | {_number(c.per_million.slope if c.per_million else None, 2)}"
            + f" | {_number(c.per_1x.intercept if c.per_1x else None)}"
            + f" | {_number(c.per_1x.residual if c.per_1x else None)}"
            + f" | {ratio} | {_number(c.cpu_hours_per_billion, 2)} | {_number(c.dpu_hours_per_billion, 2)} |"
        )
    return "\n".join(lines)


def cost_section(
    runs_by_scale: Mapping[float, Sequence],
    records: Mapping[float, int],
    loads: Mapping[float, tuple[str, str]],
    reference: str,
    targets: Sequence[tuple[str, float]],
    unit: str = "records",
) -> list[str]:
    """The results section of the cost at scale: the cost table against `reference`, the load average around each
    scale's runs, and ours' slope against each (converter, target ratio). `runs_by_scale`: each scale's outcomes
    (name, ok, seconds, cpu_seconds); `records`: the day's records (or events) at each scale."""
    measured: dict[str, dict[float, tuple[float, float]]] = {}
    for scale, outcomes in sorted(runs_by_scale.items()):
        for o in outcomes:
            if o.ok:
                measured.setdefault(o.name, {})[scale] = (o.seconds, o.cpu_seconds)
    found = costs(measured, records)
    lines = [
        "### Cost at scale (issue 26)",
        "",
        "Median wall / CPU s at each scale; a least-squares line of CPU s against the scale gives the marginal CPU of "
        f"1x of {unit} (the slope; per million: of the day's {unit}) and the fixed CPU of a run (the intercept: JVM "
        "start, planning, listing, JIT warm-up). The largest residual is the distance of the farthest point from the "
        f"line: the noise, roughly. CPU-hours and Glue DPU-hours per billion {unit} are the slope alone (a DPU is 4 "
        "vCPUs: a lower bound).",
        "",
        cost_table(found, reference),
        "",
        *[f"- Load average (1, 5, 15 min) at {s:g}x: before {a}; after {b}" for s, (a, b) in sorted(loads.items())],
    ]
    by_name = {c.name: c for c in found}
    ours = by_name.get("ours")
    for name, target in targets:
        other = by_name.get(name)
        if ours and other and ours.per_1x and other.per_1x and other.per_1x.slope > 0:
            ratio = ours.per_1x.slope / other.per_1x.slope
            lines.append(
                f"- ours/{name} marginal CPU per {unit[:-1]} {ratio:.2f} (target <= {target}: "
                f"{'met' if ratio <= target else 'NOT met'})"
            )
    return lines
