"""Loss functions of the three stages. Every loss takes raw logits and returns a batch mean.

- Stages 1-2: BCE-with-logits with `pos_weight` (the weight of positive cells), or
  the Asymmetric Loss of Ridnik et al. 2021 ("Asymmetric Loss For Multi-Label
  Classification"): focusing exponents `gamma_pos` / `gamma_neg` and a probability
  margin `clip` that discards very easy negatives. Both are averaged over cells so
  their scale does not depend on the label width.
- Stage 3: policy cross-entropy of log-softmax against the target distribution
  (optionally with illegal moves masked out of the softmax), and value BCE-with-logits
  against the result in [0, 1], mixed by the policy/value loss ratios.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from maou_kit.train.metrics import masked_to_legal
from maou_kit.train.stages import StageConfig


class WeightedBCEWithLogits(nn.Module):
    """`binary_cross_entropy_with_logits` with a scalar `pos_weight`; targets may be uint8."""

    def __init__(self, pos_weight: float = 1.0) -> None:
        super().__init__()
        self.pos_weight = pos_weight

    def forward(self, logits: Tensor, targets: Tensor) -> Tensor:
        logits = logits.float()
        weight = torch.tensor(self.pos_weight, dtype=logits.dtype, device=logits.device)
        return F.binary_cross_entropy_with_logits(
            logits, targets.to(logits.dtype), pos_weight=weight
        )


class AsymmetricLoss(nn.Module):
    """Asymmetric Loss (Ridnik et al. 2021), mean over cells.

    p = sigmoid(logit); negatives use the shifted probability p_m = max(p - clip, 0);
    loss = -y (1 - p)^gamma_pos log p - (1 - y) p_m^gamma_neg log(1 - p_m).
    With gamma_pos = gamma_neg = clip = 0 it equals plain BCE.
    """

    def __init__(
        self, gamma_pos: float = 0.0, gamma_neg: float = 4.0, clip: float = 0.05, eps: float = 1e-8
    ) -> None:
        super().__init__()
        self.gamma_pos = gamma_pos
        self.gamma_neg = gamma_neg
        self.clip = clip
        self.eps = eps

    def forward(self, logits: Tensor, targets: Tensor) -> Tensor:
        logits = logits.float()
        targets = targets.to(logits.dtype)
        prob = torch.sigmoid(logits)
        # p_m = max(p - clip, 0), written as 1 - min(1 - p + clip, 1) as in the paper's code
        prob_neg_shifted = 1 - (1 - prob + self.clip).clamp(max=1) if self.clip > 0 else prob
        loss_pos = targets * torch.log(prob.clamp(min=self.eps))
        loss_neg = (1 - targets) * torch.log((1 - prob_neg_shifted).clamp(min=self.eps))
        if self.gamma_pos > 0:
            loss_pos = loss_pos * (1 - prob).pow(self.gamma_pos)
        if self.gamma_neg > 0:
            loss_neg = loss_neg * prob_neg_shifted.pow(self.gamma_neg)
        return -(loss_pos + loss_neg).mean()


def multilabel_loss(config: StageConfig) -> nn.Module:
    """The Stage 1-2 loss named by `config.loss`."""
    if config.loss == "asl":
        return AsymmetricLoss(config.gamma_pos, config.gamma_neg, config.clip)
    return WeightedBCEWithLogits(config.pos_weight)


def policy_cross_entropy(
    logits: Tensor, targets: Tensor, legal_masks: Tensor | None = None
) -> Tensor:
    """Batch mean of -sum(target * log_softmax(logits)); illegal moves masked when masks given.

    Rows with an empty target contribute 0 (they are counted by the metrics).
    """
    logits = logits.float()
    if legal_masks is not None:
        logits = masked_to_legal(logits, legal_masks, targets)
    return -(targets * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def value_bce(logits: Tensor, targets: Tensor) -> Tensor:
    """BCE-with-logits of the value logit against the mover's mean outcome in [0, 1]."""
    return F.binary_cross_entropy_with_logits(
        logits.float().reshape(-1), targets.float().reshape(-1)
    )
