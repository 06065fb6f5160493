"""Epoch metrics, accumulated on the device and read back once per epoch.

Each accumulator keeps running sums as device tensors (`totals`); `update` only
launches tensor ops, so no batch forces a host sync. At the end of an epoch
`read_totals` copies every sum to the host in one transfer and `finalize` turns
them into ratios.

Multi-label (Stages 1-2), prediction = `sigmoid(logit) > 0.5`, i.e. `logit > 0`:
- `accuracy`: element-wise share of correct cells (the seed's gate metric);
- `f1`: per-row F1 averaged over rows; a row with no positive target and no
  positive prediction scores 1 (nothing to find, nothing wrongly claimed);
- `exact_match`: share of rows predicted exactly.
Each comes with `baseline_<name>`: the value an all-zero predictor would get on
the same rows, so a gate can be read against "predict nothing".

Policy/value (Stage 3), over rows whose policy target has mass (empty rows are
counted in `empty_target_rows` / `empty_target_rate`, never silently averaged in):
`policy_cross_entropy`, `top1_accuracy` / `top5_accuracy` (target's argmax among
the top-k logits), the same restricted to legal moves when masks are present
(`legal_policy_cross_entropy`, `legal_top1_accuracy`, `legal_top5_accuracy`), and
for every row `value_brier` (mean squared error of sigmoid(value) against the
result) and `value_bce`.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F


def read_totals(totals: dict[str, Tensor]) -> dict[str, float]:
    """Copy every running sum to the host at once: the epoch's single sync point."""
    names = list(totals)
    values = torch.stack([totals[name].double() for name in names]).cpu().tolist()
    return dict(zip(names, values, strict=True))


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


class MultiLabelMetrics:
    """Accuracy, sample-averaged F1 and exact match of `logits > 0` against 0/1 targets."""

    NAMES = ("accuracy", "f1", "exact_match")

    def __init__(self, device: torch.device) -> None:
        def zero() -> Tensor:
            return torch.zeros((), dtype=torch.float64, device=device)

        self.totals = {
            name: zero()
            for name in ("rows", "cells", "correct", "f1_sum", "exact", "zero_cells", "empty_rows")
        }

    @torch.no_grad()
    def update(self, logits: Tensor, targets: Tensor) -> None:
        predicted = logits > 0
        positive = targets > 0
        rows, width = positive.shape
        true_pos = (predicted & positive).sum(dim=1)
        wrong = (predicted != positive).sum(dim=1)  # false positives + false negatives
        denominator = 2 * true_pos + wrong
        row_f1 = torch.where(
            denominator == 0,
            torch.ones_like(denominator, dtype=torch.float64),
            (2 * true_pos).double() / denominator.clamp(min=1).double(),
        )
        totals = self.totals
        totals["rows"] += rows
        totals["cells"] += rows * width
        totals["correct"] += rows * width - wrong.sum()
        totals["f1_sum"] += row_f1.sum()
        totals["exact"] += (wrong == 0).sum()
        totals["zero_cells"] += (~positive).sum()
        totals["empty_rows"] += (~positive.any(dim=1)).sum()

    @staticmethod
    def finalize(host: dict[str, float]) -> dict[str, float]:
        rows, cells = host["rows"], host["cells"]
        empty_share = _ratio(host["empty_rows"], rows)
        return {
            "accuracy": _ratio(host["correct"], cells),
            "f1": _ratio(host["f1_sum"], rows),
            "exact_match": _ratio(host["exact"], rows),
            # all-zero predictor: right on every negative cell; F1 1 and exact only on empty rows
            "baseline_accuracy": _ratio(host["zero_cells"], cells),
            "baseline_f1": empty_share,
            "baseline_exact_match": empty_share,
        }


class PolicyValueMetrics:
    """Policy cross-entropy and top-k (all and legal-only), value Brier/BCE, empty targets."""

    def __init__(self, device: torch.device) -> None:
        names = (
            "rows", "scored_rows", "policy_ce", "top1", "top5",
            "legal_rows", "legal_ce", "legal_top1", "legal_top5", "random_legal_top1",
            "brier", "value_bce", "value_sum", "value_square_sum",
        )  # fmt: skip
        self.totals = {name: torch.zeros((), dtype=torch.float64, device=device) for name in names}

    @torch.no_grad()
    def update(self, outputs: tuple[Tensor, Tensor], targets: dict[str, Tensor]) -> None:
        """`outputs` = (policy logits (B, 1496), value logits (B,) or (B, 1));
        `targets` = {"policy": (B, 1496), "value": (B,), optional "legal": (B, 1496)}."""
        policy_logits, value_logits = outputs
        policy_targets, value_targets = targets["policy"], targets["value"]
        legal_masks = targets.get("legal")
        policy_logits = policy_logits.float()
        scored = policy_targets.sum(dim=1) > 0  # rows with a policy target to score against
        best = policy_targets.argmax(dim=1, keepdim=True)
        totals = self.totals
        totals["rows"] += scored.numel()
        totals["scored_rows"] += scored.sum()
        totals["policy_ce"] += _cross_entropy(policy_logits, policy_targets)[scored].sum()
        totals["top1"] += _top_k_hits(policy_logits, best, 1)[scored].sum()
        totals["top5"] += _top_k_hits(policy_logits, best, 5)[scored].sum()
        if legal_masks is not None:
            legal_logits = masked_to_legal(policy_logits, legal_masks, policy_targets)
            totals["legal_rows"] += scored.sum()
            totals["legal_ce"] += _cross_entropy(legal_logits, policy_targets)[scored].sum()
            totals["legal_top1"] += _top_k_hits(legal_logits, best, 1)[scored].sum()
            totals["legal_top5"] += _top_k_hits(legal_logits, best, 5)[scored].sum()
            # A uniformly random legal move hits the most-played one with chance 1/n_legal.
            legal_counts = (legal_masks > 0).sum(dim=1).clamp(min=1)
            totals["random_legal_top1"] += (1.0 / legal_counts.double())[scored].sum()
        value_logits = value_logits.float().reshape(-1)
        value_targets = value_targets.float().reshape(-1)
        totals["brier"] += (torch.sigmoid(value_logits) - value_targets).square().sum()
        totals["value_bce"] += F.binary_cross_entropy_with_logits(
            value_logits, value_targets, reduction="sum"
        )
        totals["value_sum"] += value_targets.double().sum()
        totals["value_square_sum"] += value_targets.double().square().sum()

    @staticmethod
    def finalize(host: dict[str, float]) -> dict[str, float]:
        rows, scored = host["rows"], host["scored_rows"]
        metrics = {
            "policy_cross_entropy": _ratio(host["policy_ce"], scored),
            "top1_accuracy": _ratio(host["top1"], scored),
            "top5_accuracy": _ratio(host["top5"], scored),
            "value_brier": _ratio(host["brier"], rows),
            "value_bce": _ratio(host["value_bce"], rows),
            "empty_target_rows": rows - scored,
            "empty_target_rate": _ratio(rows - scored, rows),
            "value_target_mean": _ratio(host["value_sum"], rows),
            "value_target_mean_square": _ratio(host["value_square_sum"], rows),
        }
        if host["legal_rows"]:
            legal_rows = host["legal_rows"]
            metrics["legal_policy_cross_entropy"] = host["legal_ce"] / legal_rows
            metrics["legal_top1_accuracy"] = host["legal_top1"] / legal_rows
            metrics["legal_top5_accuracy"] = host["legal_top5"] / legal_rows
            metrics["random_legal_top1_accuracy"] = host["random_legal_top1"] / legal_rows
        return metrics


def brier_of_constant(prediction: float, metrics: dict[str, float]) -> float:
    """Brier score of always predicting `prediction` on the rows `metrics` were taken over.

    With the training rows' mean value target as `prediction` this is the baseline a
    value head has to beat: mean((c - v)^2) = E[v^2] - 2 c E[v] + c^2.
    """
    return (
        metrics["value_target_mean_square"]
        - 2 * prediction * metrics["value_target_mean"]
        + prediction * prediction
    )


def masked_to_legal(logits: Tensor, legal_masks: Tensor, policy_targets: Tensor) -> Tensor:
    """Logits with illegal moves pushed to the dtype's minimum (softmax weight 0).

    A move the target gives mass to is never masked, so a target/mask disagreement
    shows up as a large but finite loss instead of an infinite one.
    """
    keep = (legal_masks > 0) | (policy_targets > 0)
    return logits.masked_fill(~keep, torch.finfo(logits.dtype).min)


def _cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """Per-row cross-entropy of log-softmax(logits) against a target distribution."""
    log_probs = F.log_softmax(logits, dim=1)
    return -(targets * log_probs).sum(dim=1)


def _top_k_hits(logits: Tensor, best: Tensor, k: int) -> Tensor:
    top = logits.topk(min(k, logits.shape[1]), dim=1).indices
    return (top == best).any(dim=1)
