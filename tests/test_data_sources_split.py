"""Locks down data sources as upstream takes them (issue 12 item 5): one table file is
split by --test-ratio and the seed, by game when it has a gameId column, else by row;
--test-ratio 0 trains Stages 1-2 on everything and judges the gate on the training
data (log and result.json say so); Stage 3 refuses 0 without a train*/val* split."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from _train_tables import stage1_frame, stage2_frame, stage3_frame

from maou_kit.cli import main
from maou_kit.data.sources import resolve_split
from maou_kit.data.stage_inputs import check_stage_inputs, load_stage_datasets
from maou_kit.data.table_io import write_table
from maou_kit.schema import GAME_ID
from maou_kit.train import LearnConfig, MultiStageTrainingOrchestrator

TINY = dict(arch="mlp-mixer", preset="tiny", device="cpu", seed=0, batch_size=8)
GAMES, ROWS_PER_GAME = 10, 4


def _with_games(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows of GAMES games, interleaved (g0, g1, ..., g9, g0, ...) so a game is not a block."""
    ids = [f"g{row % GAMES}" for row in range(len(frame))]
    return frame.with_columns(pl.Series(GAME_ID, ids))


@pytest.fixture
def games_file(tmp_path):
    return write_table(_with_games(stage2_frame(GAMES * ROWS_PER_GAME)), tmp_path / "all.feather")


def _val_games(path, split) -> set[str]:
    ids = pl.read_ipc(path, columns=[GAME_ID])[GAME_ID].to_numpy()
    assert not set(ids[split.train_index]) & set(ids[split.val_index])
    return set(ids[split.val_index])


def test_single_file_with_game_ids_keeps_every_game_on_one_side(games_file):
    split = resolve_split(games_file, test_ratio=0.2, seed=0)
    assert split.method == "by-game"
    assert len(_val_games(games_file, split)) == 2  # ceil(0.2 * 10 games)
    assert (split.train_games, split.val_games) == (8, 2)
    # The row share is the ratio to within one game's rows.
    share = len(split.val_index) / (GAMES * ROWS_PER_GAME)
    assert abs(share - 0.2) <= ROWS_PER_GAME / (GAMES * ROWS_PER_GAME)
    assert sorted(np.concatenate([split.train_index, split.val_index])) == list(range(40))


def test_same_seed_gives_the_same_game_split(games_file):
    first = resolve_split(games_file, test_ratio=0.3, seed=5)
    second = resolve_split(games_file, test_ratio=0.3, seed=5)
    assert np.array_equal(first.val_index, second.val_index)


def test_another_seed_gives_another_game_split(games_file):
    seeds = [resolve_split(games_file, test_ratio=0.3, seed=s) for s in (0, 1)]
    assert _val_games(games_file, seeds[0]) != _val_games(games_file, seeds[1])


def test_single_file_without_game_ids_is_split_by_row_and_the_log_says_so(tmp_path):
    path = write_table(stage3_frame(20), tmp_path / "games.parquet")
    inputs = check_stage_inputs(3, path, test_ratio=0.25, seed=0)
    assert (inputs.split_method, inputs.train_rows, inputs.eval_rows) == ("by-row", 15, 5)
    assert "split by row (no gameId column)" in inputs.summary()
    assert "\n" not in inputs.summary()


def test_row_split_depends_on_the_seed_only(tmp_path):
    path = write_table(stage2_frame(30), tmp_path / "rows.feather")
    same = [resolve_split(path, test_ratio=0.2, seed=3).val_index for _ in range(2)]
    other = resolve_split(path, test_ratio=0.2, seed=4).val_index
    assert np.array_equal(same[0], same[1]) and not np.array_equal(same[0], other)


def test_split_file_is_read_into_memory_even_when_streaming(games_file):
    inputs = check_stage_inputs(2, games_file, test_ratio=0.2, seed=0)
    train_set, eval_set = load_stage_datasets(inputs, streaming=True, batch_size=4)
    assert (len(train_set), len(eval_set)) == (32, 8)
    whole = stage2_frame(GAMES * ROWS_PER_GAME)["boardIdPositions"].to_numpy()
    assert np.array_equal(eval_set.boards, whole[inputs.eval_index])


def test_folder_of_plain_files_is_still_split_by_file_even_with_game_ids(tmp_path):
    for index in range(3):
        write_table(_with_games(stage2_frame(10, seed=index)), tmp_path / f"part{index}.feather")
    split = resolve_split(tmp_path, test_ratio=0.2, seed=0)
    assert split.method == "by-file" and split.val_index is None
    assert (len(split.train), len(split.val)) == (2, 1)


def test_ratio_zero_evaluates_stage2_on_its_own_copy_of_the_training_rows(games_file):
    inputs = check_stage_inputs(2, games_file, test_ratio=0.0, seed=0)
    assert (inputs.split_method, inputs.train_rows, inputs.eval_rows) == ("all-training", 40, 40)
    train_set, eval_set = load_stage_datasets(inputs, streaming=True, batch_size=4)
    train_set.mirror_augmentation = True  # what Stage 2 does: never on the evaluation set
    assert eval_set is not train_set and not eval_set.mirror_augmentation
    assert np.array_equal(eval_set.boards, train_set.boards) and len(train_set) == 40


def test_test_ratio_range_is_zero_to_one_open():
    assert LearnConfig(stage="1", test_ratio=0.0).test_ratio == 0.0
    with pytest.raises(ValueError, match="--test-ratio"):
        LearnConfig(stage="1", test_ratio=1.0)


def _run(tmp_path, stage: str, **settings):
    config = LearnConfig(
        **TINY, stage=stage, model_dir=tmp_path / "run", stage1_max_epochs=1, stage1_threshold=0.01,
        stage2_max_epochs=1, stage2_metric="accuracy", stage2_threshold=0.01, **settings,
    )  # fmt: skip
    MultiStageTrainingOrchestrator(config).run()
    return json.loads((tmp_path / "run" / "result.json").read_text())["stages"][stage]


def test_stage1_with_ratio_zero_says_its_gate_is_judged_on_training_data(tmp_path, capsys):
    path = write_table(stage1_frame(24), tmp_path / "stage1.feather")
    entry = _run(tmp_path, "1", stage1_data_path=path, test_ratio=0.0)
    assert entry["gate_data"] == "training (test_ratio 0)"
    assert entry["data_split"]["train_rows"] == entry["data_split"]["eval_rows"] == 24
    assert "evaluated in eval mode on training (test_ratio 0)" in capsys.readouterr().err


def test_stage2_with_ratio_zero_trains_on_all_rows_and_says_so(tmp_path, games_file, capsys):
    entry = _run(tmp_path, "2", stage2_data_path=games_file, test_ratio=0.0)
    assert entry["gate_data"] == "training (test_ratio 0)"
    assert entry["data_split"] == {
        "kind": "all-training", "test_ratio": 0.0, "seed": 0, "train_rows": 40, "eval_rows": 40,
    }  # fmt: skip
    assert "evaluated in eval mode on training (test_ratio 0)" in capsys.readouterr().err


def test_stage2_single_file_split_is_recorded_in_result_json(tmp_path, games_file, capsys):
    entry = _run(tmp_path, "2", stage2_data_path=games_file, test_ratio=0.2)
    assert entry["gate_data"] == "validation"
    assert entry["data_split"] == {
        "kind": "by-game", "test_ratio": 0.2, "seed": 0, "train_rows": 32, "eval_rows": 8,
        "train_games": 8, "eval_games": 2,
    }  # fmt: skip
    err = capsys.readouterr().err
    assert "all.feather split by game (gameId column) with --test-ratio 0.2 and seed 0" in err


def test_stage3_single_file_with_ratio_zero_is_a_one_line_error(tmp_path, capsys):
    path = write_table(stage3_frame(12), tmp_path / "games.feather")
    model_dir = tmp_path / "run"
    code = main(["learn-model", "--stage", "3", "--stage3-data-path", str(path), "--test-ratio",
                 "0", "--model-dir", str(model_dir), "--device", "cpu"])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert err.startswith(f"maou-kit learn-model: error: {path}: --test-ratio 0 leaves stage 3")
    assert not model_dir.exists()


def test_prebuilt_split_adds_no_log_line(tmp_path):
    write_table(stage2_frame(6), tmp_path / "train.feather")
    write_table(stage2_frame(4, seed=1), tmp_path / "val.feather")
    assert check_stage_inputs(2, tmp_path, test_ratio=0.2, seed=0).summary() is None


def test_folder_holding_one_plain_file_is_split_inside_it(tmp_path):
    write_table(stage2_frame(10), tmp_path / "positions.feather")
    split = resolve_split(tmp_path, test_ratio=0.2, seed=0)
    assert split.method == "by-row" and (len(split.train_index), len(split.val_index)) == (8, 2)


def test_stage3_row_split_loads_the_rows_of_each_side(tmp_path):
    frame = stage3_frame(10)
    path = write_table(frame, tmp_path / "games.feather")
    inputs = check_stage_inputs(3, path, test_ratio=0.3, seed=1)
    train_set, val_set = load_stage_datasets(inputs, streaming=True, batch_size=4)
    assert (len(train_set), len(val_set)) == (7, 3)
    values = frame["resultValue"].to_numpy()
    assert np.array_equal(val_set.value_targets, values[inputs.eval_index])
    assert np.array_equal(train_set.value_targets, values[inputs.train_index])
    legal = frame["legalMovesLabel"].to_numpy()
    assert np.array_equal(val_set.legal_masks, legal[inputs.eval_index])
