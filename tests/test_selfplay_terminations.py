"""Every way a self-play game ends gives the right `%` line, winner and cshogi round trip.

Hand-made positions and a scripted player force each ending; the file written for the
game is parsed back with cshogi's own CSA parser, which must agree on the winner.
"""

from __future__ import annotations

from collections.abc import Sequence

import cshogi
import pytest
from cshogi import CSA

from maou_kit.schema import RESULT_BLACK_WIN, RESULT_DRAW, RESULT_WHITE_WIN
from maou_kit.selfplay import (
    MoveDecision,
    SimplePlayer,
    Termination,
    play_game,
    write_csa,
)

# A lone rook can check the opposing king forever along two ranks.
BLACK_CHECKS_SFEN = "4k4/9/9/9/9/9/9/9/R3K4 b - 1"
BLACK_CHECKS_MOVES = ["9i9a"] + ["5a5b", "9a9b", "5b5a", "9b9a"] * 4
WHITE_CHECKS_SFEN = "r3k4/9/9/9/9/9/9/9/4K4 w - 1"
WHITE_CHECKS_MOVES = ["9a9i"] + ["5i5h", "9i9h", "5h5i", "9h9i"] * 4
# Rooks shuffle from the initial position: a plain repetition, no checks.
SHUFFLE_MOVES = ["2h3h", "8b7b", "3h2h", "7b8b"] * 4
# Black to move mates with G*5b (the pawn on 5c guards the gold).
MATE_IN_ONE_SFEN = "4k4/9/4P4/9/9/9/9/9/4K4 b G 1"
# Black king on 5b with ten pieces in the enemy camp and 28 points: a valid declaration.
DECLARATION_SFEN = "RRBBGGGG1/4K4/SS7/9/9/9/9/9/4k4 b 2S 1"


class ScriptedPlayer:
    """Answers with a fixed list of USI moves (or 'resign' / 'win'), in order."""

    name = "scripted"

    def __init__(self, answers: Sequence[str]):
        self.answers = list(answers)

    def new_game(self, seed: int) -> None:
        self.next_answer = 0

    def choose_move(self, board, start_sfen, usi_moves) -> MoveDecision:
        answer = self.answers[self.next_answer]
        self.next_answer += 1
        return MoveDecision(answer, score_cp=0, pv=(answer,))

    def close(self) -> None:
        pass


def play_scripted(answers: Sequence[str], start_sfen: str = cshogi.STARTING_SFEN, **kwargs):
    player = ScriptedPlayer(answers)
    return play_game(
        player, player, seed=0, start_sfen=start_sfen, random_opening_plies=0, **kwargs
    )


def parse_back(record, tmp_path):
    path = write_csa(record, tmp_path / "game.csa")
    return CSA.Parser.parse_file(str(path))[0]


def test_mate_in_one_by_builtin_player_is_a_black_win_written_as_toryo(tmp_path):
    record = play_game(
        SimplePlayer(), SimplePlayer(), seed=3, start_sfen=MATE_IN_ONE_SFEN, random_opening_plies=0
    )
    parsed = parse_back(record, tmp_path)
    assert (record.usi_moves, record.termination) == (["G*5b"], Termination.MATE)
    assert (parsed.endgame, parsed.win, record.winner) == ("%TORYO", RESULT_BLACK_WIN, 1)


def test_fourth_occurrence_without_checks_is_sennichite_draw(tmp_path):
    record = play_scripted(SHUFFLE_MOVES)
    parsed = parse_back(record, tmp_path)
    # The initial position recurs after plies 4, 8 and 12: the fourth time ends the game.
    assert (len(record.moves), record.termination) == (12, Termination.REPETITION)
    assert (parsed.endgame, parsed.win, record.winner) == ("%SENNICHITE", RESULT_DRAW, 0)


@pytest.mark.parametrize(
    ("start_sfen", "moves", "endgame", "winner"),
    [
        (BLACK_CHECKS_SFEN, BLACK_CHECKS_MOVES, "%+ILLEGAL_ACTION", RESULT_WHITE_WIN),
        (WHITE_CHECKS_SFEN, WHITE_CHECKS_MOVES, "%-ILLEGAL_ACTION", RESULT_BLACK_WIN),
    ],
)
def test_perpetual_check_loses_for_the_checking_side(start_sfen, moves, endgame, winner, tmp_path):
    record = play_scripted(moves, start_sfen=start_sfen)
    parsed = parse_back(record, tmp_path)
    # The position after the first check recurs every four plies; its fourth time ends it.
    assert (len(record.moves), record.termination) == (13, Termination.PERPETUAL_CHECK)
    assert (parsed.endgame, parsed.win, record.winner) == (endgame, winner, winner)


def test_max_moves_ends_in_a_draw_after_exactly_max_moves_plies(tmp_path):
    record = play_game(SimplePlayer(), SimplePlayer(), seed=1, random_opening_plies=0, max_moves=9)
    parsed = parse_back(record, tmp_path)
    assert (len(record.moves), record.termination) == (9, Termination.MAX_MOVES)
    assert (parsed.endgame, parsed.win) == ("%MAX_MOVES", RESULT_DRAW)


def test_entering_king_declaration_is_a_kachi_win_for_the_mover(tmp_path):
    record = play_scripted([], start_sfen=DECLARATION_SFEN)
    parsed = parse_back(record, tmp_path)
    assert (record.moves, record.termination) == ([], Termination.DECLARATION)
    assert (parsed.endgame, parsed.win) == ("%KACHI", RESULT_BLACK_WIN)


def test_resignation_loses_for_the_resigning_side(tmp_path):
    record = play_scripted(["7g7f", "resign"])
    parsed = parse_back(record, tmp_path)
    assert (record.termination, parsed.endgame, parsed.win) == (
        Termination.RESIGN,
        "%TORYO",
        RESULT_BLACK_WIN,
    )


@pytest.mark.parametrize(
    ("answers", "termination"),
    [(["7g7f", "1a1c"], Termination.ILLEGAL_MOVE), (["win"], Termination.ILLEGAL_DECLARATION)],
)
def test_illegal_answers_lose_for_the_mover(answers, termination, tmp_path):
    record = play_scripted(answers)
    parsed = parse_back(record, tmp_path)
    loser_is_black = len(answers) % 2 == 1
    expected_winner = RESULT_WHITE_WIN if loser_is_black else RESULT_BLACK_WIN
    assert (record.termination, parsed.endgame, parsed.win) == (
        termination,
        "%ILLEGAL_MOVE",
        expected_winner,
    )
