"""Locks down the backbone contract: input layout, output shape, gradients, batch independence.

Every test runs each architecture at the `tiny` and `small` presets, the sizes that
tests and the CPU curriculum use.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from maou_kit.model import (
    ARCHITECTURES,
    LegalMovesHead,
    PolicyHead,
    ReachableSquaresHead,
    ValueHead,
    build_backbone,
)
from maou_kit.schema import HAND_SIZE, NUM_PIECE_IDS

TEST_PRESETS = ("tiny", "small")
ARCH_PRESETS = [(arch, preset) for arch in ARCHITECTURES for preset in TEST_PRESETS]

ROOK = 7  # mover's HI
OPPONENT_ROOK = ROOK + 14


def random_positions(batch_size: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 boards and hands as the datasets deliver them (ids 0..28, counts 0..2)."""
    generator = torch.Generator().manual_seed(seed)
    board = torch.randint(0, NUM_PIECE_IDS, (batch_size, 9, 9), generator=generator)
    hand = torch.randint(0, 3, (batch_size, HAND_SIZE), generator=generator)
    return board.to(torch.uint8), hand.to(torch.uint8)


def lone_piece(piece_id: int, rank: int, file: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of one: `piece_id` alone on [rank][file], empty hands."""
    board = torch.zeros(1, 9, 9, dtype=torch.uint8)
    board[0, rank, file] = piece_id
    return board, torch.zeros(1, HAND_SIZE, dtype=torch.uint8)


@pytest.mark.parametrize(("arch", "preset"), ARCH_PRESETS)
def test_features_have_feature_dim_columns(arch: str, preset: str) -> None:
    backbone = build_backbone(arch, preset)
    features = backbone.forward_features(random_positions(5))
    assert features.shape == (5, backbone.feature_dim)
    assert features.dtype == torch.float32


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_forward_is_forward_features(arch: str) -> None:
    backbone = build_backbone(arch, "tiny").eval()
    inputs = random_positions(3)
    torch.testing.assert_close(backbone(inputs), backbone.forward_features(inputs))


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_uint8_and_int64_inputs_give_the_same_features(arch: str) -> None:
    backbone = build_backbone(arch, "tiny").eval()
    board, hand = random_positions(4)
    torch.testing.assert_close(
        backbone((board, hand)), backbone((board.long(), hand.long())), rtol=0, atol=0
    )


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_a_piece_on_another_square_gives_other_features(arch: str) -> None:
    backbone = build_backbone(arch, "small").eval()
    on_5e = backbone(lone_piece(ROOK, 4, 4))
    on_5f = backbone(lone_piece(ROOK, 5, 4))
    assert not torch.allclose(on_5e, on_5f)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_the_opponents_piece_gives_other_features_than_the_movers(arch: str) -> None:
    backbone = build_backbone(arch, "small").eval()
    mover = backbone(lone_piece(ROOK, 4, 4))
    opponent = backbone(lone_piece(OPPONENT_ROOK, 4, 4))
    assert not torch.allclose(mover, opponent)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_the_hand_changes_the_features(arch: str) -> None:
    backbone = build_backbone(arch, "small").eval()
    board, empty_hand = lone_piece(ROOK, 4, 4)
    one_pawn = empty_hand.clone()
    one_pawn[0, 0] = 1
    assert not torch.allclose(backbone((board, empty_hand)), backbone((board, one_pawn)))


@pytest.mark.parametrize(("arch", "preset"), ARCH_PRESETS)
def test_every_parameter_of_backbone_and_heads_gets_a_gradient(arch: str, preset: str) -> None:
    torch.manual_seed(0)
    backbone = build_backbone(arch, preset)
    in_dim = backbone.feature_dim
    heads = nn.ModuleList(
        [
            ReachableSquaresHead(in_dim, hidden_dim=8),
            LegalMovesHead(in_dim, hidden_dim=8),
            PolicyHead(in_dim),
            ValueHead(in_dim, hidden_dim=8),
        ]
    )
    features = backbone(random_positions(8))
    # Random weights: a plain sum would give LayerNorm'd paths an exactly zero gradient.
    loss = sum((head(features) * torch.randn(8, 1)).sum() for head in heads)
    loss.backward()
    named = list(backbone.named_parameters()) + list(heads.named_parameters(prefix="heads"))
    without_gradient = [
        name for name, parameter in named if parameter.grad is None or not parameter.grad.any()
    ]
    assert without_gradient == []


@pytest.mark.parametrize(("arch", "preset"), ARCH_PRESETS)
def test_each_position_is_encoded_independently_of_its_batch(arch: str, preset: str) -> None:
    # No batch statistics: what makes gradient accumulation and DDP exact.
    backbone = build_backbone(arch, preset).train()
    board, hand = random_positions(6)
    whole = backbone((board, hand))
    halves = torch.cat([backbone((board[:3], hand[:3])), backbone((board[3:], hand[3:]))])
    torch.testing.assert_close(whole, halves, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_same_seed_builds_the_same_network(arch: str) -> None:
    inputs = random_positions(4)
    torch.manual_seed(123)
    first = build_backbone(arch, "tiny")(inputs)
    torch.manual_seed(123)
    second = build_backbone(arch, "tiny")(inputs)
    torch.manual_seed(124)
    other = build_backbone(arch, "tiny")(inputs)
    torch.testing.assert_close(first, second, rtol=0, atol=0)
    assert not torch.allclose(first, other)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_a_board_of_the_wrong_shape_is_rejected(arch: str) -> None:
    backbone = build_backbone(arch, "tiny")
    board, hand = random_positions(2)
    with pytest.raises(ValueError, match=r"board must have shape \(B, 9, 9\)"):
        backbone((board.reshape(2, 81), hand))


def test_a_hand_of_the_wrong_width_is_rejected() -> None:
    backbone = build_backbone("resnet", "tiny")
    board, hand = random_positions(2)
    with pytest.raises(ValueError, match=r"hand must have shape \(B, 14\)"):
        backbone((board, hand[:, :7]))


def test_a_float_board_is_rejected() -> None:
    backbone = build_backbone("resnet", "tiny")
    board, hand = random_positions(2)
    with pytest.raises(ValueError, match="integer piece ids"):
        backbone((board.float(), hand))


def test_inputs_must_be_a_board_and_a_hand() -> None:
    backbone = build_backbone("vit", "tiny")
    board, _ = random_positions(2)
    with pytest.raises(ValueError, match=r"expected inputs \(board, hand\)"):
        backbone((board,))
