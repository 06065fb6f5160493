"""Backbone + head(s) as one module per stage, so one optimizer sees every parameter.

The upstream bug this prevents: an optimizer built over the backbone alone left
the head untrained. Here the stage model owns both, and the loops optimise
`model.parameters()`.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn


class MultiLabelModel(nn.Module):
    """Stages 1-2: `backbone.forward_features` -> one multi-label head -> (B, W) logits."""

    def __init__(self, backbone: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        return self.head(self.backbone.forward_features(inputs))


class PolicyValueModel(nn.Module):
    """Stage 3: shared features -> (policy logits (B, 1496), value logits (B,))."""

    def __init__(self, backbone: nn.Module, policy_head: nn.Module, value_head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.policy_head = policy_head
        self.value_head = value_head

    def forward(self, inputs: Sequence[Tensor]) -> tuple[Tensor, Tensor]:
        features = self.backbone.forward_features(inputs)
        return self.policy_head(features), self.value_head(features).reshape(-1)
