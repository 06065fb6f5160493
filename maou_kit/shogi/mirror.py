"""Left-right mirror of positions and move labels: a symmetry of shogi's rules.

Reflecting every file (`x -> 8 - x`, ranks kept) maps a position to one with the
same legal moves, reflected: moves keep their vertical sense, a move toward file 9
(LEFT) becomes one toward file 1 (RIGHT), knights swap KEIMA_LEFT and KEIMA_RIGHT,
and drops stay drops of the same piece. Hands and the side to move are unchanged.
Rotating the board for White (SPEC section 2) commutes with the reflection, so the
mirror is the same operation in the mover's frame for both colours.

`MIRROR_LABEL[label]` is the label of the reflected move; it is a permutation of
the 1496 labels and its own inverse, so a mask or a policy over labels is mirrored
by indexing with it: `mirrored[..., i] = original[..., MIRROR_LABEL[i]]`.
"""

from __future__ import annotations

import numpy as np

from maou_kit.schema import MOVE_LABELS_NUM
from maou_kit.shogi.labels import BLOCK_STARTS, LABEL_DESTINATION


def _mirrored_block(name: str) -> str:
    """Block name with LEFT and RIGHT swapped (drop blocks and vertical moves unchanged)."""
    return name.replace("LEFT", "\0").replace("RIGHT", "LEFT").replace("\0", "RIGHT")


def _build_mirror_label() -> np.ndarray:
    names = sorted(BLOCK_STARTS, key=BLOCK_STARTS.__getitem__)
    starts = np.array([BLOCK_STARTS[name] for name in names])
    block_of_label = np.searchsorted(starts, np.arange(MOVE_LABELS_NUM), side="right") - 1
    label_of = {
        (names[block], int(dest)): label
        for label, (block, dest) in enumerate(zip(block_of_label, LABEL_DESTINATION, strict=True))
    }
    mirror = np.empty(MOVE_LABELS_NUM, dtype=np.int16)
    for (name, dest), label in label_of.items():
        x, y = divmod(dest, 9)
        # Every block's valid destinations are closed under the reflection with its
        # partner block's, so this lookup never misses (a KeyError would be a table bug).
        mirror[label] = label_of[(_mirrored_block(name), (8 - x) * 9 + y)]
    return mirror


MIRROR_LABEL: np.ndarray = _build_mirror_label()
"""int16[1496]: label of the left-right reflected move; an involution."""

MIRROR_SQUARE: np.ndarray = np.array([(8 - sq // 9) * 9 + sq % 9 for sq in range(81)], np.int16)
"""int16[81]: square `x * 9 + y` -> `(8 - x) * 9 + y`."""


def mirror_boards(boards: np.ndarray) -> np.ndarray:
    """Boards `[..., rank, file]` (uint8 (..., 9, 9)) with the files reversed."""
    return np.ascontiguousarray(np.asarray(boards)[..., ::-1])


def mirror_labels(values: np.ndarray) -> np.ndarray:
    """A mask, policy or any per-label array (last axis 1496) of the mirrored positions."""
    values = np.asarray(values)
    if values.shape[-1] != MOVE_LABELS_NUM:
        raise ValueError(f"last axis must have {MOVE_LABELS_NUM} labels, got {values.shape}")
    return values[..., MIRROR_LABEL]


def mirror_sfen(sfen: str) -> str:
    """The SFEN of the left-right reflected position (each rank's files reversed)."""
    fields = sfen.split(" ")
    ranks = []
    for rank in fields[0].split("/"):
        tokens: list[str] = []
        for char in rank:
            if tokens and tokens[-1] == "+":
                tokens[-1] += char  # a promoted piece is one token: "+P"
            else:
                tokens.append(char)
        ranks.append("".join(reversed(tokens)))
    return " ".join(["/".join(ranks), *fields[1:]])
