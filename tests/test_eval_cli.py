"""`maou-kit evaluate` end to end: a run directory or checkpoint on records, a games table or
a stage-3 table writes evaluate.json with intervals and prints one table; Stage 2 runs get
legal-move figures; bad inputs stop with one line and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maou_kit.cli import main
from maou_kit.data.games import write_table
from maou_kit.data.stage_tables import build_stage3_tables
from tests._eval_models import games_of, save_tiny_run

OPENINGS = [
    ["7g7f", "3c3d", "2g2f", "8c8d", "2f2e", "8d8e"],
    ["2g2f", "8c8d", "2f2e", "8d8e", "6i7h", "4a3b", "2e2d"],
    ["5g5f", "5c5d", "4i5h"],
]
CSA_GAME = "V2.2\nPI\n+\n+7776FU\n-3334FU\n+8822UM\n-3122GI\n%TORYO\n"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return save_tiny_run(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def games_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "games.feather"
    return write_table(games_of(OPENINGS, [1, 2, 0]), path)


def test_evaluate_a_run_directory_writes_every_figure_with_its_interval(
    run_dir, games_file, tmp_path, capsys
):
    output = tmp_path / "evaluate.json"
    code = main(
        [
            "evaluate",
            str(run_dir),
            str(games_file),
            "--output",
            str(output),
            "--bootstrap",
            "50",
            "--phase-buckets",
            "2",
            "4",
        ]
    )
    assert code == 0
    result = json.loads(output.read_text())
    assert result["model"]["stage"] == 3 and result["model"]["files"]["stage3"].endswith(".pt")
    assert result["data"]["positions"] == 16 and result["data"]["units"] == 3
    assert len(result["data"]["sha256_files"]) == 64
    assert result["settings"]["bootstrap_unit"] == "game"
    for group in ("policy", "value"):
        for name, figure in result["figures"][group].items():
            if figure["value"] is not None:
                assert figure["ci_low"] <= figure["value"] + 1e-9 <= figure["ci_high"] + 2e-9, name
    assert result["value_baseline"]["source"].startswith("evaluation data")
    assert set(result["breakdown"]["phase"]) == {"1-2", "3-4", "5+"}
    assert result["breakdown"]["side_to_move"]["black"]["positions"] == 9
    printed = capsys.readouterr().out
    assert "top-1 (played move)" in printed and "value ECE" in printed


def test_evaluate_reads_record_files(run_dir, tmp_path):
    record = tmp_path / "records" / "game.csa"
    record.parent.mkdir()
    record.write_text(CSA_GAME)
    output = tmp_path / "evaluate.json"
    assert (
        main(
            [
                "evaluate",
                str(run_dir),
                str(record.parent),
                "--output",
                str(output),
                "--bootstrap",
                "10",
            ]
        )
        == 0
    )
    result = json.loads(output.read_text())
    assert result["data"]["positions"] == 4 and result["data"]["units"] == 1


def test_evaluate_a_stage2_network_scores_legal_move_f1(run_dir, games_file, tmp_path):
    output = tmp_path / "evaluate.json"
    assert (
        main(
            [
                "evaluate",
                str(run_dir),
                str(games_file),
                "--stage",
                "2",
                "--output",
                str(output),
                "--bootstrap",
                "10",
            ]
        )
        == 0
    )
    figures = json.loads(output.read_text())["figures"]["legal_moves"]
    assert {"f1", "exact_match", "accuracy", "baseline_f1"} <= set(figures)
    assert figures["baseline_f1"]["value"] == 0.0  # every position has legal moves


def test_a_stage3_table_is_resampled_by_row_with_a_warning(run_dir, tmp_path, capsys):
    table = write_table(
        build_stage3_tables(games_of(OPENINGS, [1, 2, 0]), 0.5, 0, progress=False).val,
        tmp_path / "val.feather",
    )
    output = tmp_path / "evaluate.json"
    assert (
        main(
            [
                "evaluate",
                str(run_dir / "stage3_policy_value_20260101_000000_000000.pt"),
                str(table),
                "--output",
                str(output),
                "--bootstrap",
                "10",
            ]
        )
        == 0
    )
    result = json.loads(output.read_text())
    assert result["settings"]["bootstrap_unit"] == "position"
    assert any("bootstrap by row" in warning for warning in result["warnings"])
    assert "bootstrap by row" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["missing.feather"], "missing.feather: no such file or directory"),
        (["GAMES", "--batch-size", "0"], "--batch-size must be at least 1"),
        (["GAMES", "--stage", "1"], "stage 1"),
        (["GAMES", "--phase-buckets", "60", "30"], "--phase-buckets 60 30"),
    ],
)
def test_bad_input_stops_with_one_line_and_exit_code_2(
    run_dir, games_file, tmp_path, capsys, extra, expected
):
    arguments = [str(games_file) if item == "GAMES" else item for item in extra]
    code = main(["evaluate", str(run_dir), *arguments, "--output", str(tmp_path / "e.json")])
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith("maou-kit evaluate: error:") and error.count("\n") == 1
    assert expected.lower() in error.lower()


def test_the_value_baseline_is_the_mean_of_the_runs_training_table(games_file, tmp_path):
    run = save_tiny_run(tmp_path / "run")
    tables = build_stage3_tables(games_of(OPENINGS, [1, 2, 0]), 0.34, 0, progress=False)
    data_dir = tmp_path / "stage3"
    write_table(tables.train, data_dir / "train.feather")
    write_table(tables.val, data_dir / "val.feather")
    (run / "config.json").write_text(
        json.dumps({"stage3_data_path": str(data_dir), "test_ratio": 0.2, "seed": 0})
    )
    output = tmp_path / "evaluate.json"
    assert (
        main(["evaluate", str(run), str(games_file), "--output", str(output), "--bootstrap", "10"])
        == 0
    )
    baseline = json.loads(output.read_text())["value_baseline"]
    assert baseline["constant"] == pytest.approx(float(tables.train["resultValue"].mean()))
    assert baseline["source"].startswith("training data of the run")


def test_a_stage1_network_is_scored_on_the_stage1_patterns(tmp_path):
    from maou_kit.model import ReachableSquaresHead, build_backbone
    from maou_kit.train.checkpoints import save_checkpoint

    backbone = build_backbone("resnet", "tiny")
    spec = backbone.spec()
    stamp = "20260101_000000_000000"
    files = (
        ({"kind": "backbone", "model": backbone.state_dict()}, f"stage1_backbone_{stamp}.pt"),
        (
            {"kind": "head", "model": ReachableSquaresHead(backbone.feature_dim).state_dict()},
            f"stage1_reachable_head_{stamp}.pt",
        ),
    )
    for payload, name in files:
        save_checkpoint({**payload, "backbone_spec": spec}, tmp_path / name)
    output = tmp_path / "evaluate.json"
    patterns = Path(__file__).resolve().parents[1] / "data_samples" / "stage1.feather"
    assert (
        main(
            [
                "evaluate",
                str(tmp_path / files[0][1]),
                str(patterns),
                "--output",
                str(output),
                "--bootstrap",
                "10",
            ]
        )
        == 0
    )
    result = json.loads(output.read_text())
    assert result["data"]["positions"] == 1105
    figures = result["figures"]["reachable_squares"]
    # About 9.8% of the cells are reachable: an all-zero predictor is right on ~90% of them.
    assert figures["baseline_accuracy"]["value"] == pytest.approx(0.902, abs=0.005)


def test_records_without_results_and_no_bootstrap_still_print_a_table(run_dir, tmp_path, capsys):
    record = tmp_path / "games.usi"
    record.write_text("position startpos moves 7g7f 3c3d 2g2f\n")  # USI lines carry no result
    output = tmp_path / "evaluate.json"
    assert (
        main(["evaluate", str(run_dir), str(record), "--output", str(output), "--bootstrap", "0"])
        == 0
    )
    result = json.loads(output.read_text())
    assert result["data"]["positions_without_result"] == 3
    assert result["figures"]["policy"]["top1"]["ci_low"] is None  # no replicates, no interval
    assert result["figures"]["value"]["brier"]["value"] is None
    assert "value Brier score" in capsys.readouterr().out
