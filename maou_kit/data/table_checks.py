"""Everything a stage table must satisfy before a run starts, one file at a time.

`check_stage_table` refuses a file with a one-line ValueError (FileNotFoundError for a
missing file) that names the file and the problem. In order:

1. `maou_kit.data.sources.check_table`, from the file's metadata only: the file
   exists, is not zero bytes, opens (a truncated .feather or .parquet has no footer),
   has the stage's columns with the right element shapes (`boardIdPositions` 9x9,
   `moveLabel` 1496, ...; a variable-length list is refused) and at least one row.
2. Element dtypes, from the schema only: positions and hands hold integers, masks
   integers or booleans, float targets numbers. Numbers of another width are cast on
   load (a float64 `moveLabel` is fine); strings, floats for piece ids and the like
   are not.
3. Finite float targets (Stage 3 `moveLabel` and `resultValue`): no NaN, inf or null,
   which would turn the loss into NaN mid-run.
4. Target ranges: Stage 3 `resultValue` is the mover's mean outcome, in [0, 1]; a value
   outside trains silently to a negative loss, so it is refused.

Cost of step 3: one lazy polars query per file reads just those target columns and
reduces each to one number (its count of bad values; a second query finds the first
bad row only when there is one), so a corpus of many shards is never in memory at once. Peak memory is about one file's
target columns decoded: `moveLabel` is 1496 float32 = 6 KB per row, ~240 MB for a
40,000-row shard (the streaming loader's bound is also one file). Time is one decode
of those columns: on a 2-core CPU about 0.25 s per 40,000 rows for LZ4 .feather and
0.6 s for zstd .parquet, i.e. some 5-15 s per million Stage-3 rows before the first
stage starts. Stages 1-2 have integer targets only, so step 3 reads nothing there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import polars as pl

from maou_kit.data.sources import (
    STAGE1_COLUMN_SHAPES,
    STAGE2_COLUMN_SHAPES,
    STAGE3_COLUMN_SHAPES,
    STAGE3_OPTIONAL_SHAPES,
    check_table,
)
from maou_kit.data.table_io import first_error_line, scan_table
from maou_kit.schema import (
    BOARD,
    HAND,
    LEGAL_MOVES,
    MOVE_LABEL,
    REACHABLE,
    RESULT_VALUE,
)

STAGE_COLUMN_SHAPES: dict[int, dict[str, tuple[int, ...]]] = {
    1: STAGE1_COLUMN_SHAPES,
    2: STAGE2_COLUMN_SHAPES,
    3: STAGE3_COLUMN_SHAPES,
}
STAGE_OPTIONAL_SHAPES: dict[int, dict[str, tuple[int, ...]]] = {3: STAGE3_OPTIONAL_SHAPES}
# Float targets a stage trains on: each must be finite in every row.
STAGE_FLOAT_TARGETS: dict[int, tuple[str, ...]] = {1: (), 2: (), 3: (MOVE_LABEL, RESULT_VALUE)}

# Targets with a bounded range: column -> (low, high), both included.
STAGE_TARGET_RANGES: dict[int, dict[str, tuple[float, float]]] = {3: {RESULT_VALUE: (0.0, 1.0)}}

_INTEGERS = "integers"
_MASK_VALUES = "integers or booleans"
_NUMBERS = "numbers"
# What the innermost element of each column may be (see the module docstring, step 2).
COLUMN_ELEMENT_KINDS: dict[str, str] = {
    BOARD: _INTEGERS,
    HAND: _INTEGERS,
    REACHABLE: _MASK_VALUES,
    LEGAL_MOVES: _MASK_VALUES,
    MOVE_LABEL: _NUMBERS,
    RESULT_VALUE: _NUMBERS,
}


def check_stage_table(path: Path, stage: int) -> int:
    """Check one table file of `stage` (steps 1-3 of the module docstring); return its rows."""
    if stage not in STAGE_COLUMN_SHAPES:
        raise ValueError(f"unknown stage {stage}; stages are 1, 2 and 3")
    optional = STAGE_OPTIONAL_SHAPES.get(stage)
    rows = check_table(path, STAGE_COLUMN_SHAPES[stage], optional)
    schema = scan_table(path).collect_schema()
    present = [name for name in (*STAGE_COLUMN_SHAPES[stage], *(optional or {})) if name in schema]
    check_element_dtypes(path, schema, present)
    check_finite_targets(path, STAGE_FLOAT_TARGETS[stage])
    check_target_ranges(path, STAGE_TARGET_RANGES.get(stage, {}))
    return rows


def check_stage_tables(files: Iterable[Path], stage: int) -> int:
    """`check_stage_table` over several files, one file at a time; returns the total rows."""
    return sum(check_stage_table(path, stage) for path in files)


def check_element_dtypes(
    path: Path, schema: Mapping[str, pl.DataType], columns: Iterable[str]
) -> None:
    """Refuse a column whose innermost element type is not what `COLUMN_ELEMENT_KINDS` allows."""
    for name in columns:
        kind = COLUMN_ELEMENT_KINDS.get(name)
        if kind is None:
            continue
        element = _innermost(schema[name])
        if not _is_kind(element, kind):
            raise ValueError(
                f"{path}: column {name} holds {element} values, expected {kind} "
                f"(dtype {schema[name]})"
            )


def check_finite_targets(path: Path, columns: Iterable[str]) -> None:
    """Refuse NaN, inf or null anywhere in the given numeric columns (one lazy query per file;
    a second one, on that column only, finds the first bad row when there is one)."""
    columns = list(columns)
    if not columns:
        return
    lazy = scan_table(path)
    schema = lazy.collect_schema()
    counts = _collect(
        path, columns, lazy.select(_non_finite(name, schema).sum() for name in columns)
    )
    for name, count in zip(columns, counts, strict=True):
        if count:
            first = _collect(
                path, [name], lazy.select(_non_finite(name, schema).arg_true().first())
            )
            row = int(first[0]) // _elements_per_row(schema[name])
            raise ValueError(
                f"{path}: column {name} holds {count} NaN, inf or null value(s), first in row "
                f"{row}; targets must be finite"
            )


def check_target_ranges(path: Path, ranges: Mapping[str, tuple[float, float]]) -> None:
    """Refuse a value outside its column's [low, high] (one lazy query per file)."""
    if not ranges:
        return
    lazy = scan_table(path)
    names = list(ranges)
    outside = [~pl.col(name).is_between(*ranges[name]) for name in names]
    counts = _collect(path, names, lazy.select(test.sum() for test in outside))
    for name, test, count in zip(names, outside, counts, strict=True):
        if count:
            row, value = _collect(
                path, [name], lazy.with_row_index("_row").filter(test).select("_row", name).head(1)
            )
            low, high = ranges[name]
            raise ValueError(
                f"{path}: column {name} holds {count} value(s) outside [{low:g}, {high:g}], "
                f"first {value:g} in row {row}; rebuild the table with maou-kit build-stage3"
            )


def _non_finite(name: str, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """True for every element of the column that is NaN, inf or null (arrays are flattened)."""
    flat = pl.col(name).reshape((-1,)) if isinstance(schema[name], pl.Array) else pl.col(name)
    return flat.is_finite().fill_null(False).not_()


def _collect(path: Path, columns: list[str], query: pl.LazyFrame) -> tuple:
    try:
        # The streaming engine lets polars work through a file's record batches in
        # pieces where it can; a file's decoded columns are the most it holds.
        return query.collect(engine="streaming").row(0)
    except Exception as error:  # polars raises several error types for broken files
        raise ValueError(
            f"{path}: cannot read column(s) {', '.join(columns)} ({first_error_line(error)})"
        ) from error


def _innermost(dtype: pl.DataType) -> pl.DataType:
    while isinstance(dtype, pl.Array | pl.List):
        dtype = dtype.inner
    return dtype


def _is_kind(element: pl.DataType, kind: str) -> bool:
    if kind == _INTEGERS:
        return element.is_integer()
    if kind == _MASK_VALUES:
        return element.is_integer() or element == pl.Boolean
    return element.is_integer() or element.is_float()


def _elements_per_row(dtype: pl.DataType) -> int:
    count = 1
    for size in dtype.shape if isinstance(dtype, pl.Array) else ():
        count *= size
    return count
