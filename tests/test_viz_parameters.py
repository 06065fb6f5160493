"""Locks down how notebook parameters become a run setup: types and ranges are
reported under the notebook parameter's name, input paths are found from the
working folder upward, smoke mode (SMOKE or the CI variable) cuts the run down
only after the real values were checked, and a used RUN_DIR is not reused silently."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from maou_kit.data.table_io import read_table
from maou_kit.model import build_backbone
from maou_kit.train.checkpoints import save_checkpoint
from maou_kit.viz import notebook_config, parameters, smoke
from maou_kit.viz.notebook_config import curriculum_setup, stage_setup

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = REPO_ROOT / "data_samples"


def stage1_parameters(run_dir: Path, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = dict(
        RUN_DIR=str(run_dir), DATA_PATH="", BACKBONE_FROM="", EPOCHS=3, THRESHOLD=0.9,
        METRIC="accuracy", LEARNING_RATE=2e-3, BATCH_SIZE=32, POS_WEIGHT=1.0, ARCH="mlp-mixer",
        PRESET="small", SEED=0, DEVICE="cpu", SMOKE=False, OVERWRITE=True,
    )  # fmt: skip
    values.update(overrides)
    return values


@pytest.fixture(autouse=True)
def no_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)


def test_wrong_type_names_the_parameter_and_the_papermill_fix(tmp_path):
    with pytest.raises(TypeError, match=r"EPOCHS must be an int, got 'two' \(str\).*-p EPOCHS 10"):
        stage_setup(1, **stage1_parameters(tmp_path, EPOCHS="two"))


def test_bool_is_not_accepted_as_an_int(tmp_path):
    with pytest.raises(TypeError, match="BATCH_SIZE must be an int, got True"):
        stage_setup(1, **stage1_parameters(tmp_path, BATCH_SIZE=True))


def test_int_is_accepted_where_a_float_is_expected(tmp_path):
    setup = stage_setup(1, **stage1_parameters(tmp_path, THRESHOLD=1))
    assert setup.config.stage1_threshold == 1.0 and isinstance(setup.config.stage1_threshold, float)


def test_range_error_names_parameter_and_option(tmp_path):
    with pytest.raises(
        ValueError, match=r"^EPOCHS \(--stage1-max-epochs\) must be an integer >= 1, got 0$"
    ):
        stage_setup(1, **stage1_parameters(tmp_path, EPOCHS=0))


def test_unknown_parameter_is_rejected_with_the_known_names(tmp_path):
    with pytest.raises(ValueError, match="unknown parameter.*EPOCH.*known: RUN_DIR"):
        stage_setup(1, **stage1_parameters(tmp_path, EPOCH=3))


def test_missing_parameter_is_rejected(tmp_path):
    values = stage1_parameters(tmp_path)
    del values["SEED"]
    with pytest.raises(ValueError, match="must pass parameter.*SEED"):
        stage_setup(1, **values)


def test_relative_input_path_is_found_in_a_parent_folder(tmp_path):
    table = tmp_path / "data" / "stage1.feather"
    table.parent.mkdir()
    table.write_bytes(b"")
    start = tmp_path / "notebooks" / "deeper"
    start.mkdir(parents=True)
    assert parameters.find_input_path("DATA_PATH", "data/stage1.feather", start) == table


def test_missing_input_path_names_the_parameter_and_where_it_looked(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=rf"DATA_PATH = 'nope.feather'.*looked in {tmp_path}"
    ):
        parameters.find_input_path("DATA_PATH", "nope.feather", tmp_path)


def test_empty_input_path_means_none(tmp_path):
    assert parameters.find_input_path("BACKBONE_FROM", "", tmp_path) is None


@pytest.mark.parametrize(
    ("environ", "expected"), [({"CI": "true"}, True), ({"CI": "0"}, False), ({}, False)]
)
def test_ci_variable_turns_smoke_on(environ, expected):
    assert smoke.smoke_requested(False, environ) is expected


def test_ci_variable_makes_the_setup_a_smoke_run(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "1")
    setup = stage_setup(1, **stage1_parameters(tmp_path, SMOKE=False))
    assert setup.smoke and setup.config.preset == "tiny"


def test_smoke_caps_epochs_batch_and_gates_and_samples_the_tables(tmp_path):
    values = stage1_parameters(tmp_path, EPOCHS=10, THRESHOLD=0.99, METRIC="f1", SMOKE=True)
    config = stage_setup(1, **values).config
    assert (config.stage1_max_epochs, config.stage1_batch_size, config.preset) == (2, 32, "tiny")
    assert (config.stage1_metric, config.stage1_threshold) == ("accuracy", 0.5)
    assert config.stage1_data_path == tmp_path / "smoke_data" / "stage1.feather"
    assert len(read_table(config.stage1_data_path)) == smoke.SMOKE_TRAIN_ROWS


def test_smoke_still_rejects_a_bad_value(tmp_path):
    with pytest.raises(ValueError, match="THRESHOLD"):
        stage_setup(1, **stage1_parameters(tmp_path, THRESHOLD=1.5, SMOKE=True))


def test_smoke_samples_train_and_validation_sides_of_stage2(tmp_path):
    values = stage1_parameters(tmp_path, DATA_PATH=str(SAMPLES / "stage2"), SMOKE=True, METRIC="f1")
    config = stage_setup(2, **values).config
    rows = {
        side: len(read_table(config.stage2_data_path / f"{side}.feather"))
        for side in ("train", "val")
    }
    assert rows == {"train": smoke.SMOKE_TRAIN_ROWS, "val": smoke.SMOKE_EVAL_ROWS}


def test_used_run_dir_is_refused_without_overwrite(tmp_path):
    (tmp_path / "result.json").write_text(json.dumps({"status": "completed"}))
    with pytest.raises(ValueError, match="already holds a run.*OVERWRITE = True"):
        stage_setup(1, **stage1_parameters(tmp_path, OVERWRITE=False))


def test_backbone_from_a_run_folder_resolves_to_its_newest_backbone(tmp_path):
    backbone = build_backbone("mlp-mixer", "small")
    payload = {"kind": "backbone", "model": backbone.state_dict(), "backbone_spec": backbone.spec()}
    save_checkpoint(payload, tmp_path / "old" / "stage1_backbone_20260101_000000_000000.pt")
    newest = save_checkpoint(
        payload, tmp_path / "old" / "stage2_backbone_20260101_000000_000000.pt"
    )
    setup = stage_setup(
        1, **stage1_parameters(tmp_path / "new", BACKBONE_FROM=str(tmp_path / "old"))
    )
    assert setup.config.resume_backbone_from == newest


def test_backbone_of_another_size_is_reported_before_training(tmp_path):
    backbone = build_backbone("mlp-mixer", "tiny")
    path = save_checkpoint(
        {"kind": "backbone", "model": backbone.state_dict(), "backbone_spec": backbone.spec()},
        tmp_path / "stage1_backbone_20260101_000000_000000.pt",
    )
    with pytest.raises(
        ValueError,
        match="holds a mlp-mixer 'tiny' backbone.*set ARCH = 'mlp-mixer' and PRESET = 'tiny'",
    ):
        stage_setup(1, **stage1_parameters(tmp_path / "run", BACKBONE_FROM=str(path)))


def test_with_parameters_changes_the_stage_field_and_the_run_dir(tmp_path):
    setup = stage_setup(1, **stage1_parameters(tmp_path))
    changed = setup.with_parameters(tmp_path / "other", LEARNING_RATE=5e-4, BATCH_SIZE=64)
    assert (changed.config.stage1_learning_rate, changed.config.stage1_batch_size) == (5e-4, 64)
    assert changed.config.model_dir == tmp_path / "other" == changed.run_dir


def test_with_parameters_reports_a_bad_value_under_its_parameter_name(tmp_path):
    setup = stage_setup(1, **stage1_parameters(tmp_path))
    with pytest.raises(ValueError, match=r"^LEARNING_RATE \(--stage1-learning-rate\) must be > 0"):
        setup.with_parameters(tmp_path / "other", LEARNING_RATE=-1.0)


def test_curriculum_scratch_run_shares_stage3_data_and_budget_but_no_backbone(tmp_path):
    setup = curriculum_setup(
        RUN_DIR=str(tmp_path), STAGE1_DATA_PATH="", STAGE2_DATA_PATH=str(SAMPLES / "stage2"),
        STAGE3_DATA_PATH=str(SAMPLES / "stage3"), STAGE1_EPOCHS=2, STAGE2_EPOCHS=2, STAGE3_EPOCHS=4,
        STAGE1_THRESHOLD=0.9, STAGE2_THRESHOLD=0.9, STAGE1_LEARNING_RATE=2e-3,
        STAGE2_LEARNING_RATE=1e-3, STAGE3_LEARNING_RATE=3e-4, STAGE1_BATCH_SIZE=32, BATCH_SIZE=64,
        STAGE1_POS_WEIGHT=2.0, STAGE2_POS_WEIGHT=1.0,
        ARCH="resnet", PRESET="tiny", SEED=5, DEVICE="cpu", SMOKE=False, OVERWRITE=True,
    )  # fmt: skip
    main, scratch = setup.curriculum.config, setup.from_scratch.config
    assert scratch.stage == "3" and scratch.resume_backbone_from is None
    assert scratch.model_dir == tmp_path / notebook_config.SCRATCH_DIR
    shared = ("stage3_data_path", "epoch", "learning_ratio", "batch_size", "seed", "arch", "preset")
    assert all(getattr(scratch, name) == getattr(main, name) for name in shared)


def test_importing_viz_loads_neither_matplotlib_ipywidgets_nor_torch():
    code = (
        "import sys, maou_kit, maou_kit.viz; "
        "print([m for m in ('matplotlib', 'ipywidgets', 'torch') if m in sys.modules])"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"


def test_smoke_sample_keeps_table_order():
    frame = pl.DataFrame({"row": list(range(100))})
    sampled = smoke.smoke_sample(frame, 10, seed=1)["row"].to_list()
    assert len(sampled) == 10 and sampled == sorted(sampled)
