"""The bench's slope and intercept (benchmarks/scaling.py): pure arithmetic, no Spark."""

from __future__ import annotations

import pytest

from benchmarks.scaling import cost_table, costs, least_squares


def test_two_points_give_the_line_through_them():
    line = least_squares([(1, 45.6), (4, 89.6)])
    assert line.slope == pytest.approx(44.0 / 3)
    assert line.intercept == pytest.approx(45.6 - 44.0 / 3)
    assert line.residual == pytest.approx(0)
    assert line.at(4) == pytest.approx(89.6)


def test_three_points_least_squares():
    # y = 10 + 5x exactly, then one point off by +3: the fit moves, the residual says by how much.
    assert least_squares([(1, 15), (2, 20), (4, 30)]).slope == pytest.approx(5)
    line = least_squares([(1, 15), (2, 23), (4, 30)])
    # Closed form: mean x 7/3, mean y 68/3; sxx = 14/3, sxy = 67/3 -> slope 67/14, intercept 68/3 - 67/6 = 11.5.
    assert line.slope == pytest.approx(67 / 14)
    assert line.intercept == pytest.approx(11.5)
    assert line.points == 3
    assert line.residual == pytest.approx(max(abs(y - (11.5 + 67 / 14 * x)) for x, y in ((1, 15), (2, 23), (4, 30))))


def test_no_slope_without_two_distinct_sizes():
    assert least_squares([]) is None
    assert least_squares([(1, 40)]) is None
    assert least_squares([(1, 40), (1, 42)]) is None


def test_costs_per_1x_and_per_million_records():
    measured = {
        "ours": {1: (26.0, 45.6), 2: (35.0, 60.0), 4: (51.1, 89.6)},
        "spark": {1: (38.2, 70.0), 4: (46.2, 84.0)},
        "once": {1: (10.0, 20.0)},
    }
    records = {1: 576_000, 2: 1_152_000, 4: 2_304_000}
    ours, spark, once = costs(measured, records)
    assert ours.per_1x.points == 3
    # Records proportional to scale: the slope per million is the slope per 1x over the 1x day's millions.
    assert ours.per_million.slope == pytest.approx(ours.per_1x.slope / 0.576)
    assert ours.per_million.intercept == pytest.approx(ours.per_1x.intercept)
    assert spark.per_1x.slope == pytest.approx(14.0 / 3)
    assert once.per_1x is None and once.cpu_hours_per_billion is None
    assert spark.cpu_hours_per_billion == pytest.approx(spark.per_million.slope * 1000 / 3600)
    assert spark.dpu_hours_per_billion == pytest.approx(spark.cpu_hours_per_billion / 4)
    table = cost_table([ours, spark, once], "spark")
    lines = table.splitlines()
    assert len(lines) == 5
    assert "1x wall / CPU s | 2x wall / CPU s | 4x wall / CPU s" in lines[0]
    assert lines[2].startswith("| ours | 26.0 / 45.6 | 35.0 / 60.0 | 51.1 / 89.6 |")
    assert f"{ours.per_1x.slope / spark.per_1x.slope:.2f}x" in lines[2]
    assert "| 1.00x |" in lines[3] and "| - |" in lines[3]  # spark has no 2x run
    assert lines[4].count("| - ") >= 6  # one scale: no slope, no intercept, no ratio


def test_the_cost_section_names_each_slope_target_met_or_not():
    import types

    from benchmarks.scaling import cost_section

    def run(name: str, cpu: float) -> types.SimpleNamespace:
        return types.SimpleNamespace(name=name, ok=True, seconds=cpu / 2, cpu_seconds=cpu)

    # ours: 30 + 10 per 1x; spark: 40 + 5 per 1x (slope ratio 2.0); blog: 20 + 8 per 1x (ratio 1.25).
    by_scale = {s: [run("ours", 30 + 10 * s), run("spark", 40 + 5 * s), run("blog", 20 + 8 * s)] for s in (1, 2, 4)}
    lines = cost_section(
        by_scale, {1: 1_000_000, 2: 2_000_000, 4: 4_000_000}, {}, "spark", [("spark", 1.5), ("blog", 1.3)]
    )
    assert "- ours/spark marginal CPU per record 2.00 (target <= 1.5: NOT met)" in lines
    assert "- ours/blog marginal CPU per record 1.25 (target <= 1.3: met)" in lines
