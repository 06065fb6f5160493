"""Locks down how a position enters the network: piece ids per square, hand scaled to [0, 1]."""

from __future__ import annotations

import torch

from maou_kit.model import PositionEmbedding
from maou_kit.schema import HAND_MAX_COUNTS


def test_a_full_hand_enters_the_projection_as_ones() -> None:
    embedding = PositionEmbedding(dim=4, positional=False)
    board = torch.zeros(1, 9, 9, dtype=torch.uint8)
    full_hand = torch.tensor([HAND_MAX_COUNTS * 2], dtype=torch.uint8)
    tokens = embedding(board, full_hand)
    expected = embedding.piece.weight[0] + embedding.hand.weight.sum(dim=1) + embedding.hand.bias
    torch.testing.assert_close(tokens[0, 0], expected)


def test_the_hand_is_added_to_every_square() -> None:
    embedding = PositionEmbedding(dim=4, positional=False)
    board = torch.zeros(1, 9, 9, dtype=torch.uint8)
    empty_hand = torch.zeros(1, 14, dtype=torch.uint8)
    two_pawns = empty_hand.clone()
    two_pawns[0, 0] = 2
    shift = embedding(board, two_pawns) - embedding(board, empty_hand)
    expected = embedding.hand.weight[:, 0] * 2 / HAND_MAX_COUNTS[0]
    torch.testing.assert_close(shift[0], expected.expand(81, 4))


def test_squares_are_tokens_in_row_major_order() -> None:
    embedding = PositionEmbedding(dim=4, positional=False)
    board = torch.zeros(1, 9, 9, dtype=torch.uint8)
    board[0, 2, 7] = 5  # mover's KI on rank c, file 8
    tokens = embedding(board, torch.zeros(1, 14, dtype=torch.uint8))
    differs = (tokens[0] != tokens[0, 0]).any(dim=1).nonzero().flatten().tolist()
    assert differs == [2 * 9 + 7]


def test_the_positional_embedding_tells_empty_squares_apart() -> None:
    embedding = PositionEmbedding(dim=4, positional=True)
    tokens = embedding(
        torch.zeros(1, 9, 9, dtype=torch.uint8), torch.zeros(1, 14, dtype=torch.uint8)
    )
    assert torch.unique(tokens[0], dim=0).shape[0] == 81
