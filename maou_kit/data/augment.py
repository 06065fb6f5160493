"""Random left-right mirroring of training batches (a symmetry of shogi's rules).

`mirror_random_rows` reflects a random half of a batch's rows: boards get their
files reversed, per-label targets (legal-move masks, policies; 1496 wide) are
permuted by `MIRROR_LABEL`, per-square targets (81 wide, row-major) get their
files reversed, and scalar targets (the value) and hands are unchanged. See
`maou_kit.shogi.mirror` for why this is exact.

The coin flips come from torch's global generator, which `seed_everything` seeds
in the main process and the DataLoader re-seeds per worker, so runs stay
reproducible and workers do not repeat each other's flips. Only training sets
are augmented: the evaluation split must stay the positions it names.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from maou_kit.schema import BOARD_SHAPE, MOVE_LABELS_NUM
from maou_kit.shogi.mirror import MIRROR_LABEL

_MIRROR_LABEL_INDEX = torch.from_numpy(MIRROR_LABEL.astype(np.int64))
_NUM_SQUARES = BOARD_SHAPE[0] * BOARD_SHAPE[1]


def mirror_targets(targets: Tensor) -> Tensor:
    """Mirror a batch of targets by width: 1496 labels, 81 squares; others are returned as is."""
    if targets.ndim == 2 and targets.shape[1] == MOVE_LABELS_NUM:
        return targets[:, _MIRROR_LABEL_INDEX]
    if targets.ndim == 2 and targets.shape[1] == _NUM_SQUARES:
        return targets.reshape(-1, *BOARD_SHAPE).flip(-1).reshape(-1, _NUM_SQUARES)
    return targets


def mirror_random_rows(
    inputs: tuple[Tensor, Tensor], targets: Any, probability: float = 0.5
) -> tuple[tuple[Tensor, Tensor], Any]:
    """((board, hand), targets) with each row reflected with `probability`, in place.

    The tensors must be fresh copies (the datasets' fancy indexing makes them), as
    the reflected rows are written back into them.
    """
    board, hand = inputs
    flip = torch.rand(len(board)) < probability
    if not bool(flip.any()):
        return inputs, targets
    board[flip] = board[flip].flip(-1)
    if isinstance(targets, dict):
        for value in targets.values():
            value[flip] = mirror_targets(value[flip])
    else:
        targets[flip] = mirror_targets(targets[flip])
    return (board, hand), targets
