"""Locks down checkpoint files: atomic writes leave no temporary file, truncated or foreign
files fail with the file's name, and the newest backbone is chosen by the timestamp in
its name, stage 2 before stage 1."""

from __future__ import annotations

import os

import pytest
import torch

from maou_kit.train.checkpoints import load_checkpoint, newest_backbone, save_checkpoint


def test_save_writes_the_file_and_no_temporary(tmp_path):
    path = save_checkpoint({"kind": "head", "model": {"w": torch.ones(2)}}, tmp_path / "a" / "h.pt")
    assert torch.equal(load_checkpoint(path)["model"]["w"], torch.ones(2))
    assert sorted(p.name for p in path.parent.iterdir()) == ["h.pt"]


def test_truncated_checkpoint_is_reported_with_its_name(tmp_path):
    path = save_checkpoint({"kind": "head", "model": {"w": torch.ones(1000)}}, tmp_path / "h.pt")
    with path.open("r+b") as handle:
        handle.truncate(os.path.getsize(path) // 2)
    with pytest.raises(ValueError, match="h.pt: corrupt or unreadable checkpoint"):
        load_checkpoint(path)


def test_a_plain_state_dict_is_not_taken_for_a_kit_checkpoint(tmp_path):
    path = tmp_path / "plain.pt"
    torch.save({"w": torch.ones(1)}, path)
    with pytest.raises(ValueError, match="plain.pt: not a maou_kit checkpoint"):
        load_checkpoint(path)


def test_newest_backbone_prefers_stage2_then_the_latest_timestamp(tmp_path):
    for name in ("stage1_backbone_20300101_000000_000000.pt",
                 "stage2_backbone_20250101_000000_000000.pt",
                 "stage2_backbone_20240101_000000_000000.pt"):  # fmt: skip
        save_checkpoint({"kind": "backbone", "model": {}}, tmp_path / name)
    assert newest_backbone(tmp_path, [1, 2]).name == "stage2_backbone_20250101_000000_000000.pt"
    assert newest_backbone(tmp_path, [1]).name == "stage1_backbone_20300101_000000_000000.pt"
    assert newest_backbone(tmp_path / "missing", [1, 2]) is None
