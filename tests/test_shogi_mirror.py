"""Left-right mirror: label permutation, boards and SFENs agree with the rules engine."""

from __future__ import annotations

import numpy as np

from maou_kit.schema import MOVE_LABELS_NUM
from maou_kit.shogi import (
    MIRROR_LABEL,
    encode_position,
    legal_moves_mask,
    mirror_boards,
    mirror_labels,
    mirror_sfen,
    move_label,
)


def test_mirror_label_is_an_involutive_permutation() -> None:
    assert sorted(MIRROR_LABEL.tolist()) == list(range(MOVE_LABELS_NUM))
    assert np.array_equal(MIRROR_LABEL[MIRROR_LABEL], np.arange(MOVE_LABELS_NUM))


def test_mirror_label_maps_a_hand_made_move_to_its_reflection() -> None:
    start = "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"
    mirrored = mirror_sfen(start)
    assert mirrored == "lnsgkgsnl/1b5r1/ppppppppp/9/9/9/PPPPPPPPP/1R5B1/LNSGKGSNL b - 1"
    # 3i4h (silver up-left, toward file 9) mirrors to 7i6h (silver up-right).
    assert MIRROR_LABEL[move_label(start, "3i4h")] == move_label(mirrored, "7i6h")


def test_mirror_sfen_keeps_promoted_pieces_whole() -> None:
    sfen = "+Rk7/9/9/9/9/9/9/9/4K3+p w 2P 10"
    assert mirror_sfen(sfen) == "7k+R/9/9/9/9/9/9/9/+p3K4 w 2P 10"


def test_mirrored_position_has_the_permuted_legal_mask(playout_sfens: list[str]) -> None:
    for sfen in playout_sfens[::4]:
        expected = mirror_labels(legal_moves_mask(sfen))
        assert np.array_equal(legal_moves_mask(mirror_sfen(sfen)), expected), sfen


def test_mirror_boards_matches_encoding_of_mirrored_sfen(playout_sfens: list[str]) -> None:
    for sfen in playout_sfens[::8]:
        board, hand = encode_position(sfen)
        mirrored_board, mirrored_hand = encode_position(mirror_sfen(sfen))
        assert np.array_equal(mirror_boards(board), mirrored_board), sfen
        assert np.array_equal(hand, mirrored_hand), sfen
