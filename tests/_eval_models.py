"""Shared by the evaluation and ONNX tests: tiny checkpoints, hand-made games, scripted networks.

Checkpoints are untrained `tiny` networks saved in the formats training writes (no training
needed); the scripted networks return chosen logits for given positions, so a test knows
the answer `evaluate` must give.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import torch
from torch import nn

from maou_kit.data.games import games_table
from maou_kit.model import LegalMovesHead, PolicyHead, ValueHead, build_backbone
from maou_kit.schema import MOVE_LABELS_NUM
from maou_kit.shogi.records.game_record import GameRecord
from maou_kit.shogi.records.position import HIRATE_SFEN
from maou_kit.train.checkpoints import save_checkpoint
from maou_kit.train.models import PolicyValueModel

TIMESTAMP = "20260101_000000_000000"


def save_tiny_stage3(directory: Path, seed: int = 0) -> Path:
    """An untrained `tiny` resnet Stage 3 checkpoint in `directory`."""
    torch.manual_seed(seed)
    backbone = build_backbone("resnet", "tiny")
    model = PolicyValueModel(
        backbone, PolicyHead(backbone.feature_dim), ValueHead(backbone.feature_dim)
    )
    payload = {
        "kind": "stage3",
        "backbone": backbone.state_dict(),
        "policy_head": model.policy_head.state_dict(),
        "value_head": model.value_head.state_dict(),
        "backbone_spec": backbone.spec(),
    }
    return save_checkpoint(payload, Path(directory) / f"stage3_policy_value_{TIMESTAMP}.pt")


def save_tiny_run(directory: Path) -> Path:
    """A run directory with Stage 2 and Stage 3 checkpoints and the result.json naming them."""
    directory = Path(directory)
    stage3 = save_tiny_stage3(directory)
    backbone = build_backbone("resnet", "tiny")
    spec = backbone.spec()
    files = {
        "backbone": save_checkpoint(
            {"kind": "backbone", "model": backbone.state_dict(), "backbone_spec": spec},
            directory / f"stage2_backbone_{TIMESTAMP}.pt",
        ),
        "head": save_checkpoint(
            {
                "kind": "head",
                "model": LegalMovesHead(backbone.feature_dim).state_dict(),
                "backbone_spec": spec,
            },
            directory / f"stage2_legal_moves_head_{TIMESTAMP}.pt",
        ),
    }
    stages = {
        "2": {"checkpoints": {name: path.name for name, path in files.items()}},
        "3": {"checkpoints": {"stage3": stage3.name}},
    }
    (directory / "result.json").write_text(json.dumps({"stages": stages}))
    return directory


def games_of(
    moves_per_game: list[list[str]],
    results: list[int],
    start_sfen: str = HIRATE_SFEN,
    source: str = "hand.usi",
) -> pl.DataFrame:
    """A games table of hand-written USI move lists (results: 0 draw, 1 Black, 2 White win)."""
    records = [
        GameRecord(
            source=source,
            index=index,
            start_sfen=start_sfen,
            moves=tuple(moves),
            evals=None,
            result=result,
            endgame_status="%TORYO",
        )
        for index, (moves, result) in enumerate(zip(moves_per_game, results, strict=True))
    ]
    return games_table(records)


class ScriptedPolicy(nn.Module):
    """A Stage 3 stand-in: policy logits `big` at a chosen label per position, value logit fixed.

    `labels` maps a position's encoded bytes (board then hand) to the label it favours.
    """

    def __init__(
        self,
        boards: np.ndarray,
        hands: np.ndarray,
        labels: np.ndarray,
        value_logit: float = 0.0,
        big: float = 30.0,
    ) -> None:
        super().__init__()
        self.favourite = {
            board.tobytes() + hand.tobytes(): int(label)
            for board, hand, label in zip(boards, hands, labels, strict=True)
        }
        self.value_logit, self.big = value_logit, big

    def forward(self, inputs):
        boards, hands = inputs
        logits = torch.zeros(len(boards), MOVE_LABELS_NUM)
        for row, (board, hand) in enumerate(zip(boards.numpy(), hands.numpy(), strict=True)):
            logits[row, self.favourite[board.tobytes() + hand.tobytes()]] = self.big
        return logits, torch.full((len(boards),), self.value_logit)
