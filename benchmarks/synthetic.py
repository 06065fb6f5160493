"""Seeded synthetic stage data for the benchmarks: random positions and sparse targets.

The positions are not legal shogi positions; throughput of the training and data code
does not depend on that (no row computes legal moves from its position).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import polars as pl

from maou_kit.data.table_io import write_table
from maou_kit.schema import BOARD, HAND, HAND_SIZE, ID, MOVE_LABEL, MOVE_LABELS_NUM, RESULT_VALUE


def positions(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Boards uint8 (rows, 9, 9) about 30% occupied by piece ids 1..28, hands uint8 (rows, 14)."""
    rng = np.random.default_rng(seed)
    boards = np.where(rng.random((rows, 9, 9)) < 0.3, rng.integers(1, 29, (rows, 9, 9)), 0)
    hands = rng.integers(0, 3, (rows, HAND_SIZE))
    return boards.astype(np.uint8), hands.astype(np.uint8)


def legal_masks(rows: int, seed: int) -> np.ndarray:
    """uint8 (rows, 1496) with about 3.5% ones (~53 of 1496, the real average)."""
    rng = np.random.default_rng(seed)
    return (rng.random((rows, MOVE_LABELS_NUM)) < 0.035).astype(np.uint8)


def policy_and_value(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Policy float32 (rows, 1496) with all mass on one label; values in {0, 0.5, 1}."""
    rng = np.random.default_rng(seed)
    policy = np.zeros((rows, MOVE_LABELS_NUM), dtype=np.float32)
    policy[np.arange(rows), rng.integers(0, MOVE_LABELS_NUM, rows)] = 1.0
    values = rng.choice(np.array([0.0, 0.5, 1.0], dtype=np.float32), rows)
    return policy, values


def stage3_frame(rows: int, seed: int) -> pl.DataFrame:
    """A Stage-3 table (id, board, hand, 1496-wide moveLabel, resultValue)."""
    boards, hands = positions(rows, seed)
    policy, values = policy_and_value(rows, seed + 1)
    return pl.DataFrame(
        {
            ID: pl.Series(ID, np.arange(rows, dtype=np.uint64)),
            BOARD: pl.Series(BOARD, boards, dtype=pl.Array(pl.UInt8, (9, 9))),
            HAND: pl.Series(HAND, hands, dtype=pl.Array(pl.UInt8, HAND_SIZE)),
            MOVE_LABEL: pl.Series(MOVE_LABEL, policy, dtype=pl.Array(pl.Float32, MOVE_LABELS_NUM)),
            RESULT_VALUE: pl.Series(RESULT_VALUE, values, dtype=pl.Float32),
        }
    )


def stage3_shards(directory: Path, shards: int, rows_per_shard: int, seed: int = 0) -> list[Path]:
    """`shards` Stage-3 feather files (LZ4, as upstream) of `rows_per_shard` rows each.

    One shard is generated and the others are hard links (copies where links fail) of it:
    readers cannot tell, and writing 8M rows of 1496 floats stays cheap.
    """
    directory.mkdir(parents=True, exist_ok=True)
    first = write_table(stage3_frame(rows_per_shard, seed), directory / "shard_00000.feather")
    files = [first]
    for index in range(1, shards):
        path = directory / f"shard_{index:05d}.feather"
        try:
            os.link(first, path)
        except OSError:
            shutil.copyfile(first, path)
        files.append(path)
    return files
