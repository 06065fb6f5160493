"""Per-position figures of a Stage 1 or Stage 2 network (reachable squares / legal moves).

The definitions are those of training's gate (`maou_kit.train.metrics.MultiLabelMetrics`),
so an evaluation figure can be read against the gate: prediction = `logit > 0`;
- `f1`: the row's F1 (2 TP / (2 TP + FP + FN)); a row with no positive target and no
  positive prediction scores 1; averaged over rows this is the sample-averaged F1;
- `exact_match`: the whole row is predicted right;
- `accuracy`: the row's share of correct cells (its mean over rows is the element-wise
  accuracy, since every row has the same width);
- `baseline_*`: the same for an all-zero predictor (F1 and exact match 1 only on empty rows).
"""

from __future__ import annotations

import torch
from torch import Tensor

MULTILABEL_FIGURES = (
    "f1", "exact_match", "accuracy", "baseline_f1", "baseline_exact_match", "baseline_accuracy",
)  # fmt: skip


def multilabel_figures(logits: Tensor, targets: Tensor) -> dict[str, Tensor]:
    """Per-row figures (float32 (B,)) of (B, W) logits against 0/1 targets."""
    predicted = logits > 0
    positive = targets > 0
    width = positive.shape[1]
    true_pos = (predicted & positive).sum(dim=1)
    wrong = (predicted != positive).sum(dim=1)
    denominator = 2 * true_pos + wrong
    f1 = torch.where(
        denominator == 0,
        torch.ones_like(denominator, dtype=torch.float32),
        (2 * true_pos).float() / denominator.clamp(min=1).float(),
    )
    empty = (~positive.any(dim=1)).float()
    return {
        "f1": f1,
        "exact_match": (wrong == 0).float(),
        "accuracy": 1.0 - wrong.float() / width,
        "baseline_f1": empty,
        "baseline_exact_match": empty,
        "baseline_accuracy": (~positive).sum(dim=1).float() / width,
    }
