"""Locks down `maou-kit learn-model`: every option of SPEC section 6 exists, every option a
gate-failure hint names exists, bad values are refused before any work with a
one-line reason naming the option, and a tiny run exits 0 (1 on a missed gate)."""

from __future__ import annotations

import argparse
import json
import re

import pytest
from _train_tables import stage1_frame

from maou_kit.cli import learn_model
from maou_kit.data.table_io import write_table
from maou_kit.train.orchestrator import GATE_HINT_OPTIONS, gate_failure_message
from maou_kit.train.stages import StageResult, TrainingStage

SPEC_OPTIONS = """
--stage --stage1-data-path --stage2-data-path --stage3-data-path --batch-size
--stage1-batch-size --stage2-batch-size --stage3-batch-size --stage1-threshold
--stage2-threshold --stage1-max-epochs --stage2-max-epochs --stage1-learning-rate
--stage2-learning-rate --epoch --test-ratio --model-dir --resume-backbone-from
--gradient-accumulation-steps --dataloader-workers --pin-memory --prefetch-factor
--learning-ratio --optimizer --policy-loss-ratio --value-loss-ratio --stage1-pos-weight
--stage2-pos-weight --stage2-gamma-pos --stage2-gamma-neg --stage2-clip
--early-stopping-patience --device --arch --preset --seed --stage1-metric --stage2-metric
--stage2-loss --weight-decay --warmup-ratio
""".split()


@pytest.fixture
def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="maou-kit")
    learn_model.register(root.add_subparsers(dest="command"))
    return root


def _options(parser: argparse.ArgumentParser) -> set[str]:
    subparser = parser._subparsers._group_actions[0].choices["learn-model"]
    return {option for action in subparser._actions for option in action.option_strings}


def test_every_spec_option_exists(parser):
    assert set(SPEC_OPTIONS) - _options(parser) == set()


def test_every_option_named_in_a_gate_hint_exists(parser):
    for stage in (TrainingStage.REACHABLE_SQUARES, TrainingStage.LEGAL_MOVES):
        result = StageResult(stage, "accuracy", 0.9, 0.99, 0.902, 0.1, 10, 7, False, 1.0)
        named = set(re.findall(r"--[a-z0-9-]+", gate_failure_message(result)))
        assert len(named) == len(GATE_HINT_OPTIONS)
        assert named <= _options(parser)


def test_defaults_come_from_the_config(parser):
    args = parser.parse_args(["learn-model", "--stage", "1"])
    config = learn_model.config_from_args(args)
    assert (config.batch_size, config.stage1_threshold, config.stage2_threshold) == (
        256,
        0.99,
        0.95,
    )
    assert (config.stage1_max_epochs, config.stage2_max_epochs, config.test_ratio) == (10, 10, 0.2)
    assert config.stage2_metric == "f1" and config.dataloader_workers == 0


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--batch-size", "0"], "--batch-size"),
        (["--stage1-batch-size", "-4"], "--stage1-batch-size"),
        (["--stage1-threshold", "1.5"], "--stage1-threshold"),
        (["--stage2-threshold", "0"], "--stage2-threshold"),
        (["--stage1-metric", "precision"], "--stage1-metric"),
        (["--optimizer", "adam"], "--optimizer"),
        (["--test-ratio", "1"], "--test-ratio"),
        (["--stage", "4"], "--stage"),
        (["--stage", "2"], "--stage2-data-path"),
        (["--stage", "1", "--stage1-data-path", "no/such/table.feather"], "--stage1-data-path"),
    ],
)
def test_bad_values_are_refused_with_one_line_naming_the_option(parser, argv, option, tmp_path):
    args = parser.parse_args(["learn-model", "--model-dir", str(tmp_path / "run"), *argv])
    with pytest.raises((ValueError, FileNotFoundError)) as error:
        learn_model.run(args)
    message = str(error.value)
    assert option in message and "\n" not in message
    assert not (tmp_path / "run").exists()


def _tiny_argv(tmp_path, threshold: str) -> list[str]:
    table = write_table(stage1_frame(16), tmp_path / "stage1.feather")
    return [
        "learn-model", "--stage", "1", "--stage1-data-path", str(table), "--preset", "tiny",
        "--device", "cpu", "--stage1-max-epochs", "1", "--stage1-threshold", threshold,
        "--model-dir", str(tmp_path / "run"),
    ]  # fmt: skip


def test_tiny_stage1_run_exits_zero_and_writes_the_run(parser, tmp_path, capsys):
    args = parser.parse_args(_tiny_argv(tmp_path, "0.5"))
    assert learn_model.run(args) == 0
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    assert result["stages"]["1"]["threshold_met"] is True
    assert "stage 1 epoch 1" in capsys.readouterr().out


def test_missed_gate_exits_one_with_the_hint(parser, tmp_path, capsys):
    args = parser.parse_args(_tiny_argv(tmp_path, "1.0") + ["--stage1-metric", "exact_match"])
    assert learn_model.run(args) == 1
    assert "--stage1-max-epochs" in capsys.readouterr().err


def test_final_line_says_why_stage3_stopped_and_which_epoch_its_weights_are_from():
    from maou_kit.cli.learn_model import _ending
    from maou_kit.train.stages import StageResult, TrainingStage

    result = StageResult(
        stage=TrainingStage.POLICY_VALUE, metric_name="val_loss", achieved=5.1,
        threshold=None, baseline=None, final_loss=4.0, epochs_trained=4, best_epoch=2,
        threshold_met=None, seconds=1.0, weights_epoch=2,
        stopped_by="no validation-loss gain for 2 epochs",
    )  # fmt: skip
    assert _ending(result) == (
        "; stopped: no validation-loss gain for 2 epochs, checkpoint holds epoch 2's weights"
    )
