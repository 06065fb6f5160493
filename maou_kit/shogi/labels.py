"""The 1496 move labels (SPEC section 3): lookup tables from (origin, destination, promotion) to label.

Labels live in the mover's frame: for White both squares are rotated `sq -> 80 - sq`
before the lookup, so "up" is always toward rank a. Squares use cshogi's numbering
`sq = x * 9 + y` (x = file index, 0 = file 1; y = rank index, 0 = rank a).

The tables are built once at import from the block definitions; `MOVE_TABLE` is
indexed by cshogi's origin field (0..80 a square, 81..87 a drop; cshogi orders
dropped pieces FU KY KE GI KA HI KI there, unlike its hand order), destination
square and promotion flag.
"""

from __future__ import annotations

import numpy as np

from maou_kit.schema import MOVE_LABELS_NUM

# Block name -> (start, predicate on the destination (x, y)). Order is the label order.
_BOARD_BLOCKS: tuple[tuple[str, object], ...] = (
    ("UP", lambda x, y: y != 8),
    ("UP_LEFT", lambda x, y: y != 8 and x != 0),
    ("UP_RIGHT", lambda x, y: y != 8 and x != 8),
    ("LEFT", lambda x, y: x != 0),
    ("RIGHT", lambda x, y: x != 8),
    ("DOWN", lambda x, y: y != 0),
    ("DOWN_LEFT", lambda x, y: y != 0 and x != 0),
    ("DOWN_RIGHT", lambda x, y: y != 0 and x != 8),
    ("KEIMA_LEFT", lambda x, y: 2 <= y <= 6 and x != 0),
    ("KEIMA_RIGHT", lambda x, y: 2 <= y <= 6 and x != 8),
    ("UP_PROMOTION", lambda x, y: y < 3),
    ("UP_LEFT_PROMOTION", lambda x, y: y < 3 and x != 0),
    ("UP_RIGHT_PROMOTION", lambda x, y: y < 3 and x != 8),
    ("LEFT_PROMOTION", lambda x, y: y < 3 and x != 0),
    ("RIGHT_PROMOTION", lambda x, y: y < 3 and x != 8),
    ("DOWN_PROMOTION", lambda x, y: y != 0),
    ("DOWN_LEFT_PROMOTION", lambda x, y: y >= 1 and x >= 1 and y <= x + 2),
    ("DOWN_RIGHT_PROMOTION", lambda x, y: y >= 1 and x <= 7 and y <= (8 - x) + 2),
    ("KEIMA_LEFT_PROMOTION", lambda x, y: y < 3 and x != 0),
    ("KEIMA_RIGHT_PROMOTION", lambda x, y: y < 3 and x != 8),
)
HAND_PIECES = ("FU", "KY", "KE", "GI", "KI", "KA", "HI")  # the label order and cshogi's hand order
# A cshogi drop move stores 81 + (piece type - 1), piece types ordered FU KY KE GI KA HI KI.
_DROP_ORIGIN_ORDER = ("FU", "KY", "KE", "GI", "KA", "HI", "KI")
_DROP_BLOCKS: tuple[tuple[str, object], ...] = (
    ("DROP_FU", lambda x, y: y != 0),
    ("DROP_KY", lambda x, y: y != 0),
    ("DROP_KE", lambda x, y: y >= 2),
    ("DROP_GI", lambda x, y: True),
    ("DROP_KI", lambda x, y: True),
    ("DROP_KA", lambda x, y: True),
    ("DROP_HI", lambda x, y: True),
)


def _build_blocks() -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """Block start offsets and, per block, a destination-square -> label array (-1 = invalid)."""
    starts: dict[str, int] = {}
    dest_labels: dict[str, np.ndarray] = {}
    offset = 0
    for name, valid in _BOARD_BLOCKS + _DROP_BLOCKS:
        starts[name] = offset
        labels = np.full(81, -1, dtype=np.int16)
        for sq in range(81):  # ascending sq order defines the rank inside the block
            x, y = divmod(sq, 9)
            if valid(x, y):
                labels[sq] = offset
                offset += 1
        dest_labels[name] = labels
    if offset != MOVE_LABELS_NUM:
        raise AssertionError(f"label blocks sum to {offset}, expected {MOVE_LABELS_NUM}")
    return starts, dest_labels


BLOCK_STARTS, _DEST_LABELS = _build_blocks()


def _direction(dx: int, dy: int) -> str | None:
    """Direction name of a board move by its displacement; None if no piece moves that way."""
    if (dx, dy) == (1, -2):
        return "KEIMA_LEFT"
    if (dx, dy) == (-1, -2):
        return "KEIMA_RIGHT"
    if not (dx == 0 or dy == 0 or abs(dx) == abs(dy)) or (dx, dy) == (0, 0):
        return None
    vertical = "UP" if dy < 0 else "DOWN" if dy > 0 else ""
    horizontal = "LEFT" if dx > 0 else "RIGHT" if dx < 0 else ""
    return "_".join(part for part in (vertical, horizontal) if part)


def _build_move_table() -> np.ndarray:
    table = np.full((81 + len(HAND_PIECES), 81, 2), -1, dtype=np.int16)
    for origin in range(81):
        fx, fy = divmod(origin, 9)
        for dest in range(81):
            tx, ty = divmod(dest, 9)
            direction = _direction(tx - fx, ty - fy)
            if direction is None:
                continue
            table[origin, dest, 0] = _DEST_LABELS[direction][dest]
            table[origin, dest, 1] = _DEST_LABELS[direction + "_PROMOTION"][dest]
    for origin_offset, piece in enumerate(_DROP_ORIGIN_ORDER):
        table[81 + origin_offset, :, 0] = _DEST_LABELS["DROP_" + piece]
    return table


MOVE_TABLE: np.ndarray = _build_move_table()
"""int16[88, 81, 2]: label of (origin or 81 + hand piece, destination, promote) in the mover's frame."""

# Destination square (mover's frame) of every label, used to decode labels.
LABEL_DESTINATION: np.ndarray = np.full(MOVE_LABELS_NUM, -1, dtype=np.int16)
for _labels in _DEST_LABELS.values():
    LABEL_DESTINATION[_labels[_labels >= 0]] = np.nonzero(_labels >= 0)[0]
del _labels


def _build_move16_lookup() -> np.ndarray:
    """int16[2 * 32768]: label of every 15-bit cshogi move code, for Black (first half) and White.

    A cshogi move's low 15 bits are destination | origin << 7 | promote << 14, so
    one table lookup replaces the field extraction and the rotation for White.
    """
    codes = np.arange(1 << 15)
    dest, origin, promote = codes & 0x7F, (codes >> 7) & 0x7F, (codes >> 14) & 1
    lookup = np.full(2 << 15, -1, dtype=np.int16)
    usable = (dest < 81) & (origin < 81 + len(HAND_PIECES))
    d, o, p = dest[usable], origin[usable], promote[usable]
    lookup[codes[usable]] = MOVE_TABLE[o, d, p]
    white_origin = np.where(o < 81, 80 - o, o)
    lookup[(1 << 15) + codes[usable]] = MOVE_TABLE[white_origin, 80 - d, p]
    return lookup


MOVE16_LOOKUP: np.ndarray = _build_move16_lookup()


def labels_of_moves(moves: np.ndarray, white_to_move: np.ndarray | bool) -> np.ndarray:
    """Labels of cshogi 16/32-bit moves (array), each in its mover's frame.

    `white_to_move` is a bool or a bool array aligned with `moves`. Returns int16
    labels; -1 marks a move no piece can make (never a legal move).
    """
    codes = np.asarray(moves, dtype=np.int64) & 0x7FFF
    white = np.asarray(white_to_move, dtype=np.int64)
    return MOVE16_LOOKUP[codes + (white << 15)]
