"""Turns a mover's-frame position (board piece ids, raw hand counts) into 81 square tokens.

Every backbone starts here, so the input contract of SPEC section 2 is enforced in
one place: `board` is (B, 9, 9) of piece ids 0..28 and `hand` is (B, 14) of raw
counts, either as uint8 (what the datasets deliver, to keep host memory small) or
any integer dtype. Each square gets the embedding of its piece id; the hand, scaled
to [0, 1] per kind, is projected once and added to every square so that each token
sees both hands; a learned positional embedding tells tokens which square they are
(the rules depend on absolute ranks: promotion zone, no pawn drop on the last rank).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from maou_kit.schema import BOARD_SHAPE, HAND_MAX_COUNTS, HAND_SIZE, NUM_PIECE_IDS

NUM_SQUARES = BOARD_SHAPE[0] * BOARD_SHAPE[1]


def check_position_inputs(board: Tensor, hand: Tensor) -> None:
    """Raise ValueError when `board`/`hand` do not have the (B, 9, 9) / (B, 14) integer layout."""
    if board.dim() != 3 or tuple(board.shape[1:]) != BOARD_SHAPE:
        raise ValueError(f"board must have shape (B, 9, 9), got {tuple(board.shape)}")
    if hand.dim() != 2 or hand.shape[1] != HAND_SIZE:
        raise ValueError(f"hand must have shape (B, {HAND_SIZE}), got {tuple(hand.shape)}")
    if board.shape[0] != hand.shape[0]:
        raise ValueError(f"board and hand batch sizes differ: {board.shape[0]} vs {hand.shape[0]}")
    if board.is_floating_point() or board.is_complex():
        raise ValueError(f"board must hold integer piece ids, got dtype {board.dtype}")


class PositionEmbedding(nn.Module):
    """(board, hand) -> (B, 81, dim) tokens in row-major square order (rank a first).

    `positional=False` drops the learned square embedding (for ablations); a conv
    tower can partly infer edges from zero padding, token mixers cannot.
    """

    def __init__(self, dim: int, positional: bool = True) -> None:
        super().__init__()
        self.dim = dim
        self.piece = nn.Embedding(NUM_PIECE_IDS, dim)
        # Same scale as the positional embedding: with nn.Embedding's N(0, 1) default the
        # square identity would be drowned by the (mostly identical) empty-square vectors.
        nn.init.trunc_normal_(self.piece.weight, std=0.02)
        self.hand = nn.Linear(HAND_SIZE, dim)
        hand_max = torch.tensor(HAND_MAX_COUNTS * 2, dtype=torch.float32)
        # Not persistent: a constant of the encoding, not a learned or saved quantity.
        self.register_buffer("hand_scale", 1.0 / hand_max, persistent=False)
        self.position: nn.Parameter | None = None
        if positional:
            self.position = nn.Parameter(torch.zeros(1, NUM_SQUARES, dim))
            nn.init.trunc_normal_(self.position, std=0.02)

    def forward(self, board: Tensor, hand: Tensor) -> Tensor:
        check_position_inputs(board, hand)
        batch_size = board.shape[0]
        tokens = self.piece(board.reshape(batch_size, NUM_SQUARES).long())
        hand_fraction = hand.to(self.hand_scale.dtype) * self.hand_scale
        tokens = tokens + self.hand(hand_fraction).unsqueeze(1)
        if self.position is not None:
            tokens = tokens + self.position
        return tokens
