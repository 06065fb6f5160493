"""Stage 1 patterns (SPEC section 4): one mover's piece on an empty board, or one piece in hand.

Targets come from the movement rules written out here, not from cshogi, so they
serve as an independent check of the rules engine: a board piece reaches the
squares its movement rule allows on an empty board (sliders to the edge); a hand
piece reaches the squares it may be dropped on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from maou_kit.schema import BOARD, HAND, ID, REACHABLE

if TYPE_CHECKING:
    import polars as pl

# (dx, dy) steps in the mover's frame: dy < 0 is up (toward rank a), dx > 0 toward file 9.
_GOLD_STEPS = ((0, -1), (1, -1), (-1, -1), (1, 0), (-1, 0), (0, 1))
_KING_STEPS = tuple((dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if (dx, dy) != (0, 0))
_DIAGONALS = ((1, -1), (-1, -1), (1, 1), (-1, 1))
_ORTHOGONALS = ((0, -1), (0, 1), (1, 0), (-1, 0))

# piece id -> (single steps, sliding directions)
MOVEMENT: dict[int, tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]] = {
    1: (((0, -1),), ()),  # FU
    2: ((), ((0, -1),)),  # KY
    3: (((1, -2), (-1, -2)), ()),  # KE
    4: (((0, -1), (1, -1), (-1, -1), (1, 1), (-1, 1)), ()),  # GI
    5: (_GOLD_STEPS, ()),  # KI
    6: ((), _DIAGONALS),  # KA
    7: ((), _ORTHOGONALS),  # HI
    8: (_KING_STEPS, ()),  # OU
    9: (_GOLD_STEPS, ()),  # TO
    10: (_GOLD_STEPS, ()),  # NKY
    11: (_GOLD_STEPS, ()),  # NKE
    12: (_GOLD_STEPS, ()),  # NGI
    13: (_ORTHOGONALS, _DIAGONALS),  # UMA
    14: (_DIAGONALS, _ORTHOGONALS),  # RYU
}
# Lowest rank index a piece may stand on (it must still be able to move).
_MIN_ROW = {1: 1, 2: 1, 3: 2}
# Hand order FU KY KE GI KI KA HI; lowest rank index a drop may land on.
_DROP_MIN_ROW = (1, 1, 2, 0, 0, 0, 0)


def reachable_squares(piece_id: int, x: int, y: int) -> np.ndarray:
    """uint8[9, 9] ([rank][file]) of the squares piece `piece_id` on (x, y) reaches on an empty board."""
    steps, slides = MOVEMENT[piece_id]
    target = np.zeros((9, 9), dtype=np.uint8)
    for dx, dy in steps:
        if 0 <= x + dx < 9 and 0 <= y + dy < 9:
            target[y + dy, x + dx] = 1
    for dx, dy in slides:
        tx, ty = x + dx, y + dy
        while 0 <= tx < 9 and 0 <= ty < 9:
            target[ty, tx] = 1
            tx, ty = tx + dx, ty + dy
    return target


def stage1_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(boards uint8[1105, 9, 9], hands uint8[1105, 14], targets uint8[1105, 9, 9])."""
    boards, hands, targets = [], [], []
    for piece_id in MOVEMENT:
        for y in range(_MIN_ROW.get(piece_id, 0), 9):
            for x in range(9):
                board = np.zeros((9, 9), dtype=np.uint8)
                board[y, x] = piece_id
                boards.append(board)
                hands.append(np.zeros(14, dtype=np.uint8))
                targets.append(reachable_squares(piece_id, x, y))
    for hand_index, min_row in enumerate(_DROP_MIN_ROW):
        hand = np.zeros(14, dtype=np.uint8)
        hand[hand_index] = 1
        target = np.zeros((9, 9), dtype=np.uint8)
        target[min_row:, :] = 1
        boards.append(np.zeros((9, 9), dtype=np.uint8))
        hands.append(hand)
        targets.append(target)
    return np.stack(boards), np.stack(hands), np.stack(targets)


def stage1_patterns() -> pl.DataFrame:
    """The 1,105 stage-1 rows with the stage-1 table schema (SPEC section 5)."""
    # Imported here: `maou_kit.shogi` is imported by every record-conversion worker,
    # which has no use for polars' start-up time.
    import polars as pl

    boards, hands, targets = stage1_arrays()
    return pl.DataFrame(
        {
            ID: pl.Series(ID, np.arange(len(boards), dtype=np.uint64)),
            BOARD: pl.Series(BOARD, boards, dtype=pl.Array(pl.UInt8, (9, 9))),
            HAND: pl.Series(HAND, hands, dtype=pl.Array(pl.UInt8, 14)),
            REACHABLE: pl.Series(REACHABLE, targets, dtype=pl.Array(pl.UInt8, (9, 9))),
        }
    )
