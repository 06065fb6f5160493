"""Policy figures of `evaluate` on cases with known answers: an oracle scores top-1 1.0, a
network that bets on an illegal move leaks 1.0, legal-restricted figures ignore illegal
labels, and the uniform-legal-move baseline is 1/n, min(5, n)/n, log n."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from maou_kit.eval import LoadedModel, evaluate
from maou_kit.eval.policy_metrics import policy_figures
from maou_kit.eval.positions import load_positions
from maou_kit.shogi import legal_moves_mask, move_label
from tests._eval_models import ScriptedPolicy, games_of

START = "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"  # 30 legal moves
GAME = ["7g7f", "3c3d", "8h2b+", "3a2b", "B*4e", "8c8d"]  # with a promotion and a drop


@pytest.fixture(scope="module")
def positions():
    return load_positions(games_of([GAME], [1]))


def _scripted(positions, labels, **options) -> LoadedModel:
    network = ScriptedPolicy(positions.boards, positions.hands, labels, **options)
    return LoadedModel(3, network, {}, {})


def test_a_network_that_plays_the_recorded_move_scores_top1_one(positions):
    result = evaluate(_scripted(positions, positions.move_labels), positions, bootstrap=20)
    policy = result["figures"]["policy"]
    assert policy["top1"]["value"] == 1.0
    assert policy["legal_top1"]["value"] == 1.0
    assert policy["top1"]["ci_low"] == policy["top1"]["ci_high"] == 1.0
    assert policy["cross_entropy"]["value"] < 1e-6


def test_all_mass_on_one_illegal_move_leaks_one(positions):
    illegal = positions.legal_masks.argmin(axis=1)  # the first illegal label of each position
    assert (positions.legal_masks[np.arange(len(illegal)), illegal] == 0).all()
    result = evaluate(_scripted(positions, illegal, big=200.0), positions, bootstrap=20)
    policy = result["figures"]["policy"]
    assert policy["illegal_mass"]["value"] == 1.0
    assert policy["illegal_top1"]["value"] == 1.0
    assert policy["illegal_in_top5"]["value"] == 1.0
    assert policy["top1"]["value"] == 0.0


def test_legal_restricted_figures_ignore_illegal_labels():
    legal = torch.from_numpy(legal_moves_mask(START)[None])
    played, other = move_label(START, "7g7f"), move_label(START, "2g2f")
    illegal = int(np.nonzero(legal_moves_mask(START) == 0)[0][0])
    logits = torch.zeros(1, 1496)
    logits[0, illegal], logits[0, played], logits[0, other] = 10.0, 5.0, 4.0
    figures = policy_figures(logits, torch.tensor([played]), legal)
    assert figures["top1"].item() == 0.0
    assert figures["legal_top1"].item() == 1.0
    # Over the 30 legal moves only: logits 5, 4 and 28 zeros.
    expected = math.log(math.exp(5) + math.exp(4) + 28) - 5
    assert figures["legal_cross_entropy"].item() == pytest.approx(expected, rel=1e-5)
    assert figures["cross_entropy"].item() > expected + 4  # the illegal label takes most mass


def test_uniform_legal_move_baseline_is_one_over_the_number_of_legal_moves():
    legal = torch.from_numpy(legal_moves_mask(START)[None])
    figures = policy_figures(torch.zeros(1, 1496), torch.tensor([move_label(START, "7g7f")]), legal)
    assert figures["uniform_top1"].item() == pytest.approx(1 / 30)
    assert figures["uniform_top5"].item() == pytest.approx(5 / 30)
    assert figures["uniform_cross_entropy"].item() == pytest.approx(math.log(30))
