"""KI2 reading: relative descriptors (右 左 直 上 引 寄) resolved against the legal moves,
drops versus board moves, promotion words, the closing line's result, turn marks."""

from __future__ import annotations

import pytest

from maou_kit.schema import RESULT_BLACK_WIN, RESULT_NONE, RESULT_WHITE_WIN
from maou_kit.shogi.records import read_ki2_text

GOLDS_6I_4I = "4k4/9/9/9/9/9/9/9/3GKG3 b - 1"  # Black golds on 6i and 4i, both reach 5h
GOLDS_6I_5I_4I = "4k4/9/9/9/9/9/9/9/3GGG3 b - 1"
GOLDS_6H_4I = "4k4/9/9/9/9/9/9/3G5/5G3 b - 1"
GOLDS_5G_4I = "4k4/9/9/9/9/9/4G4/9/5G3 b - 1"
WHITE_GOLDS_6A_4A = "3gkg3/9/9/9/9/9/9/9/4K4 w - 1"


def board_diagram(sfen: str) -> str:
    """A KI2 header holding `sfen` as a board diagram (no hands)."""
    import cshogi

    board = cshogi.Board(sfen)
    names = " 歩香桂銀角飛金玉と杏圭全馬龍"
    rows = []
    for rank in range(9):
        cells = ""
        for file in range(8, -1, -1):
            piece = board.piece(file * 9 + rank)
            if piece == 0:
                cells += " ・"
            else:
                white = piece > 16
                cells += ("v" if white else " ") + names[piece - 16 if white else piece]
        rows.append(f"|{cells}|{'一二三四五六七八九'[rank]}")
    turn = "先手番" if board.turn == cshogi.BLACK else "後手番"
    return "\n".join(rows) + f"\n{turn}\n"


def first_move(sfen: str, move_text: str) -> str:
    records = read_ki2_text(board_diagram(sfen) + move_text + "\n", "test.ki2")
    assert not records.skipped, records.skipped
    return records.games[0].moves[0]


@pytest.mark.parametrize(
    ("sfen", "move_text", "usi"),
    [
        (GOLDS_6I_4I, "▲５八金右", "4i5h"),
        (GOLDS_6I_4I, "▲５八金左", "6i5h"),
        (GOLDS_6I_5I_4I, "▲５八金直", "5i5h"),
        (GOLDS_6H_4I, "▲５八金寄", "6h5h"),
        (GOLDS_6H_4I, "▲５八金上", "4i5h"),
        (GOLDS_5G_4I, "▲５八金引", "5g5h"),
        (WHITE_GOLDS_6A_4A, "△５二金右", "6a5b"),
        (WHITE_GOLDS_6A_4A, "△５二金左", "4a5b"),
    ],
)
def test_relative_descriptor_picks_the_named_piece(sfen, move_text, usi):
    assert first_move(sfen, move_text) == usi


def test_two_candidates_without_a_descriptor_are_reported_as_ambiguous():
    records = read_ki2_text(board_diagram(GOLDS_6I_4I) + "▲５八金\n", "amb.ki2")
    assert records.skipped[0].reason.endswith("ambiguous")


def test_board_move_is_preferred_to_a_drop_unless_uchi_is_written():
    sfen = "4k4/9/9/9/9/9/9/9/5G3 b G 1"
    diagram = board_diagram(sfen).replace("先手番", "先手の持駒：金\n先手番")
    assert read_ki2_text(diagram + "▲５八金\n", "a.ki2").games[0].moves == ("4i5h",)
    assert read_ki2_text(diagram + "▲５八金打\n", "b.ki2").games[0].moves == ("G*5h",)


@pytest.mark.parametrize(("word", "usi"), [("成", "5d5c+"), ("不成", "5d5c"), ("", "5d5c")])
def test_promotion_words_choose_promotion(word, usi):
    assert first_move("4k4/9/9/4S4/9/9/9/9/4K4 b - 1", f"▲５三銀{word}") == usi


def test_hirate_game_with_same_square_and_closing_line():
    text = "先手：a\n後手：b\n\n▲７六歩 △３四歩 ▲２二角成 △同　銀\nまで4手で先手の勝ち\n"
    game = read_ki2_text(text, "g.ki2").games[0]
    assert game.moves == ("7g7f", "3c3d", "8h2b+", "3a2b")
    assert (game.result, game.endgame_status) == (RESULT_BLACK_WIN, "%TORYO")


def test_illegal_loss_in_the_closing_line_names_the_loser():
    game = read_ki2_text("▲７六歩 △３四歩\nまで2手で先手の反則負け\n", "i.ki2").games[0]
    assert (game.result, game.endgame_status) == (RESULT_WHITE_WIN, "%+ILLEGAL_ACTION")


def test_interrupted_game_has_no_result():
    game = read_ki2_text("▲７六歩\nまで1手で中断\n", "c.ki2").games[0]
    assert game.result == RESULT_NONE


def test_mark_of_the_wrong_side_is_reported():
    records = read_ki2_text("△３四歩\n", "turn.ki2")
    assert "played out of turn" in records.skipped[0].reason


def test_branches_after_the_main_line_are_ignored():
    text = "▲７六歩 △３四歩\nまで2手で中断\n\n変化：2手\n△８四歩\n"
    assert read_ki2_text(text, "f.ki2").games[0].moves == ("7g7f", "3c3d")
