"""Locks down how `learn-model` chooses its data path: streaming by default for Stages 2-3
(a 3-shard Stage-2 run trains end to end through streaming datasets) and map-style with
`--no-streaming`; Stage 1 stays map-style either way."""

from __future__ import annotations

import argparse
import json

import pytest
from _streaming_shards import write_numbered_shards
from _train_tables import stage1_frame

from maou_kit.cli import learn_model
from maou_kit.data import stage_inputs
from maou_kit.data.datasets import Stage1Dataset, Stage2Dataset
from maou_kit.data.stage_inputs import check_stage_inputs, load_stage_datasets
from maou_kit.data.streaming import StreamingStage2Dataset


@pytest.fixture
def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="maou-kit")
    learn_model.register(root.add_subparsers(dest="command"))
    return root


@pytest.fixture
def stage2_dir(tmp_path):
    write_numbered_shards(tmp_path / "stage2", (24, 20, 16))
    return tmp_path / "stage2"


def _stage2_argv(data_dir, model_dir, *extra: str) -> list[str]:
    return [
        "learn-model", "--stage", "2", "--stage2-data-path", str(data_dir), "--preset", "tiny",
        "--device", "cpu", "--stage2-max-epochs", "1", "--stage2-batch-size", "8",
        "--stage2-metric", "accuracy", "--stage2-threshold", "0.01", "--test-ratio", "0.34",
        "--model-dir", str(model_dir), *extra,
    ]  # fmt: skip


def _record_datasets(monkeypatch) -> list:
    """The (train, eval) datasets the orchestrator builds, recorded as it loads them."""
    built = []

    def recording_load(*args, **kwargs):
        built.append(load_stage_datasets(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr("maou_kit.train.stage_runs.load_stage_datasets", recording_load)
    return built


def test_streaming_stage2_run_trains_end_to_end(parser, stage2_dir, tmp_path, monkeypatch):
    built = _record_datasets(monkeypatch)
    args = parser.parse_args(_stage2_argv(stage2_dir, tmp_path / "run"))
    assert learn_model.run(args) == 0
    assert all(isinstance(dataset, StreamingStage2Dataset) for dataset in built[0])
    run = tmp_path / "run"
    assert json.loads((run / "config.json").read_text())["streaming"] is True
    epochs = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [record["epoch"] for record in epochs] == [1]
    assert json.loads((run / "result.json").read_text())["stages"]["2"]["threshold_met"] is True


def test_no_streaming_run_uses_map_style_datasets(parser, stage2_dir, tmp_path, monkeypatch):
    built = _record_datasets(monkeypatch)
    args = parser.parse_args(_stage2_argv(stage2_dir, tmp_path / "run", "--no-streaming"))
    assert learn_model.run(args) == 0
    assert all(type(dataset) is Stage2Dataset for dataset in built[0])
    assert json.loads((tmp_path / "run" / "config.json").read_text())["streaming"] is False


def test_stage1_stays_map_style_when_streaming(tmp_path):
    (table,) = write_numbered_shards(tmp_path, [12], frame_maker=stage1_frame)
    inputs = check_stage_inputs(1, table, test_ratio=0.2, seed=0)
    train, evaluation = load_stage_datasets(inputs, streaming=True, batch_size=4)
    assert isinstance(train, Stage1Dataset) and evaluation is train


def test_streaming_needs_the_batch_size(stage2_dir):
    inputs = check_stage_inputs(2, stage2_dir, test_ratio=0.34, seed=0)
    with pytest.raises(ValueError, match="batch size"):
        stage_inputs.load_stage_datasets(inputs, streaming=True)
