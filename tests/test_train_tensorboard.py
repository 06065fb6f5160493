"""TensorBoard scalars beside metrics.jsonl: same figures and epochs, optional package, resume."""

from __future__ import annotations

import json

import pytest
from _train_tables import stage1_frame

import maou_kit.train.orchestrator as orchestrator_module
from maou_kit.data.table_io import write_table
from maou_kit.train import LearnConfig, MultiStageTrainingOrchestrator
from maou_kit.train.tensorboard_log import TensorBoardScalars

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator",
    reason="the optional tensorboard package is not installed",
)


def _scalars(log_dir) -> dict[str, list[tuple[int, float]]]:
    accumulator = event_accumulator.EventAccumulator(str(log_dir))
    accumulator.Reload()
    return {
        tag: [(event.step, event.value) for event in accumulator.Scalars(tag)]
        for tag in accumulator.Tags()["scalars"]
    }


def _stage1_config(tmp_path, **overrides) -> LearnConfig:
    table = write_table(stage1_frame(24), tmp_path / "stage1.feather")
    settings = dict(
        arch="mlp-mixer", preset="tiny", device="cpu", seed=0, stage="1",
        stage1_data_path=table, model_dir=tmp_path / "run", stage1_batch_size=8,
        stage1_max_epochs=2, stage1_threshold=1.0,
    )  # fmt: skip
    settings.update(overrides)
    return LearnConfig(**settings)


def _run_stage1(config: LearnConfig) -> None:
    try:
        MultiStageTrainingOrchestrator(config).run()
    except orchestrator_module.StageGateError:
        pass  # an unreachable gate: both epochs run, which is what these tests read


def test_numeric_figures_become_scalars_with_the_epoch_as_step(tmp_path):
    scalars = TensorBoardScalars(tmp_path)
    for epoch in (1, 2):
        scalars.write({"stage": 2, "epoch": epoch, "train_loss": 1.0 / epoch, "note": "x"})
    scalars.close()
    assert _scalars(tmp_path / "tensorboard" / "stage2") == {"train_loss": [(1, 1.0), (2, 0.5)]}


def test_a_resumed_stage_replaces_the_epochs_it_redoes(tmp_path):
    first = TensorBoardScalars(tmp_path)
    for epoch in (1, 2, 3):
        first.write({"stage": 1, "epoch": epoch, "gate_metric": 0.1 * epoch})
    first.close()
    resumed = TensorBoardScalars(tmp_path)  # the interrupted epoch 3 is trained again
    for epoch in (3, 4):
        resumed.write({"stage": 1, "epoch": epoch, "gate_metric": 0.9})
    resumed.close()
    steps = [step for step, _ in _scalars(tmp_path / "tensorboard" / "stage1")["gate_metric"]]
    assert steps == [1, 2, 3, 4]


def test_learn_model_writes_every_metrics_line_as_scalars(tmp_path):
    config = _stage1_config(tmp_path)
    _run_stage1(config)
    lines = [json.loads(line) for line in (config.model_dir / "metrics.jsonl").open()]
    scalars = _scalars(config.model_dir / "tensorboard" / "stage1")
    assert [step for step, _ in scalars["train_loss"]] == [line["epoch"] for line in lines]
    assert [value for _, value in scalars["gate_metric"]] == pytest.approx(
        [line["gate_metric"] for line in lines]
    )


def test_no_tensorboard_option_writes_no_event_files(tmp_path):
    config = _stage1_config(tmp_path, tensorboard=False)
    _run_stage1(config)
    assert (config.model_dir / "metrics.jsonl").is_file()
    assert not (config.model_dir / "tensorboard").exists()


def test_runs_without_the_package_write_no_event_files(tmp_path, monkeypatch):
    monkeypatch.setattr(orchestrator_module, "tensorboard_available", lambda: False)
    config = _stage1_config(tmp_path)
    _run_stage1(config)
    assert (config.model_dir / "metrics.jsonl").is_file()
    assert not (config.model_dir / "tensorboard").exists()
