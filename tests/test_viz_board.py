"""Locks down the board pictures: label vectors land on their destination squares in
the mover's frame, pieces are drawn on the right squares the usual way round, the
cshogi SVG grid holds one board per position, and HCP records decode to SFEN."""

from __future__ import annotations

import cshogi
import numpy as np
import pytest
from matplotlib.figure import Figure

from maou_kit.schema import MOVE_LABELS_NUM
from maou_kit.shogi import encode_position, legal_moves_mask, move_label
from maou_kit.viz.board import boards_html, destination_grid, draw_board, hand_text, sfens_from_hcp

START = "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"


def test_one_label_lands_on_its_destination_square():
    values = np.zeros(MOVE_LABELS_NUM)
    values[move_label(START, "7g7f")] = 1.0  # destination 7f: file index 6, rank index 5
    grid = destination_grid(values)
    assert grid[5, 6] == 1.0 and grid.sum() == 1.0


def test_legal_mask_of_the_start_position_counts_every_legal_move():
    grid = destination_grid(legal_moves_mask(START))
    assert grid.sum() == 30
    assert grid[5, 0] == 1  # 1g1f is the only move to 1f


def test_white_to_move_destinations_are_in_the_movers_frame():
    after = "lnsgkgsnl/1r5b1/ppppppppp/9/9/2P6/PP1PPPPPP/1B5R1/LNSGKGSNL w - 2"
    values = np.zeros(MOVE_LABELS_NUM)
    values[move_label(after, "3c3d")] = 1.0  # White's 3c3d is "up" to 7f in the mover's frame
    assert destination_grid(values)[5, 6] == 1.0


def test_destination_grid_rejects_a_wrong_width():
    with pytest.raises(ValueError, match="1496"):
        destination_grid(np.zeros(81))


def test_pieces_are_drawn_with_file_nine_on_the_left():
    board, hand = encode_position("8k/9/9/9/9/9/9/9/R7K b - 1")  # mover's rook on 9i
    ax = Figure().subplots()
    draw_board(ax, board, hand)
    texts = {text.get_text(): text.get_position() for text in ax.texts}
    assert texts["R"] == (0, 8) and texts["K"] == (8, 8) and texts["k"] == (8, 0)


def test_heatmap_is_mirrored_so_file_one_is_on_the_right():
    values = np.zeros((9, 9))
    values[0, 0] = 1.0  # rank a, file 1
    ax = Figure().subplots()
    draw_board(ax, np.zeros((9, 9), dtype=np.uint8), None, values)
    shown = ax.images[0].get_array()
    assert shown[0, 8] == 1.0 and shown.sum() == 1.0


def test_hand_text_lists_counts_of_both_sides():
    hand = np.zeros(14, dtype=np.uint8)
    hand[0], hand[4], hand[13] = 2, 1, 1
    assert hand_text(hand) == "in hand: mover P2 G | opponent R"


def test_boards_html_holds_one_svg_per_position_and_escapes_captions():
    page = boards_html([START, START], ["<b>first</b>", "second"], columns=2)
    assert page.count("<svg") == 2 and "&lt;b&gt;first&lt;/b&gt;" in page


def test_hcp_records_decode_to_their_sfen():
    board = cshogi.Board(START)
    record = np.zeros(1, dtype=cshogi.HuffmanCodedPos)
    board.to_hcp(record)
    assert sfens_from_hcp([record["hcp"][0].tobytes()]) == [board.sfen()]
