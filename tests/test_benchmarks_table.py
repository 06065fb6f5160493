"""Benchmark rows: the ratio to the anchor, the verdict against each goal form, the table."""

from __future__ import annotations

from benchmarks.measure import Row, not_available
from benchmarks.table import COLUMNS, format_table, judge


def test_ratio_is_value_over_anchor_value():
    assert Row("f", 30.0, "rows/s", anchor_value=60.0).ratio == 0.5


def test_ratio_is_none_without_an_anchor():
    assert (
        Row("f", 30.0, "rows/s").ratio is None and Row("f", 1.0, "s", anchor_value=0).ratio is None
    )


def test_ratio_goal_is_judged_on_the_ratio():
    assert judge(Row("f", 49.0, "rows/s", anchor_value=100.0, goal=">= 0.5x")) == "NO"
    assert judge(Row("f", 50.0, "rows/s", anchor_value=100.0, goal=">= 0.5x")) == "yes"


def test_absolute_goal_is_judged_on_the_value():
    assert judge(Row("f", 61.0, "s", goal="<= 60 s")) == "NO"
    assert judge(Row("f", 59.0, "s", goal="<= 60 s")) == "yes"


def test_relative_goal_is_judged_on_the_difference_to_the_anchor():
    assert judge(Row("f", 25.0, "s", anchor_value=14.0, goal="<= +10 s")) == "NO"
    assert judge(Row("f", 23.0, "s", anchor_value=14.0, goal="<= +10 s")) == "yes"


def test_report_goal_and_status_are_shown_not_judged():
    assert judge(Row("f", 1.0, "s", goal="report")) == "report"
    missed = Row("f", 5.0, "s", goal="<= 60 s", status="gate missed: f1 0.9 < 0.95")
    assert judge(missed) == "yes (gate missed: f1 0.9 < 0.95)"


def test_unavailable_row_shows_its_reason():
    row = not_available("streaming", "rows/s", "module missing", ">= 0.5x")
    assert judge(row) == "not available: module missing"


def test_table_has_a_header_and_one_aligned_line_per_row():
    rows = [
        Row("stage 1 loop", 120.0, "samples/s", "plain loop", 100.0, ">= 0.95x", "110..130 (n=3)"),
        Row("peak RSS", 800.0, "MiB", "small corpus", 790.0, "<= 1.1x"),
    ]
    lines = format_table(rows).splitlines()
    assert lines[0].split(" | ")[0].strip() == COLUMNS[0] and len(lines) == 4
    assert "1.2x" in lines[2] and "yes" in lines[2] and "110..130 (n=3)" in lines[2]
    assert len({line.index("|") for line in (lines[0], lines[2], lines[3])}) == 1
