"""Running the policy-value network on cshogi boards: legal-move priors and the mover's value.

The network sees every position in the mover's frame (SPEC section 2) and scores the
1496 move labels of that frame (SPEC section 3). Here each legal cshogi move is mapped
to its label with the position's own colour (`labels_of_moves(moves, white)`), and
the logits are read at those labels, so no label is ever decoded back into a square
pair: an illegal label cannot be chosen, and a colour-frame mix-up picks another move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cshogi
import numpy as np
import torch
from torch import nn

from maou_kit.shogi.encoding import encode_hands, encode_pieces
from maou_kit.shogi.labels import labels_of_moves

# Centipawns per unit of value logit: the usual "600 cp ~ a logistic unit" convention,
# so that GUIs show familiar magnitudes; clamped below the mate scores GUIs reserve.
CP_PER_LOGIT = 600.0
MAX_CP = 30_000


@dataclass(frozen=True)
class Evaluation:
    """The network's view of one position: its legal moves, their priors, the mover's value."""

    moves: np.ndarray  # int64 cshogi moves, in cshogi's generation order
    labels: np.ndarray  # int16 label of each move in the mover's frame
    logits: np.ndarray  # float32 policy logit of each move
    value: float  # sigmoid(value logit): the mover's expected score in [0, 1]

    def priors(self, temperature: float = 1.0) -> np.ndarray:
        """Softmax of the legal moves' logits (at `temperature`, > 0)."""
        if len(self.logits) == 0:
            return np.zeros(0, dtype=np.float64)
        scaled = self.logits.astype(np.float64) / temperature
        scaled -= scaled.max()
        weights = np.exp(scaled)
        return weights / weights.sum()


def value_to_cp(value: float) -> int:
    """The mover's expected score as a USI centipawn score (logit x CP_PER_LOGIT, clamped)."""
    clipped = min(max(value, 1e-6), 1 - 1e-6)
    logit = float(np.log(clipped / (1 - clipped)))
    return int(max(-MAX_CP, min(MAX_CP, round(logit * CP_PER_LOGIT))))


class NetEvaluator:
    """A stage-3 `PolicyValueModel` on the CPU (or `device`), evaluating boards in batches."""

    def __init__(self, model: nn.Module, device: str = "cpu", name: str = "maou_kit-net"):
        self.model = model.to(device).eval()
        self.device = device
        self.name = name

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu") -> NetEvaluator:
        """Load a run directory or stage-3 checkpoint (see `maou_kit.eval.load_model`)."""
        from maou_kit.eval import load_model

        loaded = load_model(path, stage=3)
        return cls(loaded.model, device=device, name=f"maou_kit-net ({Path(path).name})")

    def evaluate(self, boards: Sequence[cshogi.Board]) -> list[Evaluation]:
        """One network call for all `boards`; positions without a legal move get empty moves."""
        if not boards:
            return []
        white = np.array([board.turn == cshogi.WHITE for board in boards])
        pieces = np.array([board.pieces for board in boards], dtype=np.intp)
        hands = np.array([board.pieces_in_hand for board in boards], dtype=np.uint8)
        encoded_boards = torch.from_numpy(encode_pieces(pieces, white).astype(np.int64))
        encoded_hands = torch.from_numpy(encode_hands(hands, white).astype(np.int64))
        with torch.inference_mode():
            policy, value = self.model(
                (encoded_boards.to(self.device), encoded_hands.to(self.device))
            )
        policy = policy.float().cpu().numpy()
        values = torch.sigmoid(value.float()).cpu().numpy()
        evaluations = []
        for index, board in enumerate(boards):
            moves = np.fromiter(board.legal_moves, dtype=np.int64)
            labels = labels_of_moves(moves, bool(white[index]))
            evaluations.append(
                Evaluation(moves, labels, policy[index, labels], float(values[index]))
            )
        return evaluations
