"""Train/validation splits by game, seeded, so rows of one game never sit on both sides."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def split_game_ids(
    game_ids: Iterable[str], test_ratio: float, seed: int
) -> tuple[set[str], set[str]]:
    """(train ids, validation ids) from a seeded shuffle of the distinct game ids.

    At least one game lands on each side when `test_ratio` is in (0, 1); the split
    depends only on the set of ids, the ratio and the seed, not on row order.
    """
    if not 0.0 <= test_ratio < 1.0:
        raise ValueError(f"test ratio must be in [0, 1), got {test_ratio}")
    unique = sorted(set(game_ids))
    if test_ratio == 0.0:
        return set(unique), set()
    if len(unique) < 2:
        raise ValueError(
            f"cannot split {len(unique)} game(s) into train and validation; "
            "give more games or --test-ratio 0"
        )
    order = np.random.default_rng(seed).permutation(len(unique))
    val_count = min(max(1, math.ceil(test_ratio * len(unique))), len(unique) - 1)
    val = {unique[i] for i in order[:val_count]}
    return set(unique) - val, val


def split_row_indices(
    game_ids: np.ndarray | None, rows: int, test_ratio: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(train row indices, validation row indices) of one table, each sorted.

    With `game_ids` (one per row) whole games go to one side (`split_game_ids`);
    without, rows are shuffled by the seed and ceil(rows * ratio) become validation
    (at least one row on each side). `test_ratio` must be in (0, 1).
    """
    if not 0.0 < test_ratio < 1.0:
        raise ValueError(f"test ratio must be in (0, 1) to split a table, got {test_ratio}")
    if game_ids is not None:
        ids = np.asarray(game_ids).astype(str)
        _, val_games = split_game_ids(ids.tolist(), test_ratio, seed)
        in_val = np.isin(ids, np.array(sorted(val_games), dtype=ids.dtype))
        return np.flatnonzero(~in_val), np.flatnonzero(in_val)
    if rows < 2:
        raise ValueError(f"cannot split {rows} row(s) into train and validation")
    order = np.random.default_rng(seed).permutation(rows)
    val_count = min(max(1, math.ceil(test_ratio * rows)), rows - 1)
    return np.sort(order[val_count:]), np.sort(order[:val_count])
