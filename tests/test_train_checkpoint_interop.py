"""Locks down checkpoint interop with upstream: a raw `state_dict` file (upstream's format)
is taken wherever the kit takes a backbone (`--resume-backbone-from` included), its keys and
shapes checked first with a one-line message; the kit's own files load with plain
`torch.load` + `load_state_dict` of their documented keys."""

from __future__ import annotations

import argparse
import json

import pytest
import torch
from _train_tables import stage1_frame

from maou_kit.cli import learn_model
from maou_kit.data.table_io import write_table
from maou_kit.model import backbone_from_spec, build_backbone
from maou_kit.train.checkpoints import load_backbone_weights


def _same_weights(one: torch.nn.Module, two: torch.nn.Module) -> bool:
    return all(
        torch.equal(a, b)
        for a, b in zip(one.state_dict().values(), two.state_dict().values(), strict=True)
    )


def test_raw_backbone_state_dict_loads(tmp_path):
    source = build_backbone("mlp-mixer", "tiny")
    torch.save(source.state_dict(), tmp_path / "upstream_backbone.pt")
    target = build_backbone("mlp-mixer", "tiny")
    load_backbone_weights(target, tmp_path / "upstream_backbone.pt")
    assert _same_weights(source, target)


def test_raw_whole_network_state_dict_gives_its_backbone_part(tmp_path):
    source = build_backbone("mlp-mixer", "tiny")
    network = {f"backbone.{k}": v for k, v in source.state_dict().items()}
    network["policy_head.weight"] = torch.zeros(3, 3)
    torch.save(network, tmp_path / "upstream_model.pt")
    target = build_backbone("mlp-mixer", "tiny")
    load_backbone_weights(target, tmp_path / "upstream_model.pt")
    assert _same_weights(source, target)


def test_raw_state_dict_of_another_size_is_refused_in_one_line(tmp_path):
    torch.save(build_backbone("mlp-mixer", "tiny").state_dict(), tmp_path / "tiny.pt")
    with pytest.raises(ValueError) as error:
        load_backbone_weights(build_backbone("mlp-mixer", "small"), tmp_path / "tiny.pt")
    message = str(error.value)
    assert message.startswith(f"{tmp_path / 'tiny.pt'}: weights do not fit this model")
    assert "\n" not in message


@pytest.fixture(scope="module")
def stage1_run(tmp_path_factory):
    """A one-epoch Stage-1 run that starts from a raw state_dict via --resume-backbone-from."""
    root = tmp_path_factory.mktemp("interop")
    torch.save(build_backbone("resnet", "tiny").state_dict(), root / "upstream.pt")
    table = write_table(stage1_frame(16), root / "stage1.feather")
    parser = argparse.ArgumentParser(prog="maou-kit")
    learn_model.register(parser.add_subparsers())
    args = parser.parse_args(
        ["learn-model", "--stage", "1", "--stage1-data-path", str(table), "--preset", "tiny",
         "--device", "cpu", "--stage1-max-epochs", "1", "--stage1-threshold", "0.5",
         "--resume-backbone-from", str(root / "upstream.pt"), "--model-dir", str(root / "run")]
    )  # fmt: skip
    assert learn_model.run(args) == 0
    return root / "run"


def test_resume_backbone_from_takes_a_raw_state_dict(stage1_run):
    result = json.loads((stage1_run / "result.json").read_text())
    assert result["stages"]["1"]["backbone_started_from"].endswith("upstream.pt")


def test_kit_backbone_file_loads_with_torch_load_and_load_state_dict(stage1_run):
    (path,) = stage1_run.glob("stage1_backbone_*.pt")
    payload = torch.load(path, weights_only=True)
    backbone = backbone_from_spec(payload["backbone_spec"])
    backbone.load_state_dict(payload["model"])
