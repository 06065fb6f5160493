"""`mlp-mixer`: alternating token-mixing and channel-mixing MLPs over the 81 square tokens.

Pre-norm residual blocks (Tolstikhin et al., 2021) with LayerNorm only: no batch
statistics, so gradient accumulation and DDP are exact and train/eval agree.
Token mixing is a learned 81 -> 81 map per channel, so it can express the fixed
geometric relations of the board (lines, knight jumps) directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from maou_kit.model.backbone import Backbone, BackboneConfig
from maou_kit.model.embedding import NUM_SQUARES


@dataclass(frozen=True)
class MixerConfig(BackboneConfig):
    """`depth` blocks; hidden widths of the token MLP (`token_hidden`) and channel MLP."""

    depth: int = 4
    token_hidden: int = 128
    channel_hidden: int = 256


class FeedForward(nn.Sequential):
    """Linear -> GELU -> dropout -> Linear -> dropout."""

    def __init__(self, width: int, hidden: int, dropout: float) -> None:
        super().__init__(
            nn.Linear(width, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, width),
            nn.Dropout(dropout),
        )


class MixerBlock(nn.Module):
    """x + token_mlp(LN(x)) along the squares, then x + channel_mlp(LN(x)) along channels."""

    def __init__(self, config: MixerConfig) -> None:
        super().__init__()
        self.token_norm = nn.LayerNorm(config.dim)
        self.token_mlp = FeedForward(NUM_SQUARES, config.token_hidden, config.dropout)
        self.channel_norm = nn.LayerNorm(config.dim)
        self.channel_mlp = FeedForward(config.dim, config.channel_hidden, config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        mixed = self.token_mlp(self.token_norm(x).transpose(1, 2)).transpose(1, 2)
        x = x + mixed
        return x + self.channel_mlp(self.channel_norm(x))


class MixerBackbone(Backbone):
    """Embedding -> mixer blocks -> LayerNorm -> pooling."""

    arch = "mlp-mixer"

    def __init__(self, config: MixerConfig) -> None:
        super().__init__(config)
        self.blocks = nn.Sequential(*(MixerBlock(config) for _ in range(config.depth)))
        self.final_norm = nn.LayerNorm(config.dim)

    def encode(self, tokens: Tensor) -> Tensor:
        return self.final_norm(self.blocks(tokens))
