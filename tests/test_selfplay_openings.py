"""Start positions and random openings: variety between games, validated input files."""

from __future__ import annotations

import random

import cshogi
import pytest

from maou_kit.selfplay import SimplePlayer, play_games, read_start_sfens
from maou_kit.selfplay.openings import opening_length, random_opening_move

# White threatens G*5h mate (the pawn on 5g guards 5h); most Black moves ignore it.
MATE_THREAT_SFEN = "R7k/9/9/9/9/9/4p4/9/4K4 b g 1"
AFTER_7G7F_3C3D = "lnsgkgsnl/1r5b1/pppppp1pp/6p2/9/2P6/PP1PPPPPP/1B5R1/LNSGKGSNL b - 3"


def allows_mate_in_one(board: cshogi.Board, move: int) -> bool:
    board.push(move)
    allows = bool(board.mate_move_in_1ply())
    board.pop()
    return allows


def test_random_openings_differ_between_games():
    player = SimplePlayer()
    summaries = play_games(player, player, 6, seed=1, random_opening_plies=8, max_moves=4)
    openings = {tuple(summary.record.usi_moves) for summary in summaries}
    assert len(openings) == 6


def test_opening_length_varies_between_half_and_all_of_the_maximum():
    rng = random.Random(0)
    lengths = {opening_length(rng, 8) for _ in range(200)}
    assert lengths == {4, 5, 6, 7, 8}


def test_random_opening_move_avoids_allowing_a_mate_in_one():
    board = cshogi.Board(MATE_THREAT_SFEN)
    assert any(allows_mate_in_one(board, move) for move in board.legal_moves)
    chosen = {random_opening_move(board, random.Random(seed)) for seed in range(40)}
    assert not any(allows_mate_in_one(board, move) for move in chosen)


def test_start_file_accepts_sfen_startpos_and_position_lines(tmp_path):
    path = tmp_path / "starts.txt"
    path.write_text(
        "# openings\n\nstartpos\nsfen 4k4/9/9/9/9/9/9/9/4K4 b G 1\n"
        "position startpos moves 7g7f 3c3d  # a comment\n",
        encoding="utf-8",
    )
    assert read_start_sfens(path) == [
        cshogi.STARTING_SFEN,
        "4k4/9/9/9/9/9/9/9/4K4 b G 1",
        AFTER_7G7F_3C3D,
    ]


def test_bad_start_line_is_reported_with_its_line_number(tmp_path):
    path = tmp_path / "starts.txt"
    path.write_text("startpos\nstartpos moves 7g7f 7g7f\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: illegal move '7g7f'"):
        read_start_sfens(path)


def test_missing_start_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="--start-sfens"):
        read_start_sfens(tmp_path / "absent.txt")


def test_games_cycle_through_the_start_positions():
    player = SimplePlayer()
    starts = [cshogi.STARTING_SFEN, AFTER_7G7F_3C3D]
    summaries = play_games(
        player, player, 4, start_sfens=starts, random_opening_plies=0, max_moves=2
    )
    assert [summary.record.start_sfen for summary in summaries] == starts * 2
