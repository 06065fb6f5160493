"""A trained stage's model, loaded back from a run's checkpoints, explaining one position.

`load_stage_predictor(run_dir, stage)` finds the stage's checkpoint files in the
run's `result.json` (Stages 1-2: backbone + head, saved once the gate was met;
Stage 3: the policy/value file) and rebuilds the model on the CPU in eval mode.
`StagePredictor.explain(...)` turns one position into two (9, 9) heatmaps, truth
and prediction, plus a one-line summary:

- Stage 1: reachable squares vs sigmoid probabilities per square;
- Stage 2: legal moves per destination square vs the summed sigmoid
  probabilities per destination (the expected number of legal moves ending there);
- Stage 3: played-move frequencies per destination vs the policy's probability
  mass per destination, with the top moves in USI and the value next to its target.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from maou_kit.viz.board import destination_grid
from maou_kit.viz.runs import read_result


@dataclass(frozen=True)
class PositionPrediction:
    truth: np.ndarray  # (9, 9)
    predicted: np.ndarray  # (9, 9)
    truth_title: str
    predicted_title: str
    colorbar_label: str
    summary: str


class StagePredictor:
    """A stage's model in eval mode on the CPU, applied to one encoded position at a time."""

    def __init__(self, stage: int, model: nn.Module) -> None:
        if stage not in (1, 2, 3):
            raise ValueError(f"stage must be 1, 2 or 3, got {stage!r}")
        self.stage = stage
        self.model = model.cpu().eval()

    @torch.no_grad()
    def outputs(self, board: np.ndarray, hand: np.ndarray) -> tuple[np.ndarray, float | None]:
        """(probabilities, value): sigmoid per cell for Stages 1-2; softmax policy and
        sigmoid value for Stage 3."""
        inputs = (
            torch.tensor(np.asarray(board, dtype=np.uint8).reshape(1, 9, 9)),  # copies: tables
            torch.tensor(np.asarray(hand, dtype=np.uint8).reshape(1, 14)),  # give read-only arrays
        )
        if self.stage == 3:
            policy_logits, value_logit = self.model(inputs)
            policy = torch.softmax(policy_logits.float(), dim=1)[0].numpy()
            return policy, float(torch.sigmoid(value_logit.float()).reshape(-1)[0])
        return torch.sigmoid(self.model(inputs).float())[0].numpy(), None

    def explain(
        self,
        board: np.ndarray,
        hand: np.ndarray,
        target: np.ndarray,
        value_target: float | None = None,
    ) -> PositionPrediction:
        """Truth and prediction heatmaps of one position and a summary line."""
        probabilities, value = self.outputs(board, hand)
        target = np.asarray(target, dtype=np.float64).reshape(-1)
        if self.stage == 1:
            return PositionPrediction(
                target.reshape(9, 9), probabilities.reshape(9, 9),
                "truth: reachable squares", "model: P(reachable)", "probability",
                _hits("reachable squares", target, probabilities),
            )  # fmt: skip
        if self.stage == 2:
            return PositionPrediction(
                destination_grid(target), destination_grid(probabilities),
                "truth: legal moves per destination", "model: expected legal moves per destination",
                "moves ending on the square", _hits("legal moves", target, probabilities),
            )  # fmt: skip
        return PositionPrediction(
            destination_grid(target), destination_grid(probabilities),
            "truth: played-move share per destination", "model: policy mass per destination",
            "probability", _policy_summary(board, hand, target, probabilities, value, value_target),
        )  # fmt: skip


def load_stage_predictor(run_dir: str | Path, stage: int) -> StagePredictor:
    """The stage's model from the checkpoints named in `<run_dir>/result.json`."""
    from maou_kit.eval import load_model

    result = read_result(run_dir)
    entry = result["stages"].get(str(stage))
    if entry is None:
        raise ValueError(
            f"{run_dir}: result.json has no stage {stage} (stages: {', '.join(result['stages'])})"
        )
    if not entry.get("checkpoints"):
        raise ValueError(
            f"{run_dir}: stage {stage} saved no checkpoint (run status {result['status']}; "
            "Stages 1-2 save weights only once they meet their gate)"
        )
    return StagePredictor(stage, load_model(run_dir, stage).model)


def _hits(what: str, target: np.ndarray, probabilities: np.ndarray) -> str:
    truth = target > 0
    predicted = probabilities > 0.5
    right = int((truth & predicted).sum())
    wrong = int((~truth & predicted).sum())
    missed = int((truth & ~predicted).sum())
    denominator = 2 * right + wrong + missed
    f1 = 1.0 if denominator == 0 else 2 * right / denominator
    return (
        f"{int(truth.sum())} {what}; model predicts {int(predicted.sum())} at p > 0.5: "
        f"{right} right, {wrong} wrong, {missed} missed (F1 {f1:.2f})"
    )


def _policy_summary(
    board: np.ndarray,
    hand: np.ndarray,
    target: np.ndarray,
    policy: np.ndarray,
    value: float | None,
    value_target: float | None,
) -> str:
    from maou_kit.shogi import sfen_from_encoded

    sfen = sfen_from_encoded(np.asarray(board).reshape(9, 9), np.asarray(hand).reshape(14))
    played = int(np.argmax(target))
    top = [int(label) for label in np.argsort(policy)[::-1][:3]]
    moves = ", ".join(f"{_usi(sfen, label)} {policy[label]:.1%}" for label in top)
    value_text = f"value: model {value:.2f}" + (
        f", target {value_target:.2f}" if value_target is not None else ""
    )
    return f"most played: {_usi(sfen, played)} ({target[played]:.0%}); model's top 3: {moves}; {value_text}"


def _usi(sfen: str, label: int) -> str:
    from maou_kit.shogi import label_to_usi

    try:
        return label_to_usi(sfen, label)
    except ValueError:
        return f"label {label} (illegal here)"
