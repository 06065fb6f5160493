"""Locks down the widgets without a kernel (ipywidgets 8): the stage controls start a
run with their values in a new folder, advance the progress bar per epoch, redraw
the curves and report errors in the status line; the prediction explorer steps
through positions and shows truth vs prediction loaded from a run's checkpoints;
`run_training` feeds a live figure after every epoch and reports a missed gate."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from maou_kit.viz.controls import StageControls
from maou_kit.viz.explorer import PredictionExplorer, explorer_from_run, prediction_explorer
from maou_kit.viz.live import progress_disabled_by_environment, run_training, settle_bar
from maou_kit.viz.notebook_config import stage_setup

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def smoke_setup(stage: int, run_dir: Path, **overrides: object):
    """A smoke-mode setup of stage 1 or 2 on the shipped samples (tiny, 256 rows)."""
    values: dict[str, object] = dict(
        RUN_DIR=str(run_dir), DATA_PATH="" if stage == 1 else str(SAMPLES / "stage2"),
        BACKBONE_FROM="", EPOCHS=1, THRESHOLD=0.9, METRIC="accuracy", LEARNING_RATE=2e-3,
        BATCH_SIZE=32, POS_WEIGHT=1.0, ARCH="mlp-mixer", PRESET="small", SEED=0, DEVICE="cpu",
        SMOKE=True, OVERWRITE=True,
    )  # fmt: skip
    values.update(overrides)
    return stage_setup(stage, **values)


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")


@pytest.fixture(scope="module")
def stage1_run(tmp_path_factory):
    setup = smoke_setup(1, tmp_path_factory.mktemp("stage1"))
    run_training(setup, progress=False)
    return setup


@pytest.fixture(scope="module")
def stage2_run(tmp_path_factory):
    setup = smoke_setup(2, tmp_path_factory.mktemp("stage2"))
    run_training(setup, progress=False)
    return setup


# ---------------------------------------------------------------- stage controls
def test_controls_start_with_the_setup_values(stage1_run):
    controls = StageControls(stage1_run)
    config = stage1_run.config
    assert controls.learning_rate.value == pytest.approx(config.stage1_learning_rate)
    assert (controls.batch_size.value, controls.epochs.value) == (32, config.stage1_max_epochs)


def test_run_button_trains_with_the_widget_values_in_a_new_folder(stage1_run):
    controls = StageControls(stage1_run)
    controls.learning_rate.value = 1e-3
    controls.batch_size.value = 64
    controls.run_button.click()
    run_dir = controls.outcomes[-1].run_dir
    config = json.loads((run_dir / "config.json").read_text())
    assert run_dir.parent == stage1_run.run_dir / "interactive"
    assert (
        config["stage1_learning_rate"] == pytest.approx(1e-3) and config["stage1_batch_size"] == 64
    )


def test_progress_bar_ends_at_the_epochs_trained(stage1_run):
    controls = StageControls(stage1_run)
    controls.threshold.value = 1.0  # unreachable: every epoch of the budget runs
    controls.epochs.value = 2
    controls.run_button.click()
    result = json.loads((controls.outcomes[-1].run_dir / "result.json").read_text())
    assert result["stages"]["1"]["epochs_trained"] == 2 == controls.progress.value
    assert controls.progress.max == 2


def test_missed_gate_colours_the_progress_bar_red(stage1_run):
    controls = StageControls(stage1_run)
    controls.threshold.value = 1.0
    controls.epochs.value = 1
    controls.run_button.click()
    assert controls.progress.bar_style == "danger"


def test_gate_met_early_fills_the_progress_bar_green(stage1_run):
    controls = StageControls(stage1_run)
    controls.threshold.value = 0.5  # met after the first epoch of a budget of 3
    controls.epochs.value = 3
    controls.run_button.click()
    assert (controls.progress.value, controls.progress.max) == (1, 1)
    assert controls.progress.bar_style == "success"


def test_curves_image_is_hidden_until_a_run_draws_it(stage1_run):
    assert StageControls(stage1_run).curves.layout.display == "none"


def test_settled_bar_of_a_run_that_ended_early_reads_full():
    from tqdm import tqdm

    bar = tqdm(total=10, disable=False, file=io.StringIO())
    bar.update(4)
    settle_bar(bar, gate_missed=False)
    assert (bar.n, bar.total) == (4, 4)


def test_settled_bar_of_a_missed_gate_keeps_its_budget():
    from tqdm import tqdm

    bar = tqdm(total=10, disable=False, file=io.StringIO())
    bar.update(4)
    settle_bar(bar, gate_missed=True)
    assert bar.total == 10


def test_run_shows_curves_and_status_and_reenables_the_button(stage1_run):
    controls = StageControls(stage1_run)
    controls.run_button.click()
    assert controls.curves.value[:8] == PNG_MAGIC
    assert (
        controls.status.value.startswith("<b>completed</b>")
        and "Stage 1: accuracy" in controls.status.value
    )
    assert controls.run_button.disabled is False


def test_each_click_gets_its_own_run_folder(stage1_run):
    controls = StageControls(stage1_run)
    controls.run_button.click()
    controls.run_button.click()
    first, second = (outcome.run_dir for outcome in controls.outcomes)
    assert first != second and int(second.name[3:]) == int(first.name[3:]) + 1


def test_an_error_during_a_run_is_shown_in_the_status_line(stage1_run, tmp_path):
    setup = smoke_setup(1, tmp_path / "run")
    controls = StageControls(setup)
    setup.config.stage1_data_path.unlink()
    controls.run_button.click()
    assert (
        controls.status.value.startswith("<b>error:</b>")
        and "stage1.feather" in controls.status.value
    )
    assert controls.outcomes == [] and controls.run_button.disabled is False


# ---------------------------------------------------------------- prediction explorer
def test_next_button_moves_to_the_next_position_and_redraws(stage1_run):
    explorer = explorer_from_run(stage1_run)
    first_image = explorer.image.value
    explorer.next_button.click()
    assert explorer.position.value == 1 and explorer.summary.value.startswith("<b>position 1</b>")
    assert explorer.image.value[:8] == PNG_MAGIC and explorer.image.value != first_image


def test_previous_button_stays_on_the_first_position(stage1_run):
    explorer = explorer_from_run(stage1_run)
    explorer.previous_button.click()
    assert explorer.position.value == 0


def test_explorer_shows_the_position_as_a_cshogi_board(stage1_run):
    assert "<svg" in explorer_from_run(stage1_run).board_svg.value


def test_stage2_explorer_counts_the_legal_moves_of_the_position(stage2_run):
    explorer = explorer_from_run(stage2_run)
    legal = int(np.asarray(explorer.targets[0]).sum())
    assert explorer.summary.value.startswith(
        f"<b>position 0</b>: {legal} legal moves; model predicts"
    )


def test_explorer_over_given_positions_follows_the_slider(stage1_run):
    source = explorer_from_run(stage1_run)
    explorer = PredictionExplorer(
        source.predictor, source.boards[:3], source.hands[:3], source.targets[:3]
    )
    explorer.position.value = 2
    explorer.next_button.click()
    assert explorer.position.value == 2 and "position 2" in explorer.summary.value


def test_missed_gate_gives_a_note_instead_of_an_explorer(tmp_path):
    setup = smoke_setup(1, tmp_path / "run").with_parameters(tmp_path / "missed", THRESHOLD=1.0)
    outcome = run_training(setup, progress=False)
    note = prediction_explorer(setup)
    assert (
        outcome.status == "gate_failed"
        and "failed to meet its accuracy threshold" in outcome.message
    )
    assert "saved no checkpoint" in note.value


# ---------------------------------------------------------------- run_training
def test_live_figure_is_sent_after_every_epoch_and_at_the_end(tmp_path):
    setup = smoke_setup(1, tmp_path / "run", EPOCHS=2).with_parameters(
        tmp_path / "live", THRESHOLD=1.0
    )
    images: list[bytes] = []
    run_training(setup, figure_sink=images.append, progress=False)
    assert len(images) == 3 and all(image[:8] == PNG_MAGIC for image in images)
    assert (setup.run_dir / "curves.png").read_bytes() == images[-1]


def test_rerun_in_the_same_folder_starts_a_fresh_metrics_file(tmp_path):
    setup = smoke_setup(1, tmp_path / "run")
    run_training(setup, progress=False)
    run_training(setup, progress=False)
    assert len((setup.run_dir / "metrics.jsonl").read_text().splitlines()) == 1


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("0", False), ("", False)])
def test_tqdm_disable_variable_turns_the_progress_bar_off(monkeypatch, value, expected):
    monkeypatch.setenv("TQDM_DISABLE", value)
    assert progress_disabled_by_environment() is expected
