"""Locks down resuming interrupted runs: a curriculum killed (SIGKILL) in the middle of
Stage 2 or 3 and resumed with `--resume` ends with exactly the weights and metrics of
an uninterrupted run; Ctrl-C and SIGTERM leave status "interrupted" and the resume
command; a save that fails leaves the previous checkpoint loadable; a corrupt
checkpoint and unusable run directories are refused in one line naming the file; a
stage resumed from its state reports what an uninterrupted one would.

The Stage 1-2 gates are scripted (tests/_resume_driver.py) so that every stage trains a
fixed number of epochs (Stage 1: 2, Stage 2: 3, Stage 3: 3); training is real.
"""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from _resume_driver import install_scripted_gates
from _train_tables import (
    stage1_frame,
    stage2_frame,
    stage3_frame,
    tiny_backbone,
    write_split,
)

from maou_kit.cli import learn_model
from maou_kit.cli import main as cli_main
from maou_kit.data.datasets import KifDataset, Stage2Dataset
from maou_kit.data.loader import DataLoaderFactory
from maou_kit.data.table_io import write_table
from maou_kit.model import LegalMovesHead, PolicyHead, ValueHead
from maou_kit.train import (
    LearnConfig,
    MultiLabelModel,
    MultiStageTrainingOrchestrator,
    PolicyValueModel,
    SingleStageTrainingLoop,
    StageConfig,
    TrainingLoop,
    TrainingStage,
)
from maou_kit.train.checkpoints import load_checkpoint

DRIVER = Path(__file__).with_name("_resume_driver.py")


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    root = tmp_path_factory.mktemp("tables")
    write_table(stage1_frame(24), root / "stage1.feather")
    write_split(root / "stage2", stage2_frame, 16, 6)
    # two training files: the streaming file order is drawn anew every epoch
    write_table(stage3_frame(8, seed=1), root / "stage3" / "train_a.feather")
    write_table(stage3_frame(8, seed=3), root / "stage3" / "train_b.feather")
    write_table(stage3_frame(6, seed=2), root / "stage3" / "val.feather")
    return root


def _settings(tables: Path) -> dict:
    return dict(
        stage1_data_path=tables / "stage1.feather", stage2_data_path=tables / "stage2",
        stage3_data_path=tables / "stage3", arch="mlp-mixer", preset="tiny", device="cpu",
        seed=3, stage1_batch_size=8, batch_size=8, stage1_max_epochs=2, stage2_max_epochs=3,
        epoch=3, stage1_threshold=0.5, stage2_threshold=0.5,
    )  # fmt: skip


def _argv(tables: Path, run_dir: Path) -> list[str]:
    argv = ["learn-model", "--model-dir", str(run_dir)]
    for name, value in _settings(tables).items():
        argv += ["--" + name.replace("_", "-"), str(value)]
    return argv


def _drive(cli_args: list[str], signal_at: tuple[int, int, str] | None = None):
    options = ["--signal-at", *map(str, signal_at)] if signal_at else []
    command = [sys.executable, str(DRIVER), *options, "--", *cli_args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _result(run_dir: Path) -> dict:
    return json.loads((run_dir / "result.json").read_text())


def _final_weights(run_dir: Path) -> dict[str, torch.Tensor]:
    payload = load_checkpoint(run_dir / _result(run_dir)["stages"]["3"]["checkpoints"]["stage3"])
    return {
        f"{part}.{name}": tensor
        for part in ("backbone", "policy_head", "value_head")
        for name, tensor in payload[part].items()
    }


def _losses(run_dir: Path) -> list[tuple[int, int, float]]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [(row["stage"], row["epoch"], row["train_loss"]) for row in map(json.loads, lines)]


def _assert_same_run(run_dir: Path, reference: Path) -> None:
    assert _result(run_dir)["status"] == "completed"
    assert _losses(run_dir) == _losses(reference)
    final, expected = _final_weights(run_dir), _final_weights(reference)
    assert final.keys() == expected.keys()
    for name, tensor in expected.items():
        assert torch.equal(final[name], tensor), name


# ---------------------------------------------------------------- child processes
@pytest.fixture(scope="module")
def reference_run(tables, tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("reference") / "run"
    finished = _drive(_argv(tables, run_dir))
    assert finished.returncode == 0, finished.stderr
    return run_dir


@pytest.mark.parametrize("stage", [2, 3])
def test_a_run_killed_mid_stage_resumes_to_the_same_weights(stage, tables, reference_run, tmp_path):
    run_dir = tmp_path / "run"
    killed = _drive(_argv(tables, run_dir), signal_at=(stage, 2, "SIGKILL"))
    assert killed.returncode == -signal.SIGKILL
    result = _result(run_dir)
    assert result["status"] == "running" and result["progress"]["stage"] == stage
    assert load_checkpoint(run_dir / result["progress"]["checkpoint"])["epoch"] == 1
    resumed = _drive(["learn-model", "--resume", str(run_dir)])
    assert resumed.returncode == 0, resumed.stderr
    _assert_same_run(run_dir, reference_run)


def test_sigterm_exits_143_with_status_interrupted_and_the_resume_command(tables, tmp_path):
    run_dir = tmp_path / "run"
    stopped = _drive(_argv(tables, run_dir), signal_at=(2, 2, "SIGTERM"))
    assert stopped.returncode == 143
    assert f"maou-kit learn-model --resume {run_dir}" in stopped.stderr
    result = _result(run_dir)
    assert result["status"] == "interrupted"
    assert load_checkpoint(run_dir / result["progress"]["checkpoint"])["epoch"] == 1


# ---------------------------------------------------------------- in this process
@pytest.fixture(scope="module", autouse=True)
def scripted_gates():
    with pytest.MonkeyPatch.context() as patch:
        install_scripted_gates(patch.setattr)
        yield


@pytest.fixture(scope="module")
def in_process_reference(tables, tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("in_process") / "run"
    MultiStageTrainingOrchestrator(LearnConfig(**_settings(tables), model_dir=run_dir)).run()
    return run_dir


def _interrupt_at(stage: int, epoch: int):
    def hook(at_stage, at_epoch, metrics) -> None:
        if (int(at_stage), at_epoch) == (stage, epoch):
            raise KeyboardInterrupt

    return hook


def _interrupted_run(tables: Path, run_dir: Path, stage: int, epoch: int) -> None:
    config = LearnConfig(**_settings(tables), model_dir=run_dir)
    with pytest.raises(KeyboardInterrupt):
        MultiStageTrainingOrchestrator(config, on_epoch_end=_interrupt_at(stage, epoch)).run()


def test_ctrl_c_mid_stage_leaves_status_interrupted_and_resume_completes(
    tables, in_process_reference, tmp_path
):
    run_dir = tmp_path / "run"
    _interrupted_run(tables, run_dir, 2, 2)
    result = _result(run_dir)
    assert result["status"] == "interrupted"
    assert load_checkpoint(run_dir / result["progress"]["checkpoint"])["epoch"] == 1
    results = MultiStageTrainingOrchestrator.resume(run_dir).run()
    assert sorted(int(stage) for stage in results) == [1, 2, 3]
    _assert_same_run(run_dir, in_process_reference)


def test_ctrl_c_under_the_cli_exits_130_with_the_resume_command(
    tables, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(learn_model, "_print_epoch", _interrupt_at(1, 1))
    run_dir = tmp_path / "run"
    assert cli_main(_argv(tables, run_dir)) == 130
    assert f"resume with: maou-kit learn-model --resume {run_dir}" in capsys.readouterr().err
    assert _result(run_dir)["status"] == "interrupted"


def test_a_stage_interrupted_before_its_first_checkpoint_starts_afresh(
    tables, in_process_reference, tmp_path
):
    run_dir = tmp_path / "run"
    _interrupted_run(tables, run_dir, 3, 1)  # stages 1-2 done, stage 3 saved nothing yet
    assert _result(run_dir)["progress"]["stage"] == 3
    assert not list(run_dir.glob("stage3_*.pt"))
    MultiStageTrainingOrchestrator.resume(run_dir).run()
    _assert_same_run(run_dir, in_process_reference)


def test_a_failed_save_keeps_the_previous_checkpoint_and_the_run_resumes(
    tables, in_process_reference, tmp_path, monkeypatch
):
    real_save, progress_saves = torch.save, []

    def save_that_fails_on_the_second_progress_file(payload, handle) -> None:
        if "stage2_progress" in handle.name:
            progress_saves.append(handle.name)
            if len(progress_saves) == 2:
                handle.write(b"half a checkpoint")
                raise OSError("No space left on device")
        real_save(payload, handle)

    monkeypatch.setattr(torch, "save", save_that_fails_on_the_second_progress_file)
    run_dir = tmp_path / "run"
    with pytest.raises(OSError, match="No space left"):
        MultiStageTrainingOrchestrator(LearnConfig(**_settings(tables), model_dir=run_dir)).run()
    monkeypatch.undo()
    result = _result(run_dir)
    assert result["status"] == "failed" and "No space left" in result["error"]
    assert load_checkpoint(run_dir / result["progress"]["checkpoint"])["epoch"] == 1
    assert not [path for path in run_dir.iterdir() if path.name.endswith(".tmp")]
    MultiStageTrainingOrchestrator.resume(run_dir).run()
    _assert_same_run(run_dir, in_process_reference)


def test_a_corrupt_newest_checkpoint_is_named_and_nothing_is_written(tables, tmp_path, capsys):
    run_dir = tmp_path / "run"
    _interrupted_run(tables, run_dir, 2, 2)
    checkpoint = run_dir / _result(run_dir)["progress"]["checkpoint"]
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    before = (run_dir / "result.json").read_text()
    assert cli_main(["learn-model", "--resume", str(run_dir)]) == 2
    error = capsys.readouterr().err
    assert f"{checkpoint}: corrupt or unreadable checkpoint" in error
    assert (run_dir / "result.json").read_text() == before


def _missing(tables, tmp_path, reference):
    return tmp_path / "no_such_run", [], "no such run directory"


def _without_config(tables, tmp_path, reference):
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty", [], "no config.json"


def _completed(tables, tmp_path, reference):
    return reference, [], "already completed"


def _with_other_options(tables, tmp_path, reference):
    return reference, ["--epoch", "5", "--no-streaming"], "remove --epoch, --no-streaming"


def _gate_failed(tables, tmp_path, reference):
    config = LearnConfig(**{**_settings(tables), "stage1_max_epochs": 1}, model_dir=tmp_path / "g")
    with pytest.raises(RuntimeError, match="Stage 1 failed"):
        MultiStageTrainingOrchestrator(config).run()
    return tmp_path / "g", [], "stage 1 missed its gate"


def _inputs_changed(tables, tmp_path, reference):
    _interrupted_run(tables, tmp_path / "run", 2, 2)
    config_path = tmp_path / "run" / "config.json"
    saved = json.loads(config_path.read_text())
    saved["inputs"]["3"]["train_rows"] += 1
    config_path.write_text(json.dumps(saved))
    return tmp_path / "run", [], "stage 3 inputs changed since the run started (train_rows"


@pytest.mark.parametrize(
    "make_case",
    [_missing, _without_config, _completed, _with_other_options, _gate_failed, _inputs_changed],
)
def test_unresumable_run_directories_are_refused_in_one_line(
    make_case, tables, in_process_reference, tmp_path, capsys
):
    run_dir, extra, reason = make_case(tables, tmp_path, in_process_reference)
    listing = sorted(run_dir.iterdir()) if run_dir.is_dir() else None
    assert cli_main(["learn-model", "--resume", str(run_dir), *extra]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and str(run_dir) in error and reason in error
    assert (sorted(run_dir.iterdir()) if run_dir.is_dir() else None) == listing


# ---------------------------------------------------------------- the loops' own state
def _stage2_loop(eval_values: list[float]) -> SingleStageTrainingLoop:
    """A Stage-2 loop whose gate metric reads `eval_values[epoch - 1]`."""
    dataset = Stage2Dataset.from_frame(stage2_frame(12))
    config = StageConfig(TrainingStage.LEGAL_MOVES, batch_size=4, max_epochs=3,
                         learning_rate=1e-2, threshold=0.95)  # fmt: skip
    backbone = tiny_backbone()
    loaders = DataLoaderFactory(seed=0)
    loop = SingleStageTrainingLoop(
        MultiLabelModel(backbone, LegalMovesHead(backbone.feature_dim)), config,
        loaders.train_loader(dataset, 4), loaders.eval_loader(dataset, 4), device="cpu",
    )  # fmt: skip
    real_evaluate = loop.evaluate

    def evaluate() -> dict[str, float]:
        return {**real_evaluate(), "accuracy": eval_values[loop.epochs_done]}

    loop.evaluate = evaluate
    return loop


def test_a_resumed_gated_stage_keeps_its_best_epoch_and_ends_with_the_same_weights():
    values = [0.5, 0.9, 0.6]  # best epoch 2, then interrupted; the gate is never met
    uninterrupted, states = _stage2_loop(values), []
    uninterrupted.on_checkpoint = lambda state: states.append(copy.deepcopy(state))
    expected = uninterrupted.run()
    assert [state["epoch"] for state in states] == [1, 2]  # none after the last epoch
    resumed = _stage2_loop(values)
    resumed.load_state_dict(states[1])
    result = resumed.run()
    assert (result.achieved, result.best_epoch, result.epochs_trained) == (0.9, 2, 3)
    assert result.final_loss == expected.final_loss and result.metrics == expected.metrics
    for name, tensor in uninterrupted.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[name], tensor), name


def test_stage3_resumed_after_early_stopping_trains_no_further():
    train_set = KifDataset.from_frame(stage3_frame(8, seed=1))
    config = StageConfig(TrainingStage.POLICY_VALUE, batch_size=4, max_epochs=5,
                         learning_rate=1e-2, early_stopping_patience=1)  # fmt: skip
    backbone = tiny_backbone()
    model = PolicyValueModel(
        backbone, PolicyHead(backbone.feature_dim), ValueHead(backbone.feature_dim)
    )
    loaders = DataLoaderFactory(seed=0)
    loop = TrainingLoop(model, config, loaders.train_loader(train_set, 4),
                        loaders.eval_loader(train_set, 4), device="cpu")  # fmt: skip
    state = copy.deepcopy(loop.state_dict())
    state.update(epoch=2, best_epoch=1, best_val_loss=1.0, epochs_without_improvement=1,
                 last_train_loss=2.5, last_val_metrics={"loss": 1.5})  # fmt: skip
    loop.load_state_dict(state)
    result = loop.run()
    assert (result.epochs_trained, result.best_epoch, result.final_loss) == (2, 1, 2.5)
    assert loop.parts.stepper.optimizer_steps == 0


def test_resume_with_the_checkpoint_deleted_says_the_stage_starts_again(tables, tmp_path, capsys):
    run_dir = tmp_path / "run"
    _interrupted_run(tables, run_dir, 2, 2)
    checkpoint = run_dir / _result(run_dir)["progress"]["checkpoint"]
    checkpoint.unlink()
    MultiStageTrainingOrchestrator.resume(run_dir).run()
    assert (
        f"{checkpoint}: missing, although stage 2 finished an epoch; the stage starts again "
        "from its first epoch"
    ) in capsys.readouterr().err
