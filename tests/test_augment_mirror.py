"""Mirror augmentation of training batches: reflected rows stay consistent with the rules."""

from __future__ import annotations

import numpy as np
import torch

from maou_kit.data.augment import mirror_random_rows, mirror_targets
from maou_kit.data.datasets import KifDataset, Stage2Dataset
from maou_kit.shogi import encode_position, legal_moves_mask, legal_moves_mask_from_encoded


def _stage2_dataset(sfens: list[str]) -> Stage2Dataset:
    encoded = [encode_position(sfen) for sfen in sfens]
    boards = np.stack([board for board, _ in encoded])
    hands = np.stack([hand for _, hand in encoded])
    return Stage2Dataset(boards, hands, np.stack([legal_moves_mask(s) for s in sfens]))


def test_augmented_stage2_batches_keep_masks_legal_for_their_boards(playout_sfens) -> None:
    dataset = _stage2_dataset(playout_sfens[:200])
    dataset.mirror_augmentation = True
    torch.manual_seed(0)
    (boards, hands), masks = dataset.__getitems__(list(range(200)))
    expected = legal_moves_mask_from_encoded(boards.numpy(), hands.numpy())
    assert np.array_equal(masks.numpy(), expected)
    reflected = (boards.numpy() != dataset.boards).any(axis=(1, 2))
    assert 60 < reflected.sum() < 140  # about half of the rows, not none or all


def test_datasets_are_not_augmented_unless_asked(playout_sfens) -> None:
    dataset = _stage2_dataset(playout_sfens[:50])
    (boards, _), masks = dataset.__getitems__(list(range(50)))
    assert np.array_equal(boards.numpy(), dataset.boards)
    assert np.array_equal(masks.numpy(), dataset.targets)


def test_augmentation_leaves_the_dataset_arrays_untouched(playout_sfens) -> None:
    dataset = _stage2_dataset(playout_sfens[:50])
    boards_before, masks_before = dataset.boards.copy(), dataset.targets.copy()
    dataset.mirror_augmentation = True
    dataset.__getitems__(list(range(50)))
    assert np.array_equal(dataset.boards, boards_before)
    assert np.array_equal(dataset.targets, masks_before)


def test_stage3_policy_and_legal_mask_are_mirrored_together_value_kept(playout_sfens) -> None:
    sfens = playout_sfens[:100]
    base = _stage2_dataset(sfens)
    policy = base.targets.astype(np.float32) / base.targets.sum(axis=1, keepdims=True)
    value = np.linspace(0, 1, len(sfens), dtype=np.float32)
    dataset = KifDataset(base.boards, base.hands, policy, value, base.targets)
    dataset.mirror_augmentation = True
    torch.manual_seed(1)
    (boards, hands), targets = dataset.__getitems__(list(range(len(sfens))))
    legal = legal_moves_mask_from_encoded(boards.numpy(), hands.numpy())
    assert np.array_equal(targets["legal"].numpy(), legal)
    assert np.array_equal(targets["policy"].numpy() > 0, legal.astype(bool))
    assert np.array_equal(targets["value"].numpy(), value)


def test_square_targets_get_their_files_reversed() -> None:
    squares = torch.zeros(1, 81, dtype=torch.uint8)
    squares[0, 2 * 9 + 0] = 1  # rank c, file 1
    mirrored = mirror_targets(squares)
    assert mirrored[0].nonzero().flatten().tolist() == [2 * 9 + 8]  # rank c, file 9


def test_probability_one_reflects_every_row() -> None:
    board = torch.arange(2 * 81, dtype=torch.uint8).reshape(2, 9, 9)
    original = board.clone()
    (mirrored, _), _ = mirror_random_rows((board, torch.zeros(2, 14)), torch.zeros(2, 5), 1.0)
    assert torch.equal(mirrored, original.flip(-1))


def test_learn_model_options_switch_mirror_augmentation_per_stage(tmp_path) -> None:
    import argparse

    from maou_kit.cli.learn_model import add_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    base = ["--stage", "1", "--model-dir", str(tmp_path)]
    defaults = config_from_args(parser.parse_args(base))
    assert defaults.stage2_mirror_augmentation and defaults.stage3_mirror_augmentation
    flags = ["--no-stage2-mirror-augmentation", "--no-stage3-mirror-augmentation"]
    switched = config_from_args(parser.parse_args(base + flags))
    assert not switched.stage2_mirror_augmentation and not switched.stage3_mirror_augmentation
