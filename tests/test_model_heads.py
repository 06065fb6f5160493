"""Locks down the four heads: output shapes, logits (not probabilities), optional hidden layers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from maou_kit.model import LegalMovesHead, PolicyHead, ReachableSquaresHead, ValueHead
from maou_kit.schema import MOVE_LABELS_NUM

IN_DIM = 32


@pytest.mark.parametrize(
    ("head", "width"),
    [
        (ReachableSquaresHead(IN_DIM), 81),
        (ReachableSquaresHead(IN_DIM, hidden_dim=16), 81),
        (LegalMovesHead(IN_DIM), MOVE_LABELS_NUM),
        (LegalMovesHead(IN_DIM, hidden_dim=16, dropout=0.1), MOVE_LABELS_NUM),
        (PolicyHead(IN_DIM), MOVE_LABELS_NUM),
        (PolicyHead(IN_DIM, hidden_dim=16), MOVE_LABELS_NUM),
        (ValueHead(IN_DIM), 1),
        (ValueHead(IN_DIM, hidden_dim=None), 1),
    ],
)
def test_head_maps_features_to_its_logits(head: nn.Module, width: int) -> None:
    logits = head(torch.randn(3, IN_DIM))
    assert logits.shape == (3, width)


def test_heads_return_unbounded_logits_not_probabilities() -> None:
    torch.manual_seed(0)
    head = ValueHead(IN_DIM, hidden_dim=None)
    logits = head(100.0 * torch.randn(64, IN_DIM))
    assert logits.min() < 0 < logits.max()
    assert logits.abs().max() > 1


def test_hidden_dim_none_is_a_single_linear_layer() -> None:
    linears = [m for m in PolicyHead(IN_DIM).modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(IN_DIM, MOVE_LABELS_NUM)]


def test_hidden_dim_inserts_one_hidden_layer() -> None:
    linears = [
        m for m in LegalMovesHead(IN_DIM, hidden_dim=16).modules() if isinstance(m, nn.Linear)
    ]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (IN_DIM, 16),
        (16, MOVE_LABELS_NUM),
    ]


def test_legal_moves_dropout_is_active_in_training_only() -> None:
    torch.manual_seed(0)
    head = LegalMovesHead(IN_DIM, hidden_dim=16, dropout=0.5)
    features = torch.randn(4, IN_DIM)
    head.train()
    assert not torch.equal(head(features), head(features))
    head.eval()
    assert torch.equal(head(features), head(features))
