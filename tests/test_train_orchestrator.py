"""Locks down the curriculum driver: every stage's inputs are checked before any stage
runs; a run leaves config.json, metrics.jsonl, result.json and checkpoints; a missed
gate raises the seed's message; Stage 3 starts from exactly the newest saved Stage-2
backbone with fresh heads; corrupt checkpoints are named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from _train_tables import stage1_frame, stage2_frame, stage3_frame, write_split

import maou_kit.train.stage_runs as stage_runs_module
from maou_kit.data.table_io import write_table
from maou_kit.train import LearnConfig, MultiStageTrainingOrchestrator, StageGateError
from maou_kit.train.checkpoints import load_checkpoint, save_checkpoint

TINY = dict(arch="mlp-mixer", preset="tiny", device="cpu", seed=0)


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    root = tmp_path_factory.mktemp("tables")
    stage1 = write_table(stage1_frame(24), root / "stage1.feather")
    stage2 = write_split(root / "stage2", stage2_frame, 16, 6)
    stage3 = write_split(root / "stage3", stage3_frame, 16, 6)
    return {"stage1": stage1, "stage2": stage2, "stage3": stage3}


def _config(tables, model_dir, **overrides) -> LearnConfig:
    settings = dict(
        TINY,
        stage1_data_path=tables["stage1"], stage2_data_path=tables["stage2"],
        stage3_data_path=tables["stage3"], model_dir=model_dir,
        stage1_batch_size=8, batch_size=8, stage1_max_epochs=2, stage2_max_epochs=2, epoch=1,
        stage1_threshold=0.5, stage2_metric="accuracy", stage2_threshold=0.5,
    )  # fmt: skip
    settings.update(overrides)
    return LearnConfig(**settings)


@pytest.fixture(scope="module")
def full_run(tables, tmp_path_factory):
    """One `--stage all` run, shared by the tests that read its files."""
    model_dir = tmp_path_factory.mktemp("run") / "nested" / "run"
    epochs = []
    orchestrator = MultiStageTrainingOrchestrator(
        _config(tables, model_dir), on_epoch_end=lambda *args: epochs.append(args)
    )
    results = orchestrator.run()
    return model_dir, results, epochs


def test_all_stages_write_result_metrics_config_and_checkpoints(full_run):
    model_dir, results, _ = full_run
    result = json.loads((model_dir / "result.json").read_text())
    assert result["status"] == "completed"
    assert set(result["stages"]) == {"1", "2", "3"}
    for key in ("1", "2"):
        stage = result["stages"][key]
        assert stage["threshold_met"] is True and stage["epochs_trained"] == 1
        assert {"metric_name", "achieved", "threshold", "baseline", "seconds"} <= set(stage)
        assert sorted(stage["checkpoints"]) == ["backbone", "head"]
        # stored relative to the run directory
        assert all((model_dir / path).is_file() for path in stage["checkpoints"].values())
    assert result["stages"]["3"]["metric_name"] == "val_loss"
    names = sorted(path.name.rsplit("_", 3)[0] for path in model_dir.glob("*.pt"))
    expected = ["stage1_backbone", "stage1_reachable_head", "stage2_backbone",
                "stage2_legal_moves_head", "stage3_policy_value"]  # fmt: skip
    assert names == expected
    config = json.loads((model_dir / "config.json").read_text())
    assert (
        config["stage2_metric"] == "accuracy"
        and config["inputs"]["2"]["split_method"] == "prebuilt"
    )


def test_metrics_jsonl_has_one_line_per_epoch_per_stage(full_run):
    model_dir, _, epochs = full_run
    lines = [json.loads(line) for line in (model_dir / "metrics.jsonl").read_text().splitlines()]
    assert [(line["stage"], line["epoch"]) for line in lines] == [(1, 1), (2, 1), (3, 1)]
    assert {"baseline_accuracy", "f1", "exact_match", "lr", "train_loss"} <= set(lines[0])
    assert {"val_loss", "val_top1_accuracy", "val_empty_target_rows"} <= set(lines[2])
    assert [(int(stage), epoch) for stage, epoch, _ in epochs] == [(1, 1), (2, 1), (3, 1)]


def test_stage2_gate_is_judged_on_the_validation_split(full_run):
    model_dir, _, _ = full_run
    result = json.loads((model_dir / "result.json").read_text())
    assert result["stages"]["2"]["metrics"]["rows"] == 6  # val.feather rows, not train's 16


def test_checkpoints_are_resumable(full_run):
    model_dir, results, _ = full_run
    head = load_checkpoint(results[1].checkpoints["head"])
    assert {"model", "optimizer", "scheduler", "epoch", "rng", "config"} <= set(head)
    stage3 = load_checkpoint(results[3].checkpoints["stage3"])
    expected = {"backbone", "policy_head", "value_head", "optimizer", "scheduler", "epoch", "rng"}
    assert expected <= set(stage3)


class _RecordingLoop(stage_runs_module.TrainingLoop):
    """Keeps the weights the Stage-3 model had before its first step."""

    initial: dict[str, dict[str, torch.Tensor]] = {}

    def __init__(self, model, *args, **kwargs):
        _RecordingLoop.initial = {
            "backbone": {k: v.clone() for k, v in model.backbone.state_dict().items()},
            "policy_head": {k: v.clone() for k, v in model.policy_head.state_dict().items()},
        }
        super().__init__(model, *args, **kwargs)


def _perturbed_backbone_payload(reference: dict, offset: float, stage: int) -> dict:
    payload = dict(reference)
    payload["model"] = {
        k: v + offset if v.is_floating_point() else v for k, v in reference["model"].items()
    }
    payload["stage"] = stage
    return payload


def test_stage3_starts_from_the_newest_stage2_backbone_with_a_fresh_head(
    full_run, tables, tmp_path, monkeypatch
):
    source_dir, results, _ = full_run
    saved = load_checkpoint(results[2].checkpoints["backbone"])
    model_dir = tmp_path / "stage3_only"
    # mtime order is the reverse of timestamp order: the name must decide
    save_checkpoint(
        _perturbed_backbone_payload(saved, 0.5, 2),
        model_dir / "stage2_backbone_20250101_000000_000000.pt",
    )
    save_checkpoint(
        _perturbed_backbone_payload(saved, 0.25, 2),
        model_dir / "stage2_backbone_20240101_000000_000000.pt",
    )
    save_checkpoint(
        _perturbed_backbone_payload(saved, 0.75, 1),
        model_dir / "stage1_backbone_20260101_000000_000000.pt",
    )
    monkeypatch.setattr(stage_runs_module, "TrainingLoop", _RecordingLoop)
    orchestrator = MultiStageTrainingOrchestrator(_config(tables, model_dir, stage="3"))
    orchestrator.run()
    newest = load_checkpoint(model_dir / "stage2_backbone_20250101_000000_000000.pt")["model"]
    for name, value in newest.items():
        assert torch.equal(_RecordingLoop.initial["backbone"][name], value), name
    stage2_head = load_checkpoint(results[2].checkpoints["head"])["model"]
    policy_weights = [
        v for k, v in _RecordingLoop.initial["policy_head"].items() if k.endswith("weight")
    ]
    head_weights = [v for k, v in stage2_head.items() if k.endswith("weight")]
    assert not torch.equal(policy_weights[-1], head_weights[-1])


def test_single_stage3_file_with_test_ratio_0_fails_before_stage1_runs(tables, tmp_path):
    # Issue 12 item 5: a single Stage-3 file is now split; only --test-ratio 0 refuses it.
    lone = write_table(stage3_frame(8), tmp_path / "games" / "only.feather")
    model_dir = tmp_path / "run"
    config = _config(tables, model_dir, stage3_data_path=lone, test_ratio=0.0)
    with pytest.raises(ValueError, match="--test-ratio 0"):
        MultiStageTrainingOrchestrator(config).run()
    assert not model_dir.exists()


def test_missed_gate_raises_with_achieved_required_and_hint(tables, tmp_path):
    config = _config(tables, tmp_path / "run", stage="1", stage1_threshold=1.0, stage1_max_epochs=1,
                     stage1_metric="exact_match")  # fmt: skip
    with pytest.raises(StageGateError) as error:
        MultiStageTrainingOrchestrator(config).run()
    message = str(error.value)
    assert "Stage 1 failed" in message and "required: 100.00%" in message
    assert "of target" in message and "--stage1-max-epochs" in message
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["status"] == "gate_failed"
    assert not list((tmp_path / "run").glob("*.pt"))


def test_corrupt_resume_checkpoint_is_named_before_training(tables, tmp_path):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    config = _config(tables, tmp_path / "run", stage="1", resume_backbone_from=broken)
    with pytest.raises(ValueError, match="broken.pt"):
        MultiStageTrainingOrchestrator(config).run()
    assert not (tmp_path / "run").exists()


def test_a_later_run_in_the_same_model_dir_keeps_earlier_stage_results(tables, tmp_path):
    model_dir = tmp_path / "stepwise"
    MultiStageTrainingOrchestrator(_config(tables, model_dir, stage="1")).run()
    MultiStageTrainingOrchestrator(_config(tables, model_dir, stage="2")).run()
    result = json.loads((model_dir / "result.json").read_text())
    assert sorted(result["stages"]) == ["1", "2"]
    started_from = result["stages"]["2"]["backbone_started_from"]
    assert Path(started_from).name.startswith("stage1_backbone_")
