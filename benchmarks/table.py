"""The verdict of a row against its goal, and the plain-text table the runner prints.

Goal forms (the README lists which row uses which):
- `>= 0.5x`, `<= 1.1x`: the ratio value / anchor value;
- `<= 60 s`: the value itself, in the row's unit;
- `<= +10 s`: the value minus the anchor value;
- `report` (or empty): measured and shown, not judged.
"""

from __future__ import annotations

import math
import re

from benchmarks.measure import Row

_GOAL = re.compile(r"^(>=|<=)\s*(\+)?([0-9.]+)\s*(x)?")
COLUMNS = ("figure", "value", "unit", "anchor", "anchor value", "ratio", "goal", "met?", "spread")


def judge(row: Row) -> str:
    """ "yes", "NO", "report", or the row's status when it could not be judged."""
    if row.status.startswith("not available"):
        return row.status
    verdict = _verdict(row)
    return f"{verdict} ({row.status})" if row.status else verdict


def _verdict(row: Row) -> str:
    match = _GOAL.match(row.goal.strip())
    if match is None:
        return "report"
    if not math.isfinite(row.value):
        return "NO"
    comparison, relative, bound, times = match.groups()
    if times:
        subject = row.ratio
    elif relative:
        subject = None if row.anchor_value is None else row.value - row.anchor_value
    else:
        subject = row.value
    if subject is None:
        return "report"
    passed = subject >= float(bound) if comparison == ">=" else subject <= float(bound)
    return "yes" if passed else "NO"


def _number(value: float | None) -> str:
    if value is None:
        return ""
    if not math.isfinite(value):
        return "nan"
    return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.3e}"


def cells(row: Row) -> tuple[str, ...]:
    ratio = row.ratio
    return (
        row.figure,
        _number(row.value),
        row.unit,
        row.anchor,
        _number(row.anchor_value),
        "" if ratio is None else f"{ratio:.3g}x",
        row.goal,
        judge(row),
        row.spread,
    )


def format_table(rows: list[Row]) -> str:
    """Rows as aligned text columns under a header line."""
    table = [COLUMNS, *(cells(row) for row in rows)]
    widths = [max(len(line[column]) for line in table) for column in range(len(COLUMNS))]
    lines = [
        " | ".join(text.ljust(width) for text, width in zip(line, widths, strict=True))
        for line in table
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
