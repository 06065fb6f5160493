"""Helpers for the play tests: tiny Stage 3 checkpoints (untrained, or preferring given
move labels) and random positions.

Written with `save_checkpoint` in the stage-3 format that `maou_kit.eval.load_model`
reads, so the tests exercise the real loading path without any training.
"""

from __future__ import annotations

import random
from pathlib import Path

import cshogi
import torch

from maou_kit.model import PolicyHead, ValueHead, build_backbone
from maou_kit.train.checkpoints import save_checkpoint
from maou_kit.train.models import PolicyValueModel

CHECKPOINT_NAME = "stage3_policy_value_20260101_000000_000000.pt"


def tiny_model(seed: int = 0) -> PolicyValueModel:
    torch.manual_seed(seed)
    backbone = build_backbone("resnet", "tiny")
    return PolicyValueModel(
        backbone, PolicyHead(backbone.feature_dim), ValueHead(backbone.feature_dim)
    ).eval()


def prefer_labels(model: PolicyValueModel, labels: list[int]) -> PolicyValueModel:
    """Make the policy logits the same for every position: `labels` first, in that order.

    The first label gets logit 20, the next 19, ...; every other label 0.
    """
    last = model.policy_head.layers[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()
        for rank, label in enumerate(labels):
            last.bias[label] = 20.0 - rank
    return model


def save_model(model: PolicyValueModel, folder: Path) -> Path:
    backbone = model.backbone
    return save_checkpoint(
        {
            "kind": "stage3",
            "backbone": backbone.state_dict(),
            "policy_head": model.policy_head.state_dict(),
            "value_head": model.value_head.state_dict(),
            "backbone_spec": backbone.spec(),
        },
        folder / CHECKPOINT_NAME,
    )


def random_positions(count: int, seed: int, max_plies: int = 120) -> list[str]:
    """SFENs reached by uniformly random play from the initial position (each has a legal move)."""
    rng = random.Random(seed)
    sfens = []
    while len(sfens) < count:
        board = cshogi.Board()
        for _ in range(rng.randint(0, max_plies)):
            legal = list(board.legal_moves)
            if not legal:
                break
            board.push(rng.choice(legal))
        if any(True for _ in board.legal_moves):
            sfens.append(board.sfen())
    return sfens
