"""Locks down the metrics on hand-made cases: element-wise accuracy, sample-averaged F1,
exact match and their all-zero baselines; policy top-1/top-5 against the target's
argmax, legal-restricted top-1, value Brier score and the empty-target row count."""

from __future__ import annotations

import math

import pytest
import torch

from maou_kit.train.metrics import (
    MultiLabelMetrics,
    PolicyValueMetrics,
    brier_of_constant,
    read_totals,
)

CPU = torch.device("cpu")


def _multilabel(logits, targets) -> dict[str, float]:
    metrics = MultiLabelMetrics(CPU)
    metrics.update(
        torch.tensor(logits, dtype=torch.float32), torch.tensor(targets, dtype=torch.uint8)
    )
    return metrics.finalize(read_totals(metrics.totals))


def test_multilabel_metrics_on_a_hand_made_batch():
    # row 0: predict {0, 1}, target {0, 2} -> tp 1, fp 1, fn 1 -> F1 0.5, 2 of 4 cells right
    # row 1: predict {3},    target {3}    -> exact, F1 1, 4 of 4 cells right
    logits = [[5.0, 5.0, -5.0, -5.0], [-5.0, -5.0, -5.0, 5.0]]
    targets = [[1, 0, 1, 0], [0, 0, 0, 1]]
    result = _multilabel(logits, targets)
    assert result["accuracy"] == pytest.approx(6 / 8)
    assert result["f1"] == pytest.approx((0.5 + 1.0) / 2)
    assert result["exact_match"] == pytest.approx(1 / 2)


def test_all_zero_predictor_scores_its_baseline():
    targets = [[1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 1, 0]]
    result = _multilabel([[-1.0] * 4] * 3, targets)
    assert result["accuracy"] == pytest.approx(9 / 12) == result["baseline_accuracy"]
    # only the empty row is right: F1 1 there (nothing to find, nothing claimed), 0 elsewhere
    assert result["f1"] == pytest.approx(1 / 3) == result["baseline_f1"]
    assert result["exact_match"] == pytest.approx(1 / 3) == result["baseline_exact_match"]


def test_logit_zero_is_a_negative_prediction():
    result = _multilabel([[0.0, 0.0]], [[0, 0]])
    assert result["exact_match"] == 1.0


def test_accumulates_across_batches():
    metrics = MultiLabelMetrics(CPU)
    metrics.update(torch.tensor([[1.0, -1.0]]), torch.tensor([[1, 0]], dtype=torch.uint8))
    metrics.update(torch.tensor([[1.0, 1.0]]), torch.tensor([[0, 0]], dtype=torch.uint8))
    result = metrics.finalize(read_totals(metrics.totals))
    assert result["accuracy"] == pytest.approx(2 / 4)
    assert result["exact_match"] == pytest.approx(1 / 2)


def _policy_value(policy_logits, value_logits, policy_targets, values, legal=None):
    metrics = PolicyValueMetrics(CPU)
    targets = {"policy": torch.tensor(policy_targets), "value": torch.tensor(values)}
    if legal is not None:
        targets["legal"] = torch.tensor(legal, dtype=torch.uint8)
    metrics.update((torch.tensor(policy_logits), torch.tensor(value_logits)), targets)
    return metrics.finalize(read_totals(metrics.totals))


# Six labels; logits rank labels 5 > 4 > 3 > 2 > 1 > 0.
RANKED = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_top1_and_top5_use_the_argmax_of_the_target_distribution():
    policy_targets = [
        [0.0, 0.0, 0.0, 0.0, 0.2, 0.8],  # best 5: top-1 hit
        [0.0, 0.0, 0.7, 0.0, 0.3, 0.0],  # best 2: rank 4 -> top-5 hit only
        [0.9, 0.1, 0.0, 0.0, 0.0, 0.0],  # best 0: rank 6 -> miss
    ]
    result = _policy_value([RANKED] * 3, [0.0] * 3, policy_targets, [0.5] * 3)
    assert result["top1_accuracy"] == pytest.approx(1 / 3)
    assert result["top5_accuracy"] == pytest.approx(2 / 3)


def test_legal_restricted_top1_ignores_illegal_moves():
    # label 5 has the highest logit but is illegal; best legal-ranked is label 4 = target
    legal = [[1, 1, 1, 1, 1, 0]]
    result = _policy_value([RANKED], [0.0], [[0.0, 0.0, 0.0, 0.0, 1.0, 0.0]], [1.0], legal)
    assert result["top1_accuracy"] == 0.0
    assert result["legal_top1_accuracy"] == 1.0
    # illegal label 5 removed: softmax over 0..4 -> CE = logsumexp(0..4) - 4
    expected = math.log(sum(math.exp(v) for v in RANKED[:5])) - 4.0
    assert result["legal_policy_cross_entropy"] == pytest.approx(expected, rel=1e-5)


def test_policy_cross_entropy_against_a_one_hot_target():
    result = _policy_value([RANKED], [0.0], [[0.0, 0.0, 0.0, 0.0, 0.0, 1.0]], [1.0])
    expected = math.log(sum(math.exp(v) for v in RANKED)) - 5.0
    assert result["policy_cross_entropy"] == pytest.approx(expected, rel=1e-5)


def test_value_brier_score():
    # sigmoid(0) = 0.5 against 1 -> 0.25; sigmoid(large) ~ 1 against 1 -> 0
    result = _policy_value([RANKED] * 2, [0.0, 50.0], [[0, 0, 0, 0, 0, 1.0]] * 2, [1.0, 1.0])
    assert result["value_brier"] == pytest.approx(0.125)


def test_empty_target_rows_are_counted_and_left_out_of_policy_metrics():
    policy_targets = [[0.0] * 6, [0.0, 0.0, 0.0, 0.0, 0.0, 1.0], [0.0] * 6]
    result = _policy_value([RANKED] * 3, [0.0] * 3, policy_targets, [0.5] * 3)
    assert result["empty_target_rows"] == 2
    assert result["empty_target_rate"] == pytest.approx(2 / 3)
    assert result["top1_accuracy"] == 1.0  # the one scored row is a hit


def test_legal_metrics_are_absent_without_masks():
    result = _policy_value([RANKED], [0.0], [[0, 0, 0, 0, 0, 1.0]], [1.0])
    assert "legal_top1_accuracy" not in result


def test_random_legal_move_baseline_is_the_mean_of_one_over_legal_counts():
    legal = [[1, 1, 0, 0, 0, 1], [0, 1, 0, 0, 0, 1]]  # 3 and 2 legal moves
    targets = [[0, 0, 0, 0, 0, 1.0]] * 2
    result = _policy_value([RANKED] * 2, [0.0] * 2, targets, [1.0, 0.0], legal)
    assert result["random_legal_top1_accuracy"] == pytest.approx((1 / 3 + 1 / 2) / 2)


def test_brier_of_a_constant_prediction_matches_its_direct_computation():
    values = [1.0, 0.0, 0.5, 1.0]
    result = _policy_value([RANKED] * 4, [0.0] * 4, [[0, 0, 0, 0, 0, 1.0]] * 4, values)
    expected = sum((0.3 - v) ** 2 for v in values) / 4
    assert brier_of_constant(0.3, result) == pytest.approx(expected)
