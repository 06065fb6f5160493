"""The four task heads of the curriculum; each maps pooled features (B, in_dim) to logits.

| Head | Stage | Output | Trained with |
|---|---|---|---|
| `ReachableSquaresHead` | 1 | (B, 81) logits, row-major squares | BCE-with-logits |
| `LegalMovesHead` | 2 | (B, 1496) logits, one per move label | BCE-with-logits / ASL |
| `PolicyHead` | 3 | (B, 1496) logits | KL / CE on log-softmax |
| `ValueHead` | 3 | (B, 1) logit; sigmoid gives the mover's expected score | BCE-with-logits |

Heads return raw logits (no sigmoid/softmax) so the losses can use their
numerically stable fused forms, also under autocast.
"""

from __future__ import annotations

from torch import Tensor, nn

from maou_kit.model.embedding import NUM_SQUARES
from maou_kit.schema import MOVE_LABELS_NUM


def _mlp(in_dim: int, out_dim: int, hidden_dim: int | None, dropout: float) -> nn.Sequential:
    """Linear when `hidden_dim` is None, else Linear -> GELU -> dropout -> Linear."""
    if hidden_dim is None:
        return nn.Sequential(nn.Dropout(dropout), nn.Linear(in_dim, out_dim))
    return nn.Sequential(
        nn.Linear(in_dim, hidden_dim),
        nn.GELU(),
        nn.Dropout(dropout),
        nn.Linear(hidden_dim, out_dim),
    )


class ReachableSquaresHead(nn.Module):
    """Stage 1: one logit per square, 1 = the lone piece can move (or be dropped) there."""

    def __init__(self, in_dim: int, hidden_dim: int | None = None) -> None:
        super().__init__()
        self.layers = _mlp(in_dim, NUM_SQUARES, hidden_dim, 0.0)

    def forward(self, features: Tensor) -> Tensor:
        return self.layers(features)


class LegalMovesHead(nn.Module):
    """Stage 2: one logit per move label, 1 = that move is legal in the position."""

    def __init__(self, in_dim: int, hidden_dim: int | None = None, dropout: float = 0.0) -> None:
        super().__init__()
        self.layers = _mlp(in_dim, MOVE_LABELS_NUM, hidden_dim, dropout)

    def forward(self, features: Tensor) -> Tensor:
        return self.layers(features)


class PolicyHead(nn.Module):
    """Stage 3: unnormalised log-probabilities over the 1496 move labels."""

    def __init__(self, in_dim: int, hidden_dim: int | None = None) -> None:
        super().__init__()
        self.layers = _mlp(in_dim, MOVE_LABELS_NUM, hidden_dim, 0.0)

    def forward(self, features: Tensor) -> Tensor:
        return self.layers(features)


class ValueHead(nn.Module):
    """Stage 3: one logit; `sigmoid(logit)` is the mover's expected score in [0, 1].

    Dropout before the output layer (default 0.5): every position of a game shares
    the game's outcome, so on a few hundred games the value head learns to recognise
    games instead of judging positions within two epochs; on data_samples, dropout
    0.5 kept its validation Brier score below the training-mean predictor's.
    """

    def __init__(self, in_dim: int, hidden_dim: int | None = 256, dropout: float = 0.5) -> None:
        super().__init__()
        self.layers = _mlp(in_dim, 1, hidden_dim, dropout)

    def forward(self, features: Tensor) -> Tensor:
        return self.layers(features)
