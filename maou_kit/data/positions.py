"""Decoding the positions of a games table once, for the stage-2 and stage-3 builders.

Rows holding the same HCP are decoded once; each row gets an index into the
unique positions, whose encodings, legal-move masks and hashes are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from tqdm.auto import tqdm

from maou_kit.schema import HCP
from maou_kit.shogi.encoding import decode_batch
from maou_kit.shogi.legal import masks_from_moves

DECODE_CHUNK = 8192


@dataclass
class UniquePositions:
    """Encoded unique positions of a games table and, per row, which one it holds."""

    boards: np.ndarray  # uint8[P, 9, 9]
    hands: np.ndarray  # uint8[P, 14]
    masks: np.ndarray  # uint8[P, 1496]
    hashes: np.ndarray  # uint64[P]
    white: np.ndarray  # bool[P] White to move
    row_position: np.ndarray  # int64[rows] index into the arrays above


def decode_games_positions(games: pl.DataFrame, progress: bool = True) -> UniquePositions:
    """Decode every distinct HCP of `games` (in chunks, with a progress bar)."""
    indexed = games.select(pl.col(HCP)).with_row_index("row")
    unique = indexed.select(pl.col(HCP)).unique(maintain_order=True).with_row_index("position")
    row_position = (
        indexed.join(unique, on=HCP, how="left").sort("row")["position"].to_numpy().astype(np.int64)
    )
    hcp_bytes = unique[HCP].to_list()
    rows = np.frombuffer(b"".join(hcp_bytes), dtype=np.uint8).reshape(len(hcp_bytes), 32)
    parts = []
    for start in tqdm(
        range(0, len(rows), DECODE_CHUNK), desc="positions", unit="chunk", disable=not progress
    ):
        try:
            batch = decode_batch(rows[start : start + DECODE_CHUNK], with_moves=True)
        except ValueError as error:
            raise ValueError(f"unique position {start}+: {error}") from None
        parts.append(
            (batch.boards, batch.encoded_hands, masks_from_moves(batch), batch.hashes, batch.white)
        )
    if not parts:
        empty = np.zeros(0, dtype=np.uint8)
        return UniquePositions(
            np.zeros((0, 9, 9), np.uint8), np.zeros((0, 14), np.uint8), np.zeros((0, 1496), np.uint8),
            np.zeros(0, np.uint64), empty.astype(bool), row_position,
        )  # fmt: skip
    boards, hands, masks, hashes, white = (
        np.concatenate(columns) for columns in zip(*parts, strict=True)
    )
    return UniquePositions(boards, hands, masks, hashes, white, row_position)
