"""The CSA reader's plain-line loop (moves, time lines and scores read in one tight loop)
gives exactly the records the general line-by-line path gives: same moves, HCPs,
move16s, scores, results, notes and skip reasons, on hand-made records that exercise
every way out of the loop, and on randomly damaged random games."""

from __future__ import annotations

import random

import cshogi
import numpy as np
import pytest

from maou_kit.shogi.records import csa
from maou_kit.shogi.records.game_record import GameRecord

HEADER = "V2.2\nN+sente\nN-gote\n'black_rate:sente:1500.0\nPI\n+\n"


def general_path(monkeypatch: pytest.MonkeyPatch, text: str):
    """The records of `text` with the plain-line loop switched off."""
    with monkeypatch.context() as patch:
        patch.setattr(csa._CsaGameReader, "_play_plain_lines", lambda self, lines, index: 0)
        return csa.read_csa_text(text, "t.csa")


def summary(records) -> list:
    out = []
    for item in [*records.games, *records.skipped]:
        if isinstance(item, GameRecord):
            out.append(
                (item.index, item.start_sfen, item.moves, item.evals, item.result,
                 item.endgame_status, item.ratings, item.notes, item.hcps.tobytes(),
                 item.move16s.tolist())
            )  # fmt: skip
        else:
            out.append((item.index, item.reason))
    return out


def assert_same(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    fast = csa.read_csa_text(text, "t.csa")
    assert summary(fast) == summary(general_path(monkeypatch, text))


CASES = {
    "scores and time lines, resignation": "+7776FU\nT3\n'** 40 -3334FU\n-3334FU\nT2\n"
    "'** -25\n+8822UM\nT1\n-3122GI\nT1\n'** 0\n%TORYO\n",
    "comma time and comments mid-game": "+7776FU,T3\n-3334FU,T1\n' a comment\n+8822UM\n"
    "T1\n-3122GI\n'summary:toryo:sente win:gote lose\n",
    "second score ignored, score before any move": "'** 99\n+7776FU\n'** 5\n'** 6\n-3334FU\n%CHUDAN\n",
    "promotion outside the zone": "+7776FU\n-3334FU\n+2878RY\n-4132KI\n%ILLEGAL_MOVE\n",
    "out of turn": "+7776FU\n+2726FU\n%TORYO\n",
    "moves after an illegal move": "+7776FU\n-3334FU\n+7775TO\nT1\n'** 30\n-2233KA\n%TORYO\n",
    "malformed move": "+7776FU\n-3a34FU\n%TORYO\n",
    "unknown piece name": "+7776FU\n-3334XX\n%TORYO\n",
    "trailing space and tab": "+7776FU \n-3334FU\n\tT1\n+2726FU\n%TORYO\n",
    "win declaration that fails": "+7776FU\nT1\n-3334FU\n%KACHI\n",
    "time with decimals": "+7776FU\nT1.5\n-3334FU\nT2\n%TORYO\n",
}


@pytest.mark.parametrize("body", CASES.values(), ids=CASES.keys())
def test_plain_loop_matches_general_path(monkeypatch, body):
    assert_same(monkeypatch, HEADER + body)


def test_several_games_per_file(monkeypatch):
    text = HEADER + CASES["scores and time lines, resignation"] + "/\n" + HEADER
    text += CASES["out of turn"] + "/\n" + HEADER + "+7776FU\n-3334FU\n%SENNICHITE\n"
    fast = csa.read_csa_text(text, "t.csa")
    assert len(fast.games) + len(fast.skipped) == 3
    assert summary(fast) == summary(general_path(monkeypatch, text))


def test_drop_mate_and_checking_pawn_drop(monkeypatch):
    # White's king on 1a, its lance on 2a, Black's gold on 2c: a pawn dropped on 1b
    # mates (illegal); on an open board a checking pawn drop is legal. Either way the
    # loop hands a checking pawn drop to the legal-move list.
    mate = cshogi.Board("7lk/9/7G1/9/9/9/9/9/4K4 b P 1").csa_pos()
    assert_same(monkeypatch, mate + "+0012FU\n%TORYO\n")
    check = cshogi.Board("8k/9/9/9/9/9/9/9/4K4 b P 1").csa_pos()
    assert_same(monkeypatch, check + "+0012FU\n-1112OU\n%TORYO\n")


def test_dead_end_moves_go_the_general_way(monkeypatch):
    edge = cshogi.Board("k8/7LP/6N2/9/9/9/9/9/4K4 b P 1").csa_pos()
    for move in ("+1211FU", "+2221KY", "+3321KE", "+0051FU", "+1211TO", "+3321NK"):
        assert_same(monkeypatch, edge + move + "\n%TORYO\n")


def random_game_text(rng: random.Random) -> str:
    """A random game from the initial position, with scores and time lines, where
    one move in five games is replaced by a random well-formed (mostly illegal) one."""
    board = cshogi.Board()
    lines = [HEADER.rstrip("\n")]
    for _ in range(rng.randrange(20, 120)):
        moves = list(board.legal_moves)
        if not moves:
            break
        move = rng.choice(moves)
        side = "+" if board.turn == cshogi.BLACK else "-"
        text = side + cshogi.move_to_csa(move)
        if rng.random() < 0.01:
            origin = rng.choice(["00", *(f"{f}{r}" for f in range(1, 10) for r in range(1, 10))])
            text = side + origin + f"{rng.randrange(1, 10)}{rng.randrange(1, 10)}"
            text += rng.choice(list(csa.CSA_PIECES))
        lines.append(text)
        lines.append(f"T{rng.randrange(0, 60)}")
        if rng.random() < 0.7:
            lines.append(f"'** {rng.randrange(-3000, 3000)} pv")
        board.push(move)
    lines.append(rng.choice(["%TORYO", "%CHUDAN", "%KACHI", "%SENNICHITE"]))
    return "\n".join(lines) + "\n"


def test_random_games_match_general_path(monkeypatch):
    rng = random.Random(13)
    text = "/\n".join(random_game_text(rng) for _ in range(40))
    fast = csa.read_csa_text(text, "t.csa")
    assert len(fast.skipped) > 0 and len(fast.games) > 20  # both kinds occur
    assert summary(fast) == summary(general_path(monkeypatch, text))


def test_long_game_grows_the_position_buffer():
    # More moves than the first buffer holds: every HCP is still that position's.
    board = cshogi.Board()
    shuffle = ["+5958OU", "-5152OU", "+5859OU", "-5251OU"] * 80  # 320 moves
    records = csa.read_csa_text(HEADER + "\n".join(shuffle) + "\n%CHUDAN\n", "t.csa")
    game = records.games[0]
    assert len(game.moves) == 320
    expected = np.empty((320, 32), dtype=np.uint8)
    for ply, move in enumerate(shuffle):
        board.to_hcp(expected[ply])
        board.push(board.move_from_csa(move[1:]))
    assert np.array_equal(game.hcps, expected)
