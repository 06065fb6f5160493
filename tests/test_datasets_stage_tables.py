"""Locks down the stage datasets and data-path resolution: batched reads built by fancy
indexing, uint8 inputs kept uint8, the Stage-3 target dict, and splits made by file
(never by row) or taken from prebuilt train*/val* files."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _train_tables import stage1_frame, stage2_frame, stage3_frame, write_split

from maou_kit.data.datasets import KifDataset, Stage1Dataset, Stage2Dataset
from maou_kit.data.sources import STAGE2_COLUMN_SHAPES, check_table, resolve_split
from maou_kit.data.stage_inputs import check_stage_inputs, load_stage_datasets
from maou_kit.data.table_io import write_table
from maou_kit.schema import BOARD, LEGAL_MOVES, MOVE_LABEL, REACHABLE


def test_stage1_batch_matches_rows_and_keeps_uint8():
    frame = stage1_frame(10)
    dataset = Stage1Dataset.from_frame(frame)
    (board, hand), target = dataset.__getitems__([3, 7])
    assert board.dtype == torch.uint8 and hand.dtype == torch.uint8
    assert board.shape == (2, 9, 9) and hand.shape == (2, 14) and target.shape == (2, 81)
    expected = frame[REACHABLE].to_numpy()[[3, 7]].reshape(2, 81)
    assert np.array_equal(target.numpy(), expected)
    assert np.array_equal(board.numpy(), frame[BOARD].to_numpy()[[3, 7]])


def test_single_row_getitem_equals_batch_row():
    dataset = Stage2Dataset.from_frame(stage2_frame(6))
    (board, hand), target = dataset[4]
    (boards, hands), targets = dataset.__getitems__([4])
    assert torch.equal(board, boards[0]) and torch.equal(hand, hands[0])
    assert torch.equal(target, targets[0])


def test_kif_batch_is_a_dict_with_legal_masks_when_the_table_has_them():
    frame = stage3_frame(8)
    dataset = KifDataset.from_frame(frame)
    _, targets = dataset.__getitems__([0, 5])
    assert set(targets) == {"policy", "value", "legal"}
    assert targets["policy"].dtype == torch.float32 and targets["legal"].dtype == torch.uint8
    assert np.array_equal(targets["policy"].numpy(), frame[MOVE_LABEL].to_numpy()[[0, 5]])
    assert np.array_equal(targets["legal"].numpy(), frame[LEGAL_MOVES].to_numpy()[[0, 5]])


def test_kif_batch_has_no_legal_entry_without_masks():
    dataset = KifDataset.from_frame(stage3_frame(4, with_legal=False))
    _, targets = dataset.__getitems__([1])
    assert set(targets) == {"policy", "value"}


def test_prebuilt_train_val_files_are_used_as_the_split(tmp_path):
    write_split(tmp_path, stage2_frame, 5, 3)
    split = resolve_split(tmp_path, test_ratio=0.2, seed=0)
    assert split.method == "prebuilt"
    assert [p.name for p in split.train] == ["train.feather"]
    assert [p.name for p in split.val] == ["val.feather"]


def test_split_by_file_puts_each_file_on_one_side(tmp_path):
    for index in range(5):
        write_table(stage2_frame(3, seed=index), tmp_path / f"part{index}.feather")
    split = resolve_split(tmp_path, test_ratio=0.2, seed=3)
    assert split.method == "by-file"
    assert len(split.val) == 1 and len(split.train) == 4
    assert not set(split.train) & set(split.val)


def test_single_file_is_split_by_row_with_the_ratio(tmp_path):
    # Issue 12 item 5: a single file is split inside by --test-ratio (was: refused).
    path = write_table(stage2_frame(10), tmp_path / "only.feather")
    split = resolve_split(path, test_ratio=0.2, seed=0)
    assert split.method == "by-row" and split.train == split.val == (path,)
    assert (len(split.train_index), len(split.val_index)) == (8, 2)


def test_split_leaving_no_training_file_is_rejected(tmp_path):
    for index in range(2):
        write_table(stage2_frame(3, seed=index), tmp_path / f"part{index}.feather")
    with pytest.raises(ValueError, match="--test-ratio 0.9"):
        resolve_split(tmp_path, test_ratio=0.9, seed=0)


def test_missing_column_is_reported_with_file_and_column(tmp_path):
    path = write_table(stage2_frame(4).drop(LEGAL_MOVES), tmp_path / "train.feather")
    with pytest.raises(ValueError, match=f"{LEGAL_MOVES}"):
        check_table(path, STAGE2_COLUMN_SHAPES)


def test_wrong_element_shape_is_reported(tmp_path):
    frame = stage1_frame(4).rename({REACHABLE: LEGAL_MOVES})
    path = write_table(frame, tmp_path / "bad.feather")
    with pytest.raises(ValueError, match="element shape"):
        check_table(path, STAGE2_COLUMN_SHAPES)


def test_stage2_inputs_load_the_validation_split_as_the_evaluation_set(tmp_path):
    write_split(tmp_path, stage2_frame, 7, 4)
    inputs = check_stage_inputs(2, tmp_path, test_ratio=0.2, seed=0)
    train_set, eval_set = load_stage_datasets(inputs)
    assert (len(train_set), len(eval_set)) == (7, 4)
    assert (inputs.train_rows, inputs.eval_rows) == (7, 4)


def test_stage1_without_a_path_uses_all_generated_patterns_for_training_and_evaluation():
    inputs = check_stage_inputs(1, None, test_ratio=0.2, seed=0)
    train_set, eval_set = load_stage_datasets(inputs)
    assert len(train_set) == 1105 and eval_set is train_set
