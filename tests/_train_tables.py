"""Synthetic stage tables for the training tests: random positions and sparse targets.

The positions are not legal shogi positions; the training code never needs them to
be, except where legal masks are computed from the positions (tests give masks).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from maou_kit.data.table_io import write_table
from maou_kit.schema import (
    BOARD,
    HAND,
    ID,
    LEGAL_MOVES,
    MOVE_LABEL,
    MOVE_LABELS_NUM,
    REACHABLE,
    RESULT_VALUE,
)


def positions(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    boards = np.where(rng.random((rows, 9, 9)) < 0.3, rng.integers(1, 29, (rows, 9, 9)), 0)
    hands = rng.integers(0, 3, (rows, 14))
    return boards.astype(np.uint8), hands.astype(np.uint8)


def _frame(boards: np.ndarray, hands: np.ndarray, **columns: pl.Series) -> pl.DataFrame:
    rows = len(boards)
    return pl.DataFrame(
        {
            ID: pl.Series(ID, np.arange(rows, dtype=np.uint64)),
            BOARD: pl.Series(BOARD, boards, dtype=pl.Array(pl.UInt8, (9, 9))),
            HAND: pl.Series(HAND, hands, dtype=pl.Array(pl.UInt8, 14)),
            **columns,
        }
    )


def stage1_frame(rows: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    boards, hands = positions(rng, rows)
    reachable = (rng.random((rows, 9, 9)) < 0.1).astype(np.uint8)
    return _frame(
        boards,
        hands,
        **{REACHABLE: pl.Series(REACHABLE, reachable, dtype=pl.Array(pl.UInt8, (9, 9)))},
    )


def stage2_frame(rows: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    boards, hands = positions(rng, rows)
    legal = (rng.random((rows, MOVE_LABELS_NUM)) < 0.03).astype(np.uint8)
    return _frame(
        boards,
        hands,
        **{LEGAL_MOVES: pl.Series(LEGAL_MOVES, legal, dtype=pl.Array(pl.UInt8, MOVE_LABELS_NUM))},
    )


def stage3_frame(
    rows: int, seed: int = 0, with_legal: bool = True, empty_rows: int = 0
) -> pl.DataFrame:
    """Policy targets put all mass on one legal label (the first `empty_rows` rows have none)."""
    rng = np.random.default_rng(seed)
    boards, hands = positions(rng, rows)
    legal = (rng.random((rows, MOVE_LABELS_NUM)) < 0.03).astype(np.uint8)
    legal[:, 7] = 1
    policy = np.zeros((rows, MOVE_LABELS_NUM), dtype=np.float32)
    for row in range(empty_rows, rows):
        policy[row, rng.choice(np.flatnonzero(legal[row]))] = 1.0
    values = rng.choice(np.array([0.0, 0.5, 1.0], dtype=np.float32), rows)
    columns = {
        MOVE_LABEL: pl.Series(MOVE_LABEL, policy, dtype=pl.Array(pl.Float32, MOVE_LABELS_NUM)),
        RESULT_VALUE: pl.Series(RESULT_VALUE, values, dtype=pl.Float32),
    }
    if with_legal:
        columns[LEGAL_MOVES] = pl.Series(
            LEGAL_MOVES, legal, dtype=pl.Array(pl.UInt8, MOVE_LABELS_NUM)
        )
    return _frame(boards, hands, **columns)


def write_split(directory: Path, frame_maker, train_rows: int, val_rows: int) -> Path:
    """`directory/train.feather` and `directory/val.feather` from `frame_maker(rows, seed)`."""
    write_table(frame_maker(train_rows, seed=1), directory / "train.feather")
    write_table(frame_maker(val_rows, seed=2), directory / "val.feather")
    return directory


def tiny_backbone(arch: str = "mlp-mixer"):
    """The smallest backbone of `arch` (mlp-mixer and vit have no batch statistics)."""
    from maou_kit.model import build_backbone

    return build_backbone(arch, "tiny")
