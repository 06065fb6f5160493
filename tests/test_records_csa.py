"""CSA reading: start positions (PI, P1..P9, P+/P- with 00AL), several games per file,
engine scores in the HCPE convention, every % ending's winner, floodgate summary and
ratings, and what happens to illegal moves and unreadable text."""

from __future__ import annotations

import pytest

from maou_kit.schema import RESULT_BLACK_WIN, RESULT_DRAW, RESULT_NONE, RESULT_WHITE_WIN
from maou_kit.shogi.records import read_csa_text

HIRATE_ROWS = """\
P1-KY-KE-GI-KI-OU-KI-GI-KE-KY
P2 * -HI *  *  *  *  * -KA *
P3-FU-FU-FU-FU-FU-FU-FU-FU-FU
P4 *  *  *  *  *  *  *  *  *
P5 *  *  *  *  *  *  *  *  *
P6 *  *  *  *  *  *  *  *  *
P7+FU+FU+FU+FU+FU+FU+FU+FU+FU
P8 * +KA *  *  *  *  * +HI *
P9+KY+KE+GI+KI+OU+KI+GI+KE+KY
"""
HIRATE = "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"


def one_game(text: str):
    records = read_csa_text(text, "test.csa")
    assert not records.skipped, records.skipped
    assert len(records.games) == 1
    return records.games[0]


def test_rows_and_moves_give_the_start_position_and_usi_moves():
    game = one_game(f"V2.2\nN+alice\nN-bob\n{HIRATE_ROWS}+\n+7776FU,T1\n-3334FU\n+8822UM\n%TORYO\n")
    assert game.start_sfen == HIRATE
    assert game.moves == ("7g7f", "3c3d", "8h2b+")
    assert game.names == ("alice", "bob")


def test_resignation_by_the_side_to_move_is_a_win_for_the_other_side():
    game = one_game(f"{HIRATE_ROWS}+\n+7776FU\n-3334FU\n+2726FU\n%TORYO\n")
    assert (game.result, game.endgame_status) == (RESULT_BLACK_WIN, "%TORYO")


def test_pi_line_removes_the_listed_pieces():
    game = one_game("PI82HI22KA\n-\n-3334FU\n%CHUDAN\n")  # White's rook and bishop
    assert game.start_sfen == "lnsgkgsnl/9/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL w - 1"


def test_piece_by_piece_start_with_00al_gives_the_rest_to_that_hand():
    game = one_game("P-51OU\nP+59OU\nP+00KI\nP-00AL\n+\n+0058KI\n%CHUDAN\n")
    assert game.start_sfen == "4k4/9/9/9/9/9/9/9/4K4 b G2r2b3g4s4n4l18p 1"
    assert game.moves == ("G*5h",)


def test_games_separated_by_a_slash_line_are_read_in_order():
    text = f"{HIRATE_ROWS}+\n+7776FU\n%CHUDAN\n/\n{HIRATE_ROWS}+\n+2726FU\n%CHUDAN\n"
    records = read_csa_text(text, "two.csa")
    assert [(game.index, game.moves) for game in records.games] == [
        (0, ("7g7f",)),
        (1, ("2g2f",)),
    ]
    assert records.games[1].game_id == "two.csa#1"


def test_floodgate_scores_are_black_view_and_stored_for_the_mover():
    text = f"{HIRATE_ROWS}+\n+7776FU\nT1\n'** 120 -3334FU\n-3334FU\n'** 80 +2726FU\n%CHUDAN\n"
    game = one_game(text)
    # 120 for Black's move stays 120; 80 (Black's view) after White's move is -80 for White.
    assert game.evals == (120, -80)


def test_a_move_without_a_score_has_none():
    game = one_game(f"{HIRATE_ROWS}+\n+7776FU\n'** 30\n-3334FU\n%CHUDAN\n")
    assert game.evals == (30, None)


ENDING_RESULTS = {
    "%TORYO": RESULT_WHITE_WIN,
    "%CHUDAN": RESULT_NONE,
    "%SENNICHITE": RESULT_NONE,  # claimed, but the position did not repeat
    "%OUTE_SENNICHITE": RESULT_NONE,
    "%JISHOGI": RESULT_DRAW,
    "%KACHI": RESULT_WHITE_WIN,  # Black's declaration is invalid here, so Black loses
    "%HIKIWAKE": RESULT_DRAW,
    "%TSUMI": RESULT_WHITE_WIN,
    "%FUZUMI": RESULT_NONE,
    "%ILLEGAL_MOVE": RESULT_WHITE_WIN,
    "%+ILLEGAL_ACTION": RESULT_WHITE_WIN,
    "%-ILLEGAL_ACTION": RESULT_BLACK_WIN,
    "%TIME_UP": RESULT_WHITE_WIN,
    "%MAX_MOVES": RESULT_DRAW,
    "%ERROR": RESULT_NONE,
    "%MATTA": RESULT_NONE,
}


@pytest.mark.parametrize(("ending", "expected"), sorted(ENDING_RESULTS.items()))
def test_each_percent_ending_gives_its_result_with_black_to_move(ending, expected):
    game = one_game(f"{HIRATE_ROWS}+\n+7776FU\n-3334FU\n{ending},T3\n")
    assert (game.result, game.endgame_status) == (expected, ending)


def test_repeated_position_four_times_is_a_draw():
    shuffle = "+5958OU\n-5152OU\n+5859OU\n-5251OU\n" * 3
    game = one_game(f"P-51OU\nP+59OU\n+\n{shuffle}%SENNICHITE\n")
    assert (game.result, game.endgame_status, game.notes) == (RESULT_DRAW, "%SENNICHITE", ())


def test_summary_decides_when_no_percent_ending_was_written():
    text = f"N+alice\nN-bob\n{HIRATE_ROWS}+\n+7776FU\n'summary:toryo:bob lose:alice win\n"
    game = one_game(text)
    assert (game.result, game.endgame_status) == (RESULT_BLACK_WIN, "%TORYO")


def test_percent_ending_wins_over_the_summary():
    text = f"N+alice\nN-bob\n{HIRATE_ROWS}+\n+7776FU\n%TORYO\n'summary:toryo:alice lose:bob win\n"
    assert one_game(text).result == RESULT_BLACK_WIN


def test_floodgate_rate_comments_give_black_and_white_ratings():
    text = (
        f"N+alice\nN-bob\n{HIRATE_ROWS}+\n'black_rate:alice+abc:3345.0\n"
        "'white_rate:bob+def:3453.5\n+7776FU\n%CHUDAN\n"
    )
    assert one_game(text).ratings == (3345.0, 3453.5)


def test_unfinished_game_reaching_max_moves_is_a_max_moves_draw():
    game = one_game(f"'Max_Moves:2\n{HIRATE_ROWS}+\n+7776FU\n-3334FU\n")
    assert (game.result, game.endgame_status) == (RESULT_DRAW, "%MAX_MOVES")


def test_game_without_ending_has_no_result():
    game = one_game(f"{HIRATE_ROWS}+\n+7776FU\n")
    assert (game.result, game.endgame_status) == (RESULT_NONE, "")


def test_illegal_move_skips_the_game_with_the_reason():
    records = read_csa_text(f"{HIRATE_ROWS}+\n+7776FU\n-7776FU\n%TORYO\n", "bad.csa")
    assert records.games == []
    assert "move 2" in records.skipped[0].reason and "no such piece" in records.skipped[0].reason


def test_illegal_move_before_an_illegal_move_ending_cuts_the_game_there():
    game = one_game(f"{HIRATE_ROWS}+\n+7776FU\n-3334FU\n+7775FU\n%ILLEGAL_MOVE\n")
    assert game.moves == ("7g7f", "3c3d")
    assert game.result == RESULT_WHITE_WIN  # Black, who played the illegal move, loses
    assert "cut before it" in game.notes[0]


def test_unreadable_text_is_skipped_with_the_line_number():
    records = read_csa_text("this is not\na CSA record\n", "garbage.csa")
    assert records.games == []
    assert records.skipped[0].reason.startswith("line 1: unrecognised CSA statement")


def test_two_pawns_on_a_file_in_the_start_position_are_refused():
    records = read_csa_text("P-51OU\nP+59OU57FU55FU\n+\n%CHUDAN\n", "nifu.csa")
    assert "two unpromoted pawns" in records.skipped[0].reason
