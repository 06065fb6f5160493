"""Where each stage's rows come from: data paths -> table files -> train/validation split.

The on-disk contract (SPEC section 5, "Split for Stage 3"):

- Stage 1: one table file, or a directory of table files. The whole table is both
  the training set and the evaluation set (the 1,105 patterns are the universe).
- Stages 2 and 3: a directory holding `train*.feather|parquet` and
  `val*.feather|parquet` split files built by game at build time (always used as
  they are). Otherwise the path is split with `test_ratio` and the seed:
  - a directory of 2 or more table files: BY FILE (as many files as
    ceil(n * ratio) become validation), so rows of one file stay on one side;
  - one table file (or a directory holding one): inside the file, BY GAME when it
    has a `gameId` column (rows of one game on both sides would leak the answer),
    else BY ROW;
  - `test_ratio` 0: no split; every file is training data and the gate is judged
    on it (upstream's "train on everything"; Stage 3 refuses it, in `stage_inputs`).

Everything here reads schemas and row counts only (no rows), so the orchestrator
can check every stage's inputs before the first stage trains.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from maou_kit.data.split import split_row_indices
from maou_kit.data.table_io import TABLE_SUFFIXES, read_table, scan_table
from maou_kit.schema import (
    BOARD,
    BOARD_SHAPE,
    GAME_ID,
    HAND,
    HAND_SIZE,
    LEGAL_MOVES,
    MOVE_LABEL,
    MOVE_LABELS_NUM,
    REACHABLE,
    RESULT_VALUE,
)

# Column -> the element shape every row must have. Numeric dtypes are cast on load,
# so only the shape (fixed-size Array of that shape, or a scalar for `()`) is checked.
STAGE1_COLUMN_SHAPES: dict[str, tuple[int, ...]] = {
    BOARD: BOARD_SHAPE,
    HAND: (HAND_SIZE,),
    REACHABLE: BOARD_SHAPE,
}
STAGE2_COLUMN_SHAPES: dict[str, tuple[int, ...]] = {
    BOARD: BOARD_SHAPE,
    HAND: (HAND_SIZE,),
    LEGAL_MOVES: (MOVE_LABELS_NUM,),
}
STAGE3_COLUMN_SHAPES: dict[str, tuple[int, ...]] = {
    BOARD: BOARD_SHAPE,
    HAND: (HAND_SIZE,),
    MOVE_LABEL: (MOVE_LABELS_NUM,),
    RESULT_VALUE: (),
}
# Optional Stage-3 column: when present it provides the legal-move masks for the
# legal-restricted metrics and the legal-masked policy loss.
STAGE3_OPTIONAL_SHAPES: dict[str, tuple[int, ...]] = {LEGAL_MOVES: (MOVE_LABELS_NUM,)}


@dataclass(frozen=True)
class SplitFiles:
    """Train and validation table files of one stage, and how they were separated.

    `method`: "prebuilt" (train*/val* files), "by-file" (test_ratio over files),
    "by-game" / "by-row" (test_ratio inside one file: `train` and `val` are that
    file and `train_index` / `val_index` its rows), or "all-training" (test_ratio 0:
    `val` is the training files themselves).
    """

    train: tuple[Path, ...]
    val: tuple[Path, ...]
    method: str
    train_index: np.ndarray | None = field(default=None, compare=False, repr=False)
    val_index: np.ndarray | None = field(default=None, compare=False, repr=False)
    train_games: int | None = None  # "by-game" only
    val_games: int | None = None


def table_files(path: str | Path) -> list[Path]:
    """`path` itself when it is a table file, else the table files directly inside it, sorted."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if path.is_file():
        if path.suffix not in TABLE_SUFFIXES:
            raise ValueError(f"{path}: not a table file (expected {'/'.join(TABLE_SUFFIXES)})")
        return [path]
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in TABLE_SUFFIXES)
    if not files:
        raise ValueError(f"{path}: directory holds no {'/'.join(TABLE_SUFFIXES)} table files")
    return files


def resolve_split(path: str | Path, test_ratio: float, seed: int) -> SplitFiles:
    """Train/validation split of a Stage-2/3 data path (module docstring: which and how)."""
    path = Path(path)
    files = table_files(path)
    if path.is_dir():
        train = [f for f in files if f.name.startswith("train")]
        val = [f for f in files if f.name.startswith("val")]
        if train and val:
            return SplitFiles(tuple(train), tuple(val), "prebuilt")
        if train or val:
            missing = "val*" if train else "train*"
            raise ValueError(
                f"{path}: has {'train*' if train else 'val*'} files but no {missing} files"
            )
    if test_ratio == 0:
        return SplitFiles(tuple(files), tuple(files), "all-training")
    if len(files) == 1:
        return _split_inside(files[0], test_ratio, seed)
    # Files are shuffled by the run seed, then the first ceil(n * ratio) become validation.
    shuffled = list(files)
    random.Random(seed).shuffle(shuffled)
    val_count = math.ceil(len(shuffled) * test_ratio)
    if val_count >= len(shuffled):
        raise ValueError(
            f"{path}: --test-ratio {test_ratio} of {len(files)} files leaves no training file"
        )
    val_files = sorted(shuffled[:val_count])
    train_files = sorted(shuffled[val_count:])
    return SplitFiles(tuple(train_files), tuple(val_files), "by-file")


def _split_inside(path: Path, test_ratio: float, seed: int) -> SplitFiles:
    """One file's rows split by game (with a `gameId` column), else by row."""
    lazy = scan_table(path)
    try:
        by_game = GAME_ID in lazy.collect_schema()
        if by_game:
            game_ids = lazy.select(pl.col(GAME_ID).cast(pl.String)).collect()[GAME_ID].to_numpy()
            rows = len(game_ids)
        else:
            game_ids, rows = None, int(lazy.select(pl.len()).collect().item())
    except Exception as error:  # polars raises several error types for broken files
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise ValueError(f"{path}: cannot read table ({first_line})") from error
    try:
        train_index, val_index = split_row_indices(game_ids, rows, test_ratio, seed)
    except ValueError as error:
        raise ValueError(f"{path}: --test-ratio {test_ratio}: {error}") from None
    games = (None, None)
    if game_ids is not None:
        games = (len(set(game_ids[train_index])), len(set(game_ids[val_index])))
    method = "by-game" if by_game else "by-row"
    return SplitFiles((path,), (path,), method, train_index, val_index, *games)


def check_table(
    path: Path,
    column_shapes: Mapping[str, tuple[int, ...]],
    optional_shapes: Mapping[str, tuple[int, ...]] | None = None,
) -> int:
    """Check a table's columns and element shapes from its schema; return its row count.

    Raises ValueError naming the file and the column when a column is missing, is not
    a fixed-size array of the expected shape, or when the table has no rows.
    """
    lazy = scan_table(path)
    try:
        schema = lazy.collect_schema()
        rows = int(lazy.select(pl.len()).collect().item())
    except Exception as error:  # polars raises several error types for broken files
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise ValueError(f"{path}: cannot read table ({first_line})") from error
    missing = [name for name in column_shapes if name not in schema]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    expected = dict(column_shapes)
    expected.update({k: v for k, v in (optional_shapes or {}).items() if k in schema})
    for name, shape in expected.items():
        actual = _element_shape(schema[name])
        if actual != shape:
            raise ValueError(
                f"{path}: column {name} has element shape {actual}, expected {shape} "
                f"(dtype {schema[name]})"
            )
    if rows == 0:
        raise ValueError(f"{path}: table has no rows")
    return rows


def read_tables(
    files: Sequence[Path], columns: Sequence[str], rows: np.ndarray | None = None
) -> pl.DataFrame:
    """Read the given columns of several tables and concatenate them in file order;
    `rows` (indices into that concatenation) keeps only those rows, in that order."""
    frames = [read_table(f, columns=columns, required=columns) for f in files]
    frame = frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical_relaxed")
    return frame if rows is None else frame[rows]


def has_column(files: Sequence[Path], name: str) -> bool:
    """True when every one of `files` has column `name` (schema only)."""
    return all(name in scan_table(f).collect_schema() for f in files)


def _element_shape(dtype: pl.DataType) -> tuple[int, ...] | None:
    if isinstance(dtype, pl.Array):
        return tuple(dtype.shape)
    if dtype.is_numeric() or dtype == pl.Boolean:
        return ()
    return None  # List, String, ...: no fixed element shape
