"""Locks down the one declaration of the stage settings (`maou_kit.train.settings`): the
`learn-model` options and their help, `LearnConfig`'s fields, `StageConfig`'s defaults and
ranges, the notebook parameter types and the smoke caps are all read from it (a default or
range defined a second time somewhere makes one of these fail), and the seed's batch-size
flow: a given `--batch-size` reaches every stage's DataLoader unless a stage option is given."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
from pathlib import Path

import pytest
from _streaming_shards import write_numbered_shards
from _train_tables import stage1_frame

from maou_kit.cli import learn_model
from maou_kit.data.datasets import Stage2Dataset
from maou_kit.data.loader import DataLoaderFactory
from maou_kit.data.shards import read_stage2_dataset
from maou_kit.data.streaming import StreamingStage2Dataset
from maou_kit.data.table_io import write_table
from maou_kit.train.config import LearnConfig
from maou_kit.train.settings import SETTINGS, Range, measured_batch_size, stage_field_setting
from maou_kit.train.stage_runs import stage_loaders
from maou_kit.train.stages import StageConfig, TrainingStage
from maou_kit.viz.parameters import NOTEBOOK_PARAMETERS

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples"


@pytest.fixture(scope="module")
def subparser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="maou-kit")
    learn_model.register(parser.add_subparsers())
    return parser._subparsers._group_actions[0].choices["learn-model"]  # type: ignore[union-attr]


def _config(subparser: argparse.ArgumentParser, *argv: str) -> LearnConfig:
    return learn_model.config_from_args(subparser.parse_args(["--stage", "1", *argv]))


def test_every_option_and_its_help_are_generated_from_the_declaration(subparser):
    actions = {action.dest: action for action in subparser._actions if action.dest != "help"}
    assert set(actions) == set(SETTINGS)
    for name, setting in SETTINGS.items():
        action = actions[name]
        assert action.option_strings == [setting.flag or setting.option], name
        assert action.help == setting.help_text(), name


def test_help_shows_each_default_and_range(subparser):
    text = subparser.format_help().replace("\n", " ")
    assert "(default: 0.99; in (0, 1])" in " ".join(text.split())
    assert "--stage {1,2,3,all}" in text


def test_learn_config_fields_and_defaults_are_the_declaration():
    fields = {field.name: field.default for field in dataclasses.fields(LearnConfig)}
    assert fields == {name: setting.default for name, setting in SETTINGS.items()}


def test_stage_config_defaults_are_the_declared_ones():
    for field in dataclasses.fields(StageConfig):
        setting = stage_field_setting(field.name)
        if setting is None or field.default is dataclasses.MISSING or field.name == "threshold":
            continue
        assert field.default == setting.default, field.name


def test_weight_decay_has_one_default():
    config = StageConfig(TrainingStage.POLICY_VALUE, batch_size=4, max_epochs=1, learning_rate=1e-3)
    assert config.weight_decay == SETTINGS["weight_decay"].default == 0.05


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_stage_config_range_checks_are_the_declared_ones(stage):
    base = dict(stage=stage, batch_size=4, max_epochs=1, learning_rate=1e-3)
    if stage != 3:
        base["threshold"] = 0.5
    for field in dataclasses.fields(StageConfig):
        setting = stage_field_setting(field.name, stage)
        if setting is None or not isinstance(setting.check, Range) or setting.check.low is None:
            continue
        if field.name == "threshold" and stage == 3:
            continue
        below = setting.check.low - (0 if setting.check.low_open else 1)
        with pytest.raises(ValueError, match=re.escape(f"must be {setting.check.text()}")):
            StageConfig(**{**base, field.name: below})


def test_notebook_parameter_types_come_from_the_declaration():
    for parameters in NOTEBOOK_PARAMETERS.values():
        for parameter in parameters:
            if parameter.field is not None:
                declared = SETTINGS[parameter.field].kind
                assert parameter.kind is (str if declared is Path else declared), parameter.name


def test_choices_listed_in_the_help_are_the_model_ones():
    from maou_kit.model import ARCHITECTURES, PRESETS

    assert SETTINGS["arch"].check.shown == tuple(ARCHITECTURES)  # type: ignore[union-attr]
    assert SETTINGS["preset"].check.shown == tuple(PRESETS)  # type: ignore[union-attr]


def test_without_batch_size_each_stage_takes_its_measured_default(subparser):
    config = _config(subparser)
    sizes = [config.stage_config(TrainingStage(n)).batch_size for n in (1, 2, 3)]
    assert sizes == [measured_batch_size(n) for n in (1, 2, 3)] == [8, 64, 256]


def test_a_given_batch_size_is_every_stage_batch_size(subparser):
    config = _config(subparser, "--batch-size", "512")
    assert [config.stage_config(TrainingStage(n)).batch_size for n in (1, 2, 3)] == [512] * 3


def test_a_stage_option_overrides_the_given_batch_size(subparser):
    config = _config(subparser, "--batch-size", "512", "--stage2-batch-size", "32")
    assert [config.stage_config(TrainingStage(n)).batch_size for n in (1, 2, 3)] == [512, 32, 512]


def test_notebook_batch_size_changed_from_its_default_reaches_every_stage(tmp_path, monkeypatch):
    from maou_kit.viz.notebook_config import curriculum_setup

    monkeypatch.delenv("CI", raising=False)
    setup = curriculum_setup(
        RUN_DIR=str(tmp_path), STAGE1_DATA_PATH="", STAGE2_DATA_PATH=str(SAMPLES / "stage2"),
        STAGE3_DATA_PATH=str(SAMPLES / "stage3"), STAGE1_EPOCHS=2, STAGE2_EPOCHS=2, STAGE3_EPOCHS=2,
        STAGE1_THRESHOLD=0.9, STAGE2_THRESHOLD=0.9, STAGE1_LEARNING_RATE=2e-3,
        STAGE2_LEARNING_RATE=1e-3, STAGE3_LEARNING_RATE=3e-4, STAGE1_BATCH_SIZE=8, BATCH_SIZE=512,
        STAGE1_POS_WEIGHT=1.0, STAGE2_POS_WEIGHT=1.0,
        ARCH="resnet", PRESET="tiny", SEED=0, DEVICE="cpu", SMOKE=False, OVERWRITE=True,
    )  # fmt: skip
    config = setup.curriculum.config
    assert [config.stage_config(TrainingStage(n)).batch_size for n in (1, 2, 3)] == [512] * 3


def _loader_batch_sizes(subparser, tmp_path, streaming: bool) -> tuple[int, int]:
    config = _config(subparser, "--batch-size", "512")
    stage_config = config.stage_config(TrainingStage.LEGAL_MOVES)
    files = write_numbered_shards(tmp_path, [600, 700])
    if streaming:
        train_set, eval_set = StreamingStage2Dataset(files, 1), StreamingStage2Dataset(files, 1)
    else:
        train_set = eval_set = read_stage2_dataset(files)
        assert isinstance(train_set, Stage2Dataset)
    train, evaluation = stage_loaders(DataLoaderFactory(), stage_config, train_set, eval_set)
    if streaming:  # streaming loaders run with batch_size=None; the dataset cuts the batches
        return train.dataset.batch_size, evaluation.dataset.batch_size
    return train.batch_size, evaluation.batch_size


def test_given_batch_size_reaches_map_style_dataloaders(subparser, tmp_path):
    assert _loader_batch_sizes(subparser, tmp_path, streaming=False) == (512, 512)


def test_given_batch_size_reaches_streaming_dataloaders(subparser, tmp_path):
    assert _loader_batch_sizes(subparser, tmp_path, streaming=True) == (512, 512)


def test_factory_decides_shuffle_and_drop_last_of_streaming_data(tmp_path):
    files = write_numbered_shards(tmp_path, [10, 7])
    loader = DataLoaderFactory().train_loader(StreamingStage2Dataset(files, 3), batch_size=4)
    assert (loader.dataset.batch_size, loader.dataset.shuffle, loader.dataset.drop_last) == (
        4,
        True,
        True,
    )


def test_measured_default_is_a_global_batch_under_torchrun(monkeypatch):
    monkeypatch.setattr("maou_kit.data.loader.distributed_rank", lambda rank, world: (0, 2))
    config = LearnConfig(stage="1", stage1_max_epochs=1)
    default = config.stage_config(TrainingStage.REACHABLE_SQUARES)
    given = LearnConfig(stage="1", stage1_batch_size=6).stage_config(
        TrainingStage.REACHABLE_SQUARES
    )
    assert DataLoaderFactory.process_batch_size(default.batch_size, default.global_batch) == 4
    assert DataLoaderFactory.process_batch_size(given.batch_size, given.global_batch) == 6


def test_config_and_result_record_each_stage_batch_size(subparser, tmp_path):
    table = write_table(stage1_frame(16), tmp_path / "stage1.feather")
    args = subparser.parse_args(
        ["--stage", "1", "--stage1-data-path", str(table), "--preset", "tiny", "--device", "cpu",
         "--stage1-max-epochs", "1", "--stage1-threshold", "0.5", "--batch-size", "4",
         "--model-dir", str(tmp_path / "run")]
    )  # fmt: skip
    assert learn_model.run(args) == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert config["stage_configs"]["1"]["batch_size"] == 4
    assert result["stages"]["1"]["batch_size"] == 4


def test_run_directory_file_names_are_spelled_only_in_run_layout():
    package = Path(__file__).resolve().parents[1] / "maou_kit"
    names = (
        '"config.json"',
        '"metrics.jsonl"',
        '"result.json"',
        "backbone_{timestamp}",
        "progress_{timestamp}",
    )
    found = [
        f"{path.relative_to(package)}: {name}"
        for folder in ("train", "cli", "viz", "data")
        for path in sorted((package / folder).glob("*.py"))
        if path.name != "run_layout.py"
        for name in names
        if name in path.read_text()
    ]
    assert found == []
