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
