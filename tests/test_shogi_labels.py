"""Locks down the 1496-label space of SPEC section 3: block layout and hand-computed labels."""

from __future__ import annotations

import numpy as np
import pytest

from maou_kit.shogi import BLOCK_STARTS, LABEL_DESTINATION, label_to_usi, move_label

STARTPOS = "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"

SPEC_BLOCK_STARTS = {
    "UP": 0, "UP_LEFT": 72, "UP_RIGHT": 136, "LEFT": 200, "RIGHT": 272, "DOWN": 344,
    "DOWN_LEFT": 416, "DOWN_RIGHT": 480, "KEIMA_LEFT": 544, "KEIMA_RIGHT": 584,
    "UP_PROMOTION": 624, "UP_LEFT_PROMOTION": 651, "UP_RIGHT_PROMOTION": 675,
    "LEFT_PROMOTION": 699, "RIGHT_PROMOTION": 723, "DOWN_PROMOTION": 747,
    "DOWN_LEFT_PROMOTION": 819, "DOWN_RIGHT_PROMOTION": 868, "KEIMA_LEFT_PROMOTION": 917,
    "KEIMA_RIGHT_PROMOTION": 941, "DROP_FU": 965, "DROP_KY": 1037, "DROP_KE": 1109,
    "DROP_GI": 1172, "DROP_KI": 1253, "DROP_KA": 1334, "DROP_HI": 1415,
}  # fmt: skip


def test_block_starts_match_spec():
    assert BLOCK_STARTS == SPEC_BLOCK_STARTS


def test_every_label_has_a_destination_square():
    assert LABEL_DESTINATION.min() >= 0 and LABEL_DESTINATION.max() <= 80


def test_spec_example_7g7f_is_53():
    assert move_label(STARTPOS, "7g7f") == 53


# Each case: position, move, label worked out by hand from the SPEC table.
HAND_COMPUTED = [
    # Black 2h to 2b promoting rook? rook blocked; use an open board instead:
    # Rook 1i -> 1a+ : UP_PROMOTION to (x=0, y=0): rank among y<3 in sq order = 0.
    ("4k4/9/9/9/9/9/9/9/R3K4 b - 1", "9i9a+", 624 + 8 * 3),  # to (8,0): 8 full columns of 3
    ("4k4/9/9/9/9/9/9/9/4K3R b - 1", "1i1a+", 624 + 0),
    # Black pawn drop on 5e: (x=4, y=4); DROP_FU valid y != 0 -> 4*8 + 3.
    ("4k4/9/9/9/9/9/9/9/4K4 b P 1", "P*5e", 965 + 35),
    # Knight drop on 1c: (x=0, y=2) -> first valid square of DROP_KE.
    ("4k4/9/9/9/9/9/9/9/4K4 b N 1", "N*1c", 1109),
    # Rook drop on 9i: (x=8, y=8) -> last square of DROP_HI.
    ("4k4/9/9/9/9/9/9/9/4K4 b R 1", "R*9i", 1495),
    # King 5i -> 4h: dx = -1 (toward file 1 is RIGHT), dy = -1 -> UP_RIGHT, to (3, 7):
    # valid y != 8 and x != 8, ascending sq: 3 columns x 8 + 7 = 31.
    ("4k4/9/9/9/9/9/9/9/4K4 b - 1", "5i4h", 136 + 31),
    # King 5i -> 6h: UP_LEFT to (5, 7): columns x=1..4 before -> 4*8 + 7 = 39.
    ("4k4/9/9/9/9/9/9/9/4K4 b - 1", "5i6h", 72 + 39),
    # King 5i -> 6i: LEFT to (5, 8): columns x=1..4 (9 each) + 8 = 44.
    ("4k4/9/9/9/9/9/9/9/4K4 b - 1", "5i6i", 200 + 44),
    # Knight 8i -> 7g: dx=-1, dy=-2 -> KEIMA_RIGHT to (6, 6): valid 2<=y<=6, x != 8;
    # 6 columns x 5 + (6 - 2) = 34.
    ("4k4/9/9/9/9/9/9/9/1N2K4 b - 1", "8i7g", 584 + 34),
    # Knight 2d -> 3b+ : dx=+1 -> KEIMA_LEFT_PROMOTION to (2, 1): x=1 column (3) + 1 = 4.
    ("4k4/9/9/7N1/9/9/9/9/4K4 b - 1", "2d3b+", 917 + 4),
    # Silver 5c -> 6d+ moving down-left out of the zone: DOWN_LEFT_PROMOTION to (5, 3).
    # valid (x>=1, y>=1, y<=x+2) in sq order: x=1:3, x=2:4, x=3:5, x=4:6, then x=5 y=1..3 -> 2.
    ("k8/9/4S4/9/9/9/9/9/4K4 b - 1", "5c6d+", 819 + 3 + 4 + 5 + 6 + 2),
]


@pytest.mark.parametrize(("sfen", "usi", "label"), HAND_COMPUTED)
def test_hand_computed_label(sfen, usi, label):
    assert move_label(sfen, usi) == label


def test_white_move_uses_rotated_squares():
    # White's 3c3d is Black's 7g7f seen from the other side.
    sfen = "lnsgkgsnl/1r5b1/ppppppppp/9/9/2P6/PP1PPPPPP/1B5R1/LNSGKGSNL w - 2"
    assert move_label(sfen, "3c3d") == 53


def test_label_to_usi_inverts_move_label_on_playouts(playout_sfens):
    for sfen in playout_sfens[::10]:
        for usi in _some_legal_usi(sfen):
            assert label_to_usi(sfen, move_label(sfen, usi)) == usi


def test_illegal_move_raises_naming_the_move():
    with pytest.raises(ValueError, match="7g7e"):
        move_label(STARTPOS, "7g7e")


def test_malformed_move_raises():
    with pytest.raises(ValueError, match="invalid USI move"):
        move_label(STARTPOS, "77")


def test_label_out_of_range_raises():
    with pytest.raises(ValueError, match="out of range"):
        label_to_usi(STARTPOS, 1496)


def test_label_not_legal_in_position_raises():
    with pytest.raises(ValueError, match="not a legal move"):
        label_to_usi(STARTPOS, 1495)


def test_bad_sfen_raises_naming_it():
    with pytest.raises(ValueError, match="not-a-position"):
        move_label("not-a-position b - 1", "7g7f")


def _some_legal_usi(sfen: str) -> list[str]:
    import cshogi

    board = cshogi.Board(sfen)
    return [cshogi.move_to_usi(move) for move in list(board.legal_moves)[:5]]


def test_label_destinations_are_unique_within_each_block():
    # Inside one block every label has its own destination square.
    starts = sorted(SPEC_BLOCK_STARTS.values()) + [1496]
    for start, end in zip(starts[:-1], starts[1:], strict=True):
        destinations = LABEL_DESTINATION[start:end]
        assert len(np.unique(destinations)) == end - start
