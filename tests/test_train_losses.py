"""Locks down the losses: weighted BCE, the Asymmetric Loss (reduces to BCE with no
focusing and no clip; discards negatives below the clip margin), the policy
cross-entropy with and without legal masking, and the value BCE."""

from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from maou_kit.train.losses import (
    AsymmetricLoss,
    WeightedBCEWithLogits,
    policy_cross_entropy,
    value_bce,
)


def test_weighted_bce_matches_torch_with_pos_weight_on_uint8_targets():
    logits = torch.tensor([[0.3, -1.2, 2.0]])
    targets = torch.tensor([[1, 0, 1]], dtype=torch.uint8)
    expected = F.binary_cross_entropy_with_logits(
        logits, targets.float(), pos_weight=torch.tensor(3.0)
    )
    assert WeightedBCEWithLogits(3.0)(logits, targets) == pytest.approx(expected.item())


def test_asymmetric_loss_without_focusing_or_clip_is_bce():
    logits = torch.tensor([[0.3, -1.2, 2.0, -0.4]])
    targets = torch.tensor([[1, 0, 1, 0]], dtype=torch.uint8)
    expected = F.binary_cross_entropy_with_logits(logits, targets.float())
    loss = AsymmetricLoss(gamma_pos=0.0, gamma_neg=0.0, clip=0.0)(logits, targets)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_asymmetric_loss_ignores_negatives_below_the_clip_margin():
    # sigmoid(-4) ~ 0.018 < clip 0.05: the shifted probability is 0, so the loss is 0
    loss = AsymmetricLoss(gamma_pos=0.0, gamma_neg=4.0, clip=0.05)(
        torch.tensor([[-4.0]]), torch.tensor([[0]], dtype=torch.uint8)
    )
    assert loss.item() == pytest.approx(0.0, abs=1e-7)


def test_asymmetric_loss_focuses_negatives_by_gamma_neg():
    logit, clip, gamma = 1.0, 0.05, 2.0
    p_shifted = max(torch.sigmoid(torch.tensor(logit)).item() - clip, 0.0)
    expected = -(p_shifted**gamma) * math.log(1 - p_shifted)
    loss = AsymmetricLoss(gamma_pos=0.0, gamma_neg=gamma, clip=clip)(
        torch.tensor([[logit]]), torch.tensor([[0]], dtype=torch.uint8)
    )
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_policy_cross_entropy_of_a_one_hot_target():
    logits = torch.tensor([[1.0, 2.0, 3.0]])
    target = torch.tensor([[0.0, 0.0, 1.0]])
    expected = -F.log_softmax(logits, dim=1)[0, 2]
    assert policy_cross_entropy(logits, target).item() == pytest.approx(expected.item())


def test_legal_masking_removes_illegal_moves_from_the_softmax():
    logits = torch.tensor([[1.0, 2.0, 3.0]])
    target = torch.tensor([[0.0, 1.0, 0.0]])
    legal = torch.tensor([[1, 1, 0]], dtype=torch.uint8)
    expected = -F.log_softmax(torch.tensor([[1.0, 2.0]]), dim=1)[0, 1]
    assert policy_cross_entropy(logits, target, legal).item() == pytest.approx(expected.item())


def test_value_bce_accepts_a_column_of_logits():
    loss = value_bce(torch.tensor([[0.0], [0.0]]), torch.tensor([1.0, 0.0]))
    assert loss.item() == pytest.approx(math.log(2))
