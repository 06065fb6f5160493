"""The network as a player, in process: legal moves in 1,000 random positions of both colours
(decoded exactly as the reference `label_to_usi` decodes the masked argmax), a preferred
label played in each colour's frame, and the rules that override the network.
"""

from __future__ import annotations

import random

import cshogi
import numpy as np
import pytest
import torch
from _play_models import prefer_labels, random_positions, tiny_model

from maou_kit.play.net_evaluator import NetEvaluator
from maou_kit.play.net_player import NetPlayer, policy_move
from maou_kit.shogi import encode_positions, label_to_usi, legal_moves_masks, move_label

HIRATE = cshogi.STARTING_SFEN
# Black: G*5b mates (the pawn on 5c guards the gold). White: the same, rotated.
MATE_IN_ONE = {
    "4k4/9/4P4/9/9/9/9/9/4K4 b G 1": "G*5b",
    "4k4/9/9/9/9/9/4p4/9/4K4 w g 1": "G*5h",
}
# 27-point rule: the king and 12 pieces in the enemy camp, 28 points; White: rotated.
ENTERING_KING = (
    "KRRBBGGGG/SSSS5/9/9/9/9/9/9/4k4 b - 1",
    "4K4/9/9/9/9/9/9/5ssss/ggggbbrrk w - 1",
)
# Black's king on 5i is mated by the gold on 5h, guarded by the pawn on 5g.
MATED = "4k4/9/9/9/9/9/4p4/4g4/4K4 b - 1"
# Bare king against a full army: hopeless, not lost.
HOPELESS = "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/9/9/4K4 b - 1"


@pytest.fixture(scope="module")
def evaluator():
    return NetEvaluator(tiny_model(seed=3))


def test_policy_moves_match_the_reference_decoding_in_1000_random_positions(evaluator):
    sfens = random_positions(1000, seed=11)
    boards = [cshogi.Board(sfen) for sfen in sfens]
    chosen = [policy_move(e, 0.0, random.Random(0)) for e in evaluator.evaluate(boards)]
    # Reference: the raw logits, masked to the legal labels, decoded by label_to_usi.
    encoded_boards, encoded_hands = encode_positions(sfens)
    with torch.inference_mode():
        logits, _ = evaluator.model(
            (torch.from_numpy(encoded_boards).long(), torch.from_numpy(encoded_hands).long())
        )
    masked = np.where(legal_moves_masks(sfens) == 1, logits.numpy(), -np.inf)
    expected = [
        label_to_usi(sfen, int(label)) for sfen, label in zip(sfens, masked.argmax(1), strict=True)
    ]
    white = sum(board.turn == cshogi.WHITE for board in boards)
    assert 400 < white < 600  # both colours well represented
    assert all(
        board.is_legal(board.move_from_usi(m)) for board, m in zip(boards, chosen, strict=True)
    )
    assert chosen == expected


def test_preferred_label_is_played_as_black_and_as_white():
    model = prefer_labels(tiny_model(), [move_label(HIRATE, "7g7f")])
    player = NetPlayer(NetEvaluator(model))
    after_2f = cshogi.Board()
    after_2f.push_usi("2g2f")
    assert player.think(cshogi.Board()).decision.move == "7g7f"
    assert player.think(after_2f).decision.move == "3c3d"  # 7g7f's label in White's frame


@pytest.mark.parametrize("sfen", sorted(MATE_IN_ONE))
def test_mate_in_one_is_played(evaluator, sfen):
    decision = NetPlayer(evaluator).think(cshogi.Board(sfen)).decision
    assert (decision.move, decision.mate_in) == (MATE_IN_ONE[sfen], 1)


@pytest.mark.parametrize("sfen", ENTERING_KING)
def test_entering_king_declares_win(evaluator, sfen):
    assert NetPlayer(evaluator).think(cshogi.Board(sfen)).decision.move == "win"


def test_resigns_when_mated(evaluator):
    assert NetPlayer(evaluator).think(cshogi.Board(MATED)).decision.move == "resign"


def test_plays_on_in_a_hopeless_position(evaluator):
    board = cshogi.Board(HOPELESS)
    move = NetPlayer(evaluator).think(board).decision.move
    assert board.is_legal(board.move_from_usi(move))


def test_search_plays_legal_moves_and_stops_at_the_node_limit(evaluator):
    player = NetPlayer(evaluator, playouts=21, batch_size=8)
    for sfen in random_positions(5, seed=5):
        board = cshogi.Board(sfen)
        thought = player.think(board)
        assert board.is_legal(board.move_from_usi(thought.decision.move))
        assert thought.nodes == 21 or len(list(board.legal_moves)) == 1


def test_search_avoids_a_move_that_allows_mate_in_one(evaluator):
    # White threatens G*5h mate; only the four king moves parry it, the pawn moves lose.
    board = cshogi.Board("4k4/9/9/9/9/9/P3p3P/9/4K4 b g 1")
    thought = NetPlayer(evaluator, playouts=200).think(board)
    assert thought.decision.move in {"5i4h", "5i6h", "5i4i", "5i6i"}
