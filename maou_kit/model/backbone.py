"""The headless backbone contract every architecture follows, and how features are pooled.

A backbone maps `(board, hand)` to one feature vector per position:
`forward_features((board, hand)) -> (B, feature_dim)`; `forward` is the same call so
that a backbone can sit inside `nn.Sequential`-like code and DDP. The steps are
shared: `PositionEmbedding` -> architecture-specific `encode` over the 81 square
tokens -> pooling. Subclasses only implement `encode`.

Pooling (`BackboneConfig.pooling`):
- `flatten` (default) projects each square's token to `pool_channels` planes and
  flattens the board. With 27 planes and no further projection (`pool_dim=0`) the
  features are a 27 x 81 board, the layout of dlshogi's policy planes: 20 move
  directions (10 plain, 10 promoting) + 7 drop kinds, by destination square. Each of
  the 1496 move labels is one (direction, destination) pair (SPEC section 3), so a
  linear head only has to select planes; the 81 reachable-square logits likewise.
- `mean` averages the 81 tokens (upstream's choice). It hides *where* things are,
  and the heads must name squares and moves: on the Stage 1 patterns a small resnet
  with `mean` was still at 0.927 accuracy after 30 epochs where `flatten` passed
  0.99 in 12 (batch 32, lr 2e-3).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from torch import Tensor, nn

from maou_kit.model.embedding import NUM_SQUARES, PositionEmbedding

POOLINGS = ("mean", "flatten")


@dataclass(frozen=True)
class BackboneConfig:
    """Fields every architecture shares; each architecture's config extends it.

    `dim`: token width. `positional`: learned square embedding. `pooling`: one of
    POOLINGS; `pool_channels` and `pool_dim` size the `flatten` pooling (feature_dim
    is 81 * pool_channels, or pool_dim when > 0); `mean` ignores them (feature_dim is
    `dim`). `dropout`: inside the blocks (0 disables).
    """

    dim: int = 64
    positional: bool = True
    pooling: str = "flatten"
    pool_channels: int = 27
    pool_dim: int = 0
    dropout: float = 0.0


class MeanPool(nn.Module):
    """(B, 81, d) -> (B, d): the average token."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.out_dim = dim

    def forward(self, tokens: Tensor) -> Tensor:
        return tokens.mean(dim=1)


class FlattenPool(nn.Module):
    """(B, 81, d) -> (B, out_dim): per-square projection to `channels`, flatten, linear.

    `out_dim=0` keeps the flattened squares as the features (feature_dim = 81 * channels).
    """

    def __init__(self, dim: int, channels: int, out_dim: int) -> None:
        super().__init__()
        self.squeeze = nn.Linear(dim, channels)
        self.activation = nn.GELU()
        self.project: nn.Linear | None = None
        self.out_dim = NUM_SQUARES * channels
        if out_dim > 0:
            self.project = nn.Linear(NUM_SQUARES * channels, out_dim)
            self.out_dim = out_dim

    def forward(self, tokens: Tensor) -> Tensor:
        features = self.activation(self.squeeze(tokens)).flatten(1)
        if self.project is not None:
            features = self.activation(self.project(features))
        return features


def build_pooling(kind: str, dim: int, channels: int, out_dim: int) -> nn.Module:
    """The pooling module named `kind` (one of POOLINGS) for tokens of width `dim`."""
    if kind == "mean":
        return MeanPool(dim)
    if kind == "flatten":
        return FlattenPool(dim, channels, out_dim)
    raise ValueError(f"unknown pooling {kind!r}; valid: {', '.join(POOLINGS)}")


class Backbone(nn.Module, ABC):
    """Headless network: `forward_features((board, hand)) -> (B, feature_dim)`.

    Attributes: `arch` (registry name), `config` (the frozen dataclass it was built
    from; `spec()` turns both into a plain dict a checkpoint can carry), `feature_dim`.
    """

    arch: str = ""

    def __init__(self, config: BackboneConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = PositionEmbedding(config.dim, positional=config.positional)
        self.pool = build_pooling(config.pooling, config.dim, config.pool_channels, config.pool_dim)
        self.feature_dim: int = self.pool.out_dim

    @abstractmethod
    def encode(self, tokens: Tensor) -> Tensor:
        """(B, 81, dim) embedded squares -> (B, 81, dim) contextual tokens, normalised."""

    def forward_features(self, inputs: Sequence[Tensor]) -> Tensor:
        if len(inputs) != 2:
            raise ValueError(f"expected inputs (board, hand), got {len(inputs)} tensors")
        board, hand = inputs
        return self.pool(self.encode(self.embedding(board, hand)))

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        return self.forward_features(inputs)

    def spec(self) -> dict[str, Any]:
        """`{"arch": ..., "config": {...}}`: enough to rebuild this backbone (`backbone_from_spec`)."""
        return {"arch": self.arch, "config": asdict(self.config)}
