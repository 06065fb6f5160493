"""Real game records (../shared/data/kifu): results of the games whose outcome is known,
and agreement with cshogi's own parsers on the files they read correctly.

Expected results were read off the files themselves (endings, 'summary: comments,
"まで…" lines) and, for the shogi-server test logs, off shogi-server's own tests
(TC_oute_sennichite.rb, TC_jishogi_kachi.rb, TC_not_sennichite.rb, TC_uchifuzume.rb,
which replay the logs through today's server with player 1 as Black).
"""

from __future__ import annotations

import cshogi
import cshogi.CSA
import cshogi.KIF
import pytest

from maou_kit.data.crash_isolated_pool import TaskFailure, run_isolated
from maou_kit.schema import RESULT_BLACK_WIN, RESULT_NONE, RESULT_WHITE_WIN
from maou_kit.shogi.records import read_record_text, read_records

JS = "Kifu-for-JS/packages/json-kifu-format/test/files"
SERVER = "shogi-server/test/csa"
KNOWN_RESULTS = {
    # shogi-server logs; the old server's summary called some of these draws.
    f"{SERVER}/oute_sennichite.csa": (RESULT_WHITE_WIN, "%OUTE_SENNICHITE"),
    f"{SERVER}/oute_sennichite2.csa": (RESULT_BLACK_WIN, "%OUTE_SENNICHITE"),
    f"{SERVER}/oute_sennichite3.csa": (RESULT_WHITE_WIN, "%OUTE_SENNICHITE"),
    f"{SERVER}/jishogi_kachi.csa": (RESULT_WHITE_WIN, "%KACHI"),  # White's valid declaration
    f"{SERVER}/not_sennichite.csa": (RESULT_NONE, "%SENNICHITE"),  # no fourfold repetition
    f"{SERVER}/uchifuzume.csa": (RESULT_BLACK_WIN, "%ILLEGAL_MOVE"),  # from 'summary:
    f"{SERVER}/wdoor+floodgate-900-0+gps_normal+gps_l+20100507120007.csa": (
        RESULT_WHITE_WIN,
        "%TORYO",
    ),
    # The log stops at move 256 with no ending and no 'Max_Moves header: no result.
    f"{SERVER}/max_moves_draw.csa": (RESULT_NONE, ""),
    f"{JS}/csa/v2.csa": (RESULT_WHITE_WIN, "%TORYO"),  # 'summary: ... HarrySan win
    f"{JS}/csa/dr1test1test0+tu-1_aobazero_viper-300-5F+aobazero+viper+20200719201040.csa": (
        RESULT_BLACK_WIN,
        "%KACHI",
    ),
    f"{JS}/csa/2005_GPS_K-SHOGI.csa": (RESULT_BLACK_WIN, "%TORYO"),  # "'+ win"
    f"{JS}/csa/2005_YAMADA_GPS.csa": (RESULT_BLACK_WIN, "%TORYO"),
    f"{JS}/csa/illegal_lose.csa": (RESULT_WHITE_WIN, "%ILLEGAL_MOVE"),
    f"{JS}/csa/illegal_win.csa": (RESULT_BLACK_WIN, "%-ILLEGAL_ACTION"),
    f"{JS}/csa/chudan.csa": (RESULT_NONE, "%CHUDAN"),
    # KIF title matches ending in 投了, checked against their "まで…で先手/後手の勝ち" line.
    f"{JS}/kif/jt201409130101.kif": (RESULT_BLACK_WIN, "%TORYO"),
    f"{JS}/kif/kiou201403160101.kif": (RESULT_BLACK_WIN, "%TORYO"),
    f"{JS}/kif/oui201407080101.kif": (RESULT_WHITE_WIN, "%TORYO"),
    f"{JS}/kif/ryuou201409020101.kif": (RESULT_BLACK_WIN, "%TORYO"),
    f"{JS}/kif/ryuou4.kif": (RESULT_BLACK_WIN, "%TORYO"),
    f"{JS}/kif/20081220kyoochi.kif": (RESULT_BLACK_WIN, "%TORYO"),  # 下手 (Black) wins
    f"{JS}/kif/shogidb2.kifu": (RESULT_WHITE_WIN, "%TORYO"),
    f"{JS}/kif/illegal.kif": (RESULT_WHITE_WIN, "%ILLEGAL_MOVE"),
    f"{JS}/kif/meijinsen_20180508_M7_10034.kif": (RESULT_NONE, "%CHUDAN"),  # 封じ手
    f"{JS}/kif/taichitsume.kif": (RESULT_BLACK_WIN, "%TSUMI"),
    f"{JS}/kif/shogidokoro.kifu": (RESULT_BLACK_WIN, "%TSUMI"),  # mate on the board, no word
    f"{JS}/ki2/20091203.ki2": (RESULT_WHITE_WIN, "%TORYO"),
    f"{JS}/ki2/denou3-1.ki2": (RESULT_WHITE_WIN, "%TORYO"),
    f"{JS}/ki2/kobayashi_kinsho196702.ki2": (RESULT_BLACK_WIN, "%TSUMI"),
    f"{JS}/ki2/illegal.ki2": (RESULT_WHITE_WIN, "%+ILLEGAL_ACTION"),
}
PRO10 = [
    "kifu09136", "kifu10616", "kifu11058", "kifu15093", "kifu17409",
    "kifu20023", "kifu25654", "kifu29397", "kifu32335", "kifu47094",
]  # fmt: skip
# KIF files cshogi's parser reads correctly (it ignores board diagrams, runs into
# branches when the main line has no ending, and needs "同　" with the full-width space).
CSHOGI_READABLE_KIF = [
    "20081220kyoochi.kif", "8mai.kif", "chudan.kif", "doh_branch.kifu", "fork.kif",
    "henka.kif", "illegal.kif", "jt201409130101.kif", "kiou201403160101.kif",
    "last-fork.kifu", "meijinsen_20180508_M7_10034.kif", "no_henka.kif", "oui201407080101.kif",
    "ouza201410070101.kif", "ryuou201409020101.kif", "ryuou4.kif",
]  # fmt: skip


@pytest.mark.parametrize("relative", sorted(KNOWN_RESULTS))
def test_known_result(shared_kifu, relative):
    records = read_records(shared_kifu / relative)
    game = records.games[0]
    assert (game.result, game.endgame_status) == KNOWN_RESULTS[relative]


def test_perpetual_check_judged_on_the_board_is_noted(shared_kifu):
    game = read_records(shared_kifu / SERVER / "oute_sennichite.csa").games[0]
    assert game.notes == ("record claims %SENNICHITE; the board shows black gave check throughout",)


def test_sunfish_pro_games_have_no_recorded_result(shared_kifu):
    """The pro10 files hold the moves only: no ending, no comment naming the winner."""
    games = [
        read_records(shared_kifu / "sunfish4/kifu/learn/pro10" / f"{name}.csa").games[0]
        for name in PRO10
    ]
    assert [(len(game.moves) > 100, game.result) for game in games] == [(True, RESULT_NONE)] * 10


def test_ki2_tsume_with_relative_descriptors_reaches_the_final_mate(shared_kifu):
    """49 moves with 馬右/馬左/馬引 end with White in check and only useless interpositions."""
    game = read_records(shared_kifu / JS / "ki2/kobayashi_kinsho196702.ki2").games[0]
    board = cshogi.Board(game.start_sfen)
    for move in game.moves:
        board.push_usi(move)
    replies = {cshogi.move_to_usi(move) for move in board.legal_moves}
    assert (len(game.moves), board.is_check()) == (49, True)
    assert replies == {"B*8b", "G*8b", "P*8b", "N*8b", "S*8b"}


def test_ki2_and_kif_and_csa_versions_of_a_game_agree(shared_kifu):
    folder = shared_kifu / JS
    readings = [
        read_records(folder / path).games[0]
        for path in ("ki2/8mai.ki2", "ki2/8mai.ki2u", "kif/8mai.kif", "csa/8mai.csa")
    ]
    assert len({(game.start_sfen, game.moves) for game in readings}) == 1
    assert len(readings[0].moves) == 25


def cshogi_csa_reading(path: str) -> list[tuple[str, list[str]]]:
    """(start SFEN, USI moves) of each game by cshogi's C++ CSA parser (run in a child)."""
    games = cshogi.CSA.Parser.parse_str(read_record_text(path))
    return [(game.sfen, [cshogi.move_to_usi(move) for move in game.moves]) for game in games]


def normalised(sfen: str) -> str:
    return cshogi.Board(sfen).sfen()


def test_csa_reader_agrees_with_cshogi_on_every_csa_file_it_survives(shared_kifu):
    paths = sorted(shared_kifu.rglob("*.csa"))
    theirs = dict(run_isolated(cshogi_csa_reading, [str(path) for path in paths], workers=2))
    compared = 0
    for index, path in enumerate(paths):
        if isinstance(theirs[index], TaskFailure):
            assert path.name == "9fu_komabetsu.csa", theirs[index]  # the known SIGSEGV
            continue
        ours = read_records(path)
        for game in ours.games:
            start, moves = theirs[index][game.index]
            assert (normalised(start), moves) == (game.start_sfen, list(game.moves)), path
            compared += 1
    assert compared >= 70


@pytest.mark.parametrize("name", CSHOGI_READABLE_KIF)
def test_kif_reader_agrees_with_cshogi(shared_kifu, name):
    path = shared_kifu / JS / "kif" / name
    theirs = cshogi.KIF.Parser.parse_str(read_record_text(path))
    game = read_records(path).games[0]
    assert list(game.moves) == [cshogi.move_to_usi(move) for move in theirs.moves]
    assert game.start_sfen == normalised(theirs.sfen)
