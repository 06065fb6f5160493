"""Numbered synthetic shards for the streaming tests: every row's hand encodes its global
row number (hand[0] + 256 * hand[1]), so a test can tell which rows a loader yielded."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import polars as pl
from _train_tables import stage2_frame

from maou_kit.data.table_io import write_table
from maou_kit.schema import HAND, HAND_SIZE


def write_numbered_shards(
    directory: Path,
    sizes: Sequence[int],
    frame_maker: Callable[..., pl.DataFrame] = stage2_frame,
    suffixes: Sequence[str] = (".feather",),
) -> list[Path]:
    """One table per size (`part00`, `part01`, ...), rows numbered 0..sum(sizes)-1 in file
    order; the suffixes are used in turn."""
    files, first = [], 0
    for index, rows in enumerate(sizes):
        numbers = np.arange(first, first + rows)
        hands = np.zeros((rows, HAND_SIZE), dtype=np.uint8)
        hands[:, 0], hands[:, 1] = numbers % 256, numbers // 256
        frame = frame_maker(rows, seed=index).with_columns(
            pl.Series(HAND, hands, dtype=pl.Array(pl.UInt8, HAND_SIZE))
        )
        suffix = suffixes[index % len(suffixes)]
        files.append(write_table(frame, directory / f"part{index:02d}{suffix}"))
        first += rows
    return files


def row_numbers(batch) -> list[int]:
    """Global row numbers of a batch `((board, hand), targets)`."""
    hand = batch[0][1].long()
    return (hand[:, 0] + 256 * hand[:, 1]).tolist()
