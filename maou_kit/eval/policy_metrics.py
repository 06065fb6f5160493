"""Per-position policy figures of one batch: accuracy against the played move, legal-restricted
accuracy, cross-entropy, entropy, illegal-move leakage and the uniform-legal-move baseline.

Everything is computed on whole batches with tensor operations and returned per position
(float32 arrays), so the caller can average them over any subset of positions and
resample them by game for confidence intervals.

- `top1`, `top5`: the target move (played move; for a Stage 3 table its most played move)
  is the argmax / among the 5 largest logits over all 1496 labels.
- `legal_*`: the same with illegal labels' logits set to -inf first, i.e. the policy
  renormalised over the legal moves (a label the target gives mass to is never masked,
  as in training's `masked_to_legal`, so a target/mask disagreement stays finite).
- `cross_entropy`: -sum(target * log_softmax(logits)); `legal_cross_entropy` on the
  legal-restricted logits.
- `entropy`, `legal_entropy`: entropy (nats) of the full and of the legal-restricted policy.
- `illegal_mass`: softmax probability on illegal labels; `illegal_top1`: the argmax is an
  illegal label; `illegal_in_top5`: at least one of the 5 largest logits is illegal.
- `uniform_top1` = 1/n, `uniform_top5` = min(5, n)/n, `uniform_cross_entropy` = log n for a
  position with n legal moves: a player picking uniformly among the legal moves.
"""

from __future__ import annotations

import torch
from torch import Tensor

POLICY_FIGURES = (
    "top1", "top5", "legal_top1", "legal_top5", "cross_entropy", "legal_cross_entropy",
    "entropy", "legal_entropy", "illegal_mass", "illegal_top1", "illegal_in_top5",
    "uniform_top1", "uniform_top5", "uniform_cross_entropy",
)  # fmt: skip


def _dot(left: Tensor, right: Tensor) -> Tensor:
    """Row-wise dot product as a batched matrix product (faster on CPU than multiply + sum)."""
    return torch.bmm(left.unsqueeze(1), right.unsqueeze(2)).reshape(-1)


def policy_figures(
    logits: Tensor,
    move_labels: Tensor,
    legal_masks: Tensor,
    policy_targets: Tensor | None = None,
) -> dict[str, Tensor]:
    """Per-position figures (float32 (B,)) of policy `logits` (B, 1496).

    `move_labels` (B,) is the target move; `legal_masks` (B, 1496) 0/1; `policy_targets`
    (B, 1496) a target distribution for the cross-entropy (one-hot of `move_labels` if None).
    """
    # This runs on every evaluated position, so it is written as few full-width passes as
    # possible. With log Z the log partition function, log p = logits - log Z; log Z is read
    # off the top probability (log Z = max logit - log p_max, and p_max >= 1/1496 never
    # underflows), so softmax is the only exponentiation. Cross-entropy against a target is
    # log Z - logits[target] and entropy is log Z - sum(p * logits); the same with the
    # legal-restricted softmax gives the legal-only figures.
    logits = logits.float()
    rows = torch.arange(len(logits))
    legal = legal_masks > 0
    masked_out = ~legal
    masked_out[rows, move_labels] = False
    if policy_targets is not None:
        policy_targets = policy_targets.float()
        masked_out &= policy_targets <= 0
    legal_logits = logits.masked_fill(masked_out, float("-inf"))
    top5_logits, top5 = logits.topk(5, dim=1)
    legal_top5_logits, legal_top5 = legal_logits.topk(5, dim=1)
    probs = torch.softmax(logits, dim=1)
    legal_probs = torch.softmax(legal_logits, dim=1)
    log_partition = top5_logits[:, 0] - probs.gather(1, top5[:, :1]).squeeze(1).log()
    legal_log_partition = (
        legal_top5_logits[:, 0] - legal_probs.gather(1, legal_top5[:, :1]).squeeze(1).log()
    )
    if policy_targets is None:
        target_logits = logits[rows, move_labels]
        cross_entropy = log_partition - target_logits
        legal_cross_entropy = legal_log_partition - target_logits
    else:
        target_mass, target_logits = policy_targets.sum(dim=1), _dot(policy_targets, logits)
        cross_entropy = log_partition * target_mass - target_logits
        legal_cross_entropy = legal_log_partition * target_mass - target_logits
    top5_illegal = ~legal.gather(1, top5)
    legal_float = legal.float()
    legal_counts = legal_float.sum(dim=1).clamp(min=1)
    figures = {
        "top1": top5[:, 0] == move_labels,
        "top5": (top5 == move_labels[:, None]).any(dim=1),
        "legal_top1": legal_top5[:, 0] == move_labels,
        "legal_top5": (legal_top5 == move_labels[:, None]).any(dim=1),
        "cross_entropy": cross_entropy,
        "legal_cross_entropy": legal_cross_entropy,
        "entropy": log_partition - _dot(probs, logits),
        "legal_entropy": legal_log_partition - _dot(legal_probs, logits),
        "illegal_mass": (1.0 - _dot(probs, legal_float)).clamp(min=0.0),
        "illegal_top1": top5_illegal[:, 0],
        "illegal_in_top5": top5_illegal.any(dim=1),
        "uniform_top1": 1.0 / legal_counts,
        "uniform_top5": legal_counts.clamp(max=5) / legal_counts,
        "uniform_cross_entropy": legal_counts.log(),
    }
    return {name: value.float() for name, value in figures.items()}
