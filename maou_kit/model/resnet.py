"""`resnet`: a tower of pre-activation residual blocks of 3x3 convolutions over the 9x9 plane.

Width stays constant and there is no striding: a 9x9 board is already small, and
every square must stay addressable for the reachable-square and move heads. Each
block adds two 3x3 convolutions, so a tower of n blocks sees a (4n+1)-square
window; four blocks already cover the whole board from any square.

Normalisation is GroupNorm by default, not BatchNorm, because:
- gates are judged in eval mode, and Stage 1 (1,105 rows) gives only a handful of
  optimizer steps per epoch, too few for BatchNorm's running statistics to settle,
  so the eval-mode network would differ from the one that was trained;
- gradient accumulation over K micro-batches then equals one K-times-larger batch
  exactly, and DDP needs no SyncBatchNorm;
- results do not depend on the batch size.
`norm="batch"` restores BatchNorm for comparison with upstream.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from maou_kit.model.backbone import Backbone, BackboneConfig
from maou_kit.schema import BOARD_SHAPE

NORMS = ("group", "batch")


@dataclass(frozen=True)
class ResNetConfig(BackboneConfig):
    """`blocks` residual blocks of width `dim`; `norm` one of NORMS; `groups` for GroupNorm."""

    blocks: int = 4
    norm: str = "group"
    groups: int = 8


def _norm(config: ResNetConfig) -> nn.Module:
    if config.norm == "group":
        return nn.GroupNorm(config.groups, config.dim)
    if config.norm == "batch":
        return nn.BatchNorm2d(config.dim)
    raise ValueError(f"unknown resnet norm {config.norm!r}; valid: {', '.join(NORMS)}")


class PreActResidualBlock(nn.Module):
    """x + conv(act(norm(conv(act(norm(x)))))), bias-free convs (a norm follows each)."""

    def __init__(self, config: ResNetConfig) -> None:
        super().__init__()
        self.norm1 = _norm(config)
        self.conv1 = nn.Conv2d(config.dim, config.dim, 3, padding=1, bias=False)
        self.norm2 = _norm(config)
        self.conv2 = nn.Conv2d(config.dim, config.dim, 3, padding=1, bias=False)
        self.activation = nn.ReLU()
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv1(self.activation(self.norm1(x)))
        out = self.conv2(self.dropout(self.activation(self.norm2(out))))
        return x + out


class ResNetBackbone(Backbone):
    """Embedding -> residual tower -> norm + ReLU -> pooling."""

    arch = "resnet"

    def __init__(self, config: ResNetConfig) -> None:
        if config.dim % config.groups != 0 and config.norm == "group":
            raise ValueError(f"resnet dim {config.dim} is not divisible by groups {config.groups}")
        super().__init__(config)
        self.blocks = nn.Sequential(*(PreActResidualBlock(config) for _ in range(config.blocks)))
        # Pre-activation blocks leave their output un-normalised; normalise once at the end.
        self.final_norm = _norm(config)
        self.activation = nn.ReLU()

    def encode(self, tokens: Tensor) -> Tensor:
        batch_size, num_squares, dim = tokens.shape
        plane = tokens.transpose(1, 2).reshape(batch_size, dim, *BOARD_SHAPE)
        plane = self.activation(self.final_norm(self.blocks(plane)))
        return plane.reshape(batch_size, dim, num_squares).transpose(1, 2)
