"""USI `position` lines (one game per line, no result) and SFEN lists (one position per
line), with unreadable lines reported by line number."""

from __future__ import annotations

from maou_kit.schema import RESULT_NONE
from maou_kit.shogi.records import read_sfen_list_text, read_usi_text

HIRATE = "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"
KINGS = "4k4/9/9/9/9/9/9/9/4K4 b - 1"


def test_usi_lines_become_games_without_result():
    text = f"position startpos moves 7g7f 3c3d\n# a comment\n\nposition sfen {KINGS} moves 5i5h\n"
    records = read_usi_text(text, "games.usi")
    assert [(g.index, g.start_sfen, g.moves) for g in records.games] == [
        (0, HIRATE, ("7g7f", "3c3d")),
        (1, KINGS, ("5i5h",)),
    ]
    assert {(g.result, g.endgame_status) for g in records.games} == {(RESULT_NONE, "")}


def test_usi_line_without_the_position_word_is_read():
    records = read_usi_text("startpos moves 2g2f\n", "g.usi")
    assert records.games[0].moves == ("2g2f",)


def test_usi_line_with_an_illegal_move_is_skipped_with_its_line():
    records = read_usi_text("position startpos moves 7g7f 7g7f\n", "bad.usi")
    assert records.games == []
    assert records.skipped[0].reason.startswith("line 1: illegal move: move 2 '7g7f'")


def test_sfen_list_lines_become_position_records():
    records = read_sfen_list_text(f"sfen {KINGS}\n{HIRATE}\n", "positions.sfen")
    assert [(g.kind, g.start_sfen, g.moves) for g in records.games] == [
        ("position", KINGS, ()),
        ("position", HIRATE, ()),
    ]


def test_bad_sfen_line_is_skipped_with_its_line_number():
    records = read_sfen_list_text(f"{KINGS}\n9/9/9 b - 1\n", "bad.sfen")
    assert len(records.games) == 1
    assert records.skipped[0].reason.startswith("line 2: invalid SFEN")
