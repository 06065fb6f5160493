"""The CSA reader's fast lane (plain move lines checked without the legal-move list)
refuses exactly what the list refuses: a promotion outside the zone, a pawn, lance or
knight left where it could never move again, a drop mate; and accepts the legal forms."""

from __future__ import annotations

import cshogi
import pytest

from maou_kit.shogi.records.csa import read_csa_text


def csa_from(sfen: str, *moves: str) -> str:
    return cshogi.Board(sfen).csa_pos() + "\n".join(moves) + "\n%CHUDAN\n"


# Black: pawn on 1b, lance on 2b, knight on 3c, pawn in hand; kings far apart.
EDGE = "k8/7LP/6N2/9/9/9/9/9/4K4 b P 1"


@pytest.mark.parametrize(
    ("sfen", "move", "legal"),
    [
        ("lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1", "+7776TO", False),
        ("lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1", "+7776FU", True),
        (EDGE, "+1211FU", False),
        (EDGE, "+1211TO", True),
        (EDGE, "+2221KY", False),
        (EDGE, "+2221NY", True),
        (EDGE, "+3321KE", False),
        (EDGE, "+3321NK", True),
        (EDGE, "+0051FU", False),  # a pawn dropped on the last rank
        (EDGE, "+0055FU", True),
    ],
)
def test_fast_lane_agrees_with_the_legal_move_list(sfen, move, legal):
    records = read_csa_text(csa_from(sfen, move), "t.csa")
    assert bool(records.games) == legal, records.skipped


def test_a_pawn_drop_mate_is_refused():
    # White king on 1a boxed in by its own pieces; a black pawn dropped on 1b mates,
    # protected by the gold on 2c.
    sfen = "7nk/7p1/7G1/9/9/9/9/9/4K4 b P 1"
    assert cshogi.Board(sfen).move_from_usi("P*1b") not in cshogi.Board(sfen).legal_moves
    records = read_csa_text(csa_from(sfen, "+0012FU"), "t.csa")
    assert not records.games and "illegal move" in records.skipped[0].reason
