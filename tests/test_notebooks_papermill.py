"""Runs every notebook headless through papermill with tiny parameters and checks the
run files it leaves in RUN_DIR (never the notebook's outputs); bad parameters and
missing paths must stop the notebook in its config cell with a message naming the
parameter. Kernel `python3` is the ipykernel spec installed with the venv."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

papermill = pytest.importorskip("papermill")

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
CONFIG_CELL = 3  # markdown, parameters, injected parameters, then the config cell


@pytest.fixture(autouse=True)
def quiet_kernel(monkeypatch):
    """The kernel inherits this environment: no progress bars, the CI smoke switch unset
    (SMOKE is passed explicitly, so both ways of turning it on are not mixed up here).
    JUPYTER_PATH puts this interpreter's own `python3` kernelspec (shipped with ipykernel)
    before any user-level one that may point at another Python."""
    monkeypatch.setenv("TQDM_DISABLE", "1")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("JUPYTER_PATH", str(Path(sys.prefix) / "share" / "jupyter"))


def _execute(name: str, output_dir: Path, **parameters) -> None:
    papermill.execute_notebook(
        str(NOTEBOOKS_DIR / f"{name}.ipynb"),
        str(output_dir / f"{name}.out.ipynb"),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(REPO_ROOT),
        progress_bar=False,
    )


def _result(run_dir: Path) -> dict:
    return json.loads((run_dir / "result.json").read_text())


def test_data_notebook_writes_corpus_statistics(tmp_path):
    run_dir = tmp_path / "data"
    _execute("00_data", tmp_path, RUN_DIR=str(run_dir), SMOKE=True, BOARDS_TO_SHOW=2)
    result = _result(run_dir)
    statistics = result["statistics"]
    assert result["status"] == "completed" and result["smoke"] is True
    assert statistics["games"] == 10 and statistics["positions"] > statistics["games"]
    assert 0 <= statistics["duplicate_rate"] < 1 and statistics["legal_moves_mean"] > 0
    assert sum(statistics["results"].values()) == statistics["games"]
    assert (run_dir / "corpus_statistics.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("name", "stage"), [("01_stage1_reachable_squares", 1), ("02_stage2_legal_moves", 2)]
)
def test_gated_stage_notebook_meets_its_smoke_gate_and_saves_checkpoints(name, stage, tmp_path):
    run_dir = tmp_path / "run"
    _execute(name, tmp_path, RUN_DIR=str(run_dir), SMOKE=True, EPOCHS=1, SEED=3)
    result = _result(run_dir)
    summary = result["stages"][str(stage)]
    assert result["status"] == "completed"
    assert summary["threshold_met"] is True and summary["epochs_trained"] == 1
    assert all((run_dir / path).is_file() for path in summary["checkpoints"].values())
    assert len((run_dir / "metrics.jsonl").read_text().splitlines()) == 1
    assert (run_dir / "curves.png").stat().st_size > 0


def test_policy_value_notebook_trains_the_requested_epochs(tmp_path):
    run_dir = tmp_path / "run"
    _execute("03_stage3_policy_value", tmp_path, RUN_DIR=str(run_dir), SMOKE=True, EPOCHS=2)
    summary = _result(run_dir)["stages"]["3"]
    assert summary["epochs_trained"] == 2 and summary["metric_name"] == "val_loss"
    assert (run_dir / summary["checkpoints"]["stage3"]).is_file()


def test_curriculum_notebook_compares_stage3_from_backbone_and_from_scratch(tmp_path):
    run_dir = tmp_path / "curriculum"
    _execute(
        "10_curriculum", tmp_path, RUN_DIR=str(run_dir), SMOKE=True,
        STAGE1_EPOCHS=1, STAGE2_EPOCHS=1, STAGE3_EPOCHS=1,
    )  # fmt: skip
    result = _result(run_dir)
    assert result["status"] == "completed" and sorted(result["stages"]) == ["1", "2", "3"]
    assert Path(result["stages"]["3"]["backbone_started_from"]).name.startswith("stage2_backbone")
    scratch = _result(run_dir / "stage3_from_scratch")
    assert scratch["stages"]["3"]["backbone_started_from"] is None
    comparison = json.loads((run_dir / "comparison.json").read_text())
    assert [row["run"] for row in comparison["summary"]] == [
        "from stage-2 backbone",
        "from scratch",
    ]


def test_evaluate_notebook_scores_two_throwaway_networks_and_plays_a_match(tmp_path):
    run_dir = tmp_path / "evaluate"
    _execute("20_evaluate", tmp_path, RUN_DIR=str(run_dir), SMOKE=True, MODELS="no/such/run")
    result = _result(run_dir)
    assert result["status"] == "completed" and result["smoke"] is True
    assert [model["label"] for model in result["models"]] == [
        "smoke: curriculum",
        "smoke: from scratch",
    ]
    assert all((run_dir / model["evaluate_json"]).is_file() for model in result["models"])
    assert result["match"]["games"] == 2 and len(list((run_dir / "match").glob("*.csa"))) == 2
    for figure in ("reliability", "phase_accuracy", "leakage"):
        assert (run_dir / f"{figure}.png").stat().st_size > 0


def _failure(tmp_path: Path, **parameters) -> papermill.PapermillExecutionError:
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        _execute(
            "01_stage1_reachable_squares", tmp_path, RUN_DIR=str(tmp_path / "run"), **parameters
        )
    return caught.value


def test_wrong_parameter_type_stops_in_the_config_cell_naming_the_parameter(tmp_path):
    error = _failure(tmp_path, EPOCHS="two")
    assert error.cell_index == CONFIG_CELL and error.ename == "TypeError"
    assert "EPOCHS must be an int, got 'two'" in error.evalue


def test_out_of_range_parameter_stops_in_the_config_cell_naming_parameter_and_option(tmp_path):
    error = _failure(tmp_path, THRESHOLD=1.5)
    assert error.cell_index == CONFIG_CELL and error.ename == "ValueError"
    assert "THRESHOLD (--stage1-threshold) must be in (0, 1], got 1.5" in error.evalue


def test_missing_data_path_stops_in_the_config_cell_naming_the_parameter(tmp_path):
    error = _failure(tmp_path, DATA_PATH="data_samples/no_such_table.feather")
    assert error.cell_index == CONFIG_CELL and error.ename == "FileNotFoundError"
    assert "DATA_PATH = 'data_samples/no_such_table.feather': no such file" in error.evalue
