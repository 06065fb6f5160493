"""Value figures on hand-computed cases: Brier of a constant predictor, ECE of calibrated and
overconfident predictions (equal-count bins), the log-loss-minimising temperature, and sign
accuracy that leaves draws out."""

from __future__ import annotations

import numpy as np
import pytest

from maou_kit.eval import LoadedModel, evaluate
from maou_kit.eval.positions import load_positions
from maou_kit.eval.value_metrics import (
    best_temperature,
    expected_calibration_error,
    reliability_bins,
    value_figures,
)
from tests._eval_models import ScriptedPolicy, games_of


def test_constant_predictor_brier_equals_the_hand_computed_value():
    # Black wins a 3-move game: Black movers (plies 0, 2) score 1, the White mover 0; a draw: 0.5.
    positions = load_positions(games_of([["7g7f", "3c3d", "2g2f"], ["2g2f"]], [1, 0]))
    network = ScriptedPolicy(
        positions.boards, positions.hands, positions.move_labels, value_logit=np.log(0.7 / 0.3)
    )
    result = evaluate(LoadedModel(3, network, {}, {}), positions, bootstrap=20, train_mean=0.6)
    value = result["figures"]["value"]
    outcomes = np.array([1, 0, 1, 0.5])
    assert value["brier"]["value"] == pytest.approx(np.mean((0.7 - outcomes) ** 2), abs=1e-6)
    assert value["constant_brier"]["value"] == pytest.approx(np.mean((0.6 - outcomes) ** 2))
    assert result["value_baseline"] == {"constant": 0.6, "source": "--train-mean"}


def test_sign_accuracy_leaves_draws_out():
    figures = value_figures(np.array([2.0, -1.0, 3.0]), np.array([1.0, 1.0, 0.5]), 0.5)
    assert np.isnan(figures["sign_accuracy"][2])
    assert list(figures["sign_accuracy"][:2]) == [1.0, 0.0]


def test_ece_of_perfectly_calibrated_predictions_is_zero():
    predictions = np.linspace(0.01, 0.99, 500)
    assert expected_calibration_error(predictions, predictions, bins=10) == pytest.approx(
        0.0, abs=1e-12
    )
    rng = np.random.default_rng(0)
    sampled = rng.random(200_000)
    outcomes = (rng.random(200_000) < sampled).astype(float)
    assert expected_calibration_error(sampled, outcomes, bins=10) < 0.01


def test_ece_of_an_overconfident_predictor_is_the_hand_value():
    # Says 0.9 everywhere, right 70% of the time: one bin (ties share a bin), gap 0.2.
    outcomes = np.array([1.0] * 7 + [0.0] * 3)
    assert expected_calibration_error(np.full(10, 0.9), outcomes, bins=10) == pytest.approx(0.2)
    # Two levels, 5 positions each, 2 bins: gaps 0 and 0.2, weighted 1/2 each.
    predictions = np.array([0.2] * 5 + [0.8] * 5)
    outcomes = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1.0])
    assert expected_calibration_error(predictions, outcomes, bins=2) == pytest.approx(0.1)


def test_reliability_bins_hold_mean_prediction_observed_rate_and_count():
    predictions = np.array([0.2] * 5 + [0.8] * 5)
    outcomes = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1.0])
    assert reliability_bins(predictions[::-1], outcomes[::-1], bins=2) == [
        {"mean_prediction": pytest.approx(0.2), "observed": pytest.approx(0.2), "count": 5},
        {"mean_prediction": pytest.approx(0.8), "observed": pytest.approx(1.0), "count": 5},
    ]


def test_reliability_bins_are_the_ece_bins():
    rng = np.random.default_rng(1)
    predictions = np.round(rng.random(997), 2)  # ties: a bin edge must not split them
    outcomes = (rng.random(997) < predictions**2).astype(float)
    bins = reliability_bins(predictions, outcomes, bins=10)
    assert sum(b["count"] for b in bins) == 997 and len(bins) <= 10
    gap = sum(b["count"] * abs(b["mean_prediction"] - b["observed"]) for b in bins) / 997
    assert gap == pytest.approx(float(expected_calibration_error(predictions, outcomes, 10)))


def test_best_temperature_recovers_the_overconfidence_factor():
    logits = np.linspace(-6, 6, 101)
    outcomes = 1 / (1 + np.exp(-logits / 2.5))  # the truth is the logit divided by 2.5
    assert best_temperature(logits, outcomes) == pytest.approx(2.5, rel=1e-6)


def test_positions_of_games_without_a_result_count_for_the_policy_only():
    positions = load_positions(games_of([["7g7f", "3c3d", "2g2f"], ["2g2f", "8c8d"]], [1, -1]))
    network = ScriptedPolicy(
        positions.boards, positions.hands, positions.move_labels, value_logit=np.log(0.7 / 0.3)
    )
    result = evaluate(LoadedModel(3, network, {}, {}), positions, bootstrap=20)
    assert result["data"]["positions_without_result"] == 2
    assert result["figures"]["policy"]["top1"]["n"] == 5
    value = result["figures"]["value"]
    assert value["brier"]["n"] == 3
    assert value["brier"]["value"] == pytest.approx(
        np.mean((0.7 - np.array([1, 0, 1])) ** 2), abs=1e-6
    )
    assert value["expected_calibration_error"]["n"] == 3
    assert value["expected_calibration_error"]["reliability"] == [
        {"mean_prediction": pytest.approx(0.7), "observed": pytest.approx(2 / 3), "count": 3}
    ]
