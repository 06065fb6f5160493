"""Locks down the up-front input check (`check_stage_inputs`): every kind of bad table is
refused before anything trains, in one line that names the file and the problem, for
each stage, for .feather and .parquet, and for single-file and directory inputs; and
`maou-kit learn-model` exits 2 without writing a run's files when Stage 3 is broken."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from _train_tables import stage1_frame, stage2_frame, stage3_frame

from maou_kit.cli import main
from maou_kit.data.stage_inputs import check_stage_inputs
from maou_kit.data.table_io import write_table
from maou_kit.schema import (
    BOARD,
    LEGAL_MOVES,
    MOVE_LABEL,
    MOVE_LABELS_NUM,
    REACHABLE,
    RESULT_VALUE,
)

FRAMES = {1: stage1_frame, 2: stage2_frame, 3: stage3_frame}
SUFFIXES = (".feather", ".parquet")
# (stage, layout): Stage 1 reads a file or a directory of files; Stages 2-3 read a
# directory of prebuilt train*/val* files or of plain files split by file.
LAYOUTS = [(1, "file"), (1, "directory"), (2, "prebuilt"), (2, "by-file"), (3, "prebuilt"),
           (3, "by-file")]  # fmt: skip
TEST_RATIO = 0.5


def _inputs(root, stage: int, layout: str, suffix: str):
    """A valid data path of `stage` laid out as `layout`; returns (data path, the file a test
    breaks: the last one, i.e. the validation file of a prebuilt split)."""
    frame = FRAMES[stage]
    if layout == "file":
        path = write_table(frame(6, seed=0), root / f"stage{stage}{suffix}")
        return path, path
    names = ("train", "val") if layout == "prebuilt" else ("part0", "part1")
    files = [
        write_table(frame(6, seed=i), root / f"{name}{suffix}") for i, name in enumerate(names)
    ]
    return root, files[-1]


def _refusal(data_path, stage: int, error=ValueError) -> str:
    with pytest.raises(error) as raised:
        check_stage_inputs(stage, data_path, test_ratio=TEST_RATIO, seed=0)
    message = str(raised.value)
    assert "\n" not in message
    return message


def _with_column(frame: pl.DataFrame, name: str, values, dtype) -> pl.DataFrame:
    return frame.with_columns(pl.Series(name, values, dtype=dtype))


layouts = pytest.mark.parametrize(("stage", "layout"), LAYOUTS)
suffixes = pytest.mark.parametrize("suffix", SUFFIXES)


@layouts
@suffixes
def test_truncated_table_is_refused(tmp_path, stage, layout, suffix):
    data_path, broken = _inputs(tmp_path, stage, layout, suffix)
    broken.write_bytes(broken.read_bytes()[:-64])
    message = _refusal(data_path, stage)
    assert str(broken) in message and "cannot read table" in message


@layouts
@suffixes
def test_zero_byte_table_is_refused(tmp_path, stage, layout, suffix):
    data_path, broken = _inputs(tmp_path, stage, layout, suffix)
    broken.write_bytes(b"")
    assert _refusal(data_path, stage) == f"{broken}: zero-byte table file"


TARGETS = {1: REACHABLE, 2: LEGAL_MOVES, 3: MOVE_LABEL}


@layouts
@suffixes
def test_missing_column_is_refused(tmp_path, stage, layout, suffix):
    data_path, broken = _inputs(tmp_path, stage, layout, suffix)
    write_table(FRAMES[stage](6).drop(TARGETS[stage]), broken)
    assert _refusal(data_path, stage) == f"{broken}: missing column(s) {TARGETS[stage]}"


def _wrong_dtype(stage: int) -> tuple[pl.DataFrame, str]:
    """A table of `stage` with one column of the wrong element type, and the expected words."""
    frame = FRAMES[stage](6)
    if stage == 1:
        values = frame[REACHABLE].to_numpy().astype(np.float32)
        frame = _with_column(frame, REACHABLE, values, pl.Array(pl.Float32, (9, 9)))
        return frame, f"column {REACHABLE} holds Float32 values, expected integers or booleans"
    if stage == 2:
        values = frame[BOARD].to_numpy().astype(np.float32)
        frame = _with_column(frame, BOARD, values, pl.Array(pl.Float32, (9, 9)))
        return frame, f"column {BOARD} holds Float32 values, expected integers"
    frame = frame.with_columns(pl.col(MOVE_LABEL).cast(pl.Array(pl.String, MOVE_LABELS_NUM)))
    return frame, f"column {MOVE_LABEL} holds String values, expected numbers"


@layouts
@suffixes
def test_wrong_dtype_is_refused(tmp_path, stage, layout, suffix):
    data_path, broken = _inputs(tmp_path, stage, layout, suffix)
    frame, problem = _wrong_dtype(stage)
    write_table(frame, broken)
    assert _refusal(data_path, stage).startswith(f"{broken}: {problem}")


def _wrong_shape(stage: int) -> tuple[pl.DataFrame, str]:
    """A table of `stage` with one column of the wrong width, and the expected words."""
    frame = FRAMES[stage](6)
    if stage == 1:  # boards flattened to 81 squares instead of 9x9
        boards = frame[BOARD].to_numpy().reshape(6, 81)
        frame = _with_column(frame, BOARD, boards, pl.Array(pl.UInt8, 81))
        return frame, f"column {BOARD} has element shape (81,), expected (9, 9)"
    if stage == 2:  # a variable-length list, which has no fixed shape
        frame = frame.with_columns(pl.col(LEGAL_MOVES).cast(pl.List(pl.UInt8)))
        return frame, f"column {LEGAL_MOVES} has element shape None, expected (1496,)"
    labels = frame[MOVE_LABEL].to_numpy()[:, :-1]
    frame = _with_column(frame, MOVE_LABEL, labels, pl.Array(pl.Float32, MOVE_LABELS_NUM - 1))
    return frame, f"column {MOVE_LABEL} has element shape (1495,), expected (1496,)"


@layouts
@suffixes
def test_wrong_shape_is_refused(tmp_path, stage, layout, suffix):
    data_path, broken = _inputs(tmp_path, stage, layout, suffix)
    frame, problem = _wrong_shape(stage)
    write_table(frame, broken)
    assert _refusal(data_path, stage).startswith(f"{broken}: {problem}")


@layouts
@suffixes
def test_table_without_rows_is_refused(tmp_path, stage, layout, suffix):
    data_path, broken = _inputs(tmp_path, stage, layout, suffix)
    write_table(FRAMES[stage](6).head(0), broken)
    assert _refusal(data_path, stage) == f"{broken}: table has no rows"


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_directory_without_tables_is_refused(tmp_path, stage):
    (tmp_path / "notes.txt").write_text("no tables here")
    message = _refusal(tmp_path, stage)
    assert message == f"{tmp_path}: directory holds no .feather/.parquet table files"


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_nonexistent_path_is_refused(tmp_path, stage):
    missing = tmp_path / "no_such_dir"
    message = _refusal(missing, stage, FileNotFoundError)
    assert message == f"{missing}: no such file or directory"


BAD_TARGETS = [
    (MOVE_LABEL, float("nan")),
    (MOVE_LABEL, float("inf")),
    (RESULT_VALUE, float("nan")),
    (RESULT_VALUE, None),
]


@pytest.mark.parametrize(("column", "bad_value"), BAD_TARGETS)
@pytest.mark.parametrize("layout", ["prebuilt", "by-file"])
@suffixes
def test_non_finite_stage3_target_is_refused_with_its_first_row(
    tmp_path, column, bad_value, layout, suffix
):
    data_path, broken = _inputs(tmp_path, 3, layout, suffix)
    frame = stage3_frame(6)
    if column == MOVE_LABEL:
        labels = frame[MOVE_LABEL].to_numpy().copy()
        labels[4, 100] = bad_value
        frame = _with_column(frame, MOVE_LABEL, labels, pl.Array(pl.Float32, MOVE_LABELS_NUM))
    else:
        values = [bad_value if row == 4 else 0.5 for row in range(6)]
        frame = _with_column(frame, RESULT_VALUE, values, pl.Float32)
    write_table(frame, broken)
    message = _refusal(data_path, 3)
    assert message == (
        f"{broken}: column {column} holds 1 NaN, inf or null value(s), first in row 4; "
        "targets must be finite"
    )


@pytest.mark.parametrize("stage", [2, 3])
@suffixes
def test_single_file_is_split_inside_by_row(tmp_path, stage, suffix):
    # Issue 12 item 5: a single table file is split by --test-ratio (was: refused).
    path = write_table(FRAMES[stage](6), tmp_path / f"all{suffix}")
    inputs = check_stage_inputs(stage, path, test_ratio=TEST_RATIO, seed=0)
    assert (inputs.split_method, inputs.train_rows, inputs.eval_rows) == ("by-row", 3, 3)


@pytest.mark.parametrize("stage", [2, 3])
def test_ratio_that_leaves_no_training_file_is_refused(tmp_path, stage):
    for index in range(2):
        write_table(FRAMES[stage](6, seed=index), tmp_path / f"part{index}.parquet")
    with pytest.raises(ValueError) as raised:
        check_stage_inputs(stage, tmp_path, test_ratio=0.9, seed=0)
    assert str(raised.value) == f"{tmp_path}: --test-ratio 0.9 of 2 files leaves no training file"


def test_ratio_zero_trains_stage2_on_every_file(tmp_path):
    # Issue 12 item 5: --test-ratio 0 means "train on everything" for Stage 2 (was: refused).
    for index in range(2):
        write_table(FRAMES[2](6, seed=index), tmp_path / f"part{index}.feather")
    inputs = check_stage_inputs(2, tmp_path, test_ratio=0.0, seed=0)
    assert (inputs.split_method, inputs.train_rows, inputs.eval_rows) == ("all-training", 12, 12)
    assert inputs.eval_files == inputs.train_files


def test_ratio_zero_is_refused_for_stage3_without_a_validation_split(tmp_path):
    for index in range(2):
        write_table(FRAMES[3](6, seed=index), tmp_path / f"part{index}.feather")
    with pytest.raises(ValueError) as raised:
        check_stage_inputs(3, tmp_path, test_ratio=0.0, seed=0)
    assert str(raised.value) == (
        f"{tmp_path}: --test-ratio 0 leaves stage 3 no validation data (it keeps the weights "
        "of its best validation epoch); give a ratio in (0, 1) or train*/val* files"
    )


@pytest.mark.parametrize("stage", [2, 3])
def test_prebuilt_split_without_validation_files_is_refused(tmp_path, stage):
    write_table(FRAMES[stage](6), tmp_path / "train.feather")
    assert _refusal(tmp_path, stage) == f"{tmp_path}: has train* files but no val* files"


def test_learn_model_refuses_a_broken_stage3_before_stage1_trains(tmp_path, capsys):
    stage1 = write_table(stage1_frame(8), tmp_path / "stage1.feather")
    write_table(stage2_frame(8, seed=1), tmp_path / "stage2" / "train.feather")
    write_table(stage2_frame(8, seed=2), tmp_path / "stage2" / "val.feather")
    write_table(stage3_frame(8, seed=1), tmp_path / "stage3" / "train.feather")
    broken = tmp_path / "stage3" / "val.feather"
    write_table(
        stage3_frame(8, seed=2).with_columns(pl.lit(float("nan")).alias(RESULT_VALUE)), broken
    )
    model_dir = tmp_path / "run"
    code = main(
        ["learn-model", "--stage", "all", "--stage1-data-path", str(stage1),
         "--stage2-data-path", str(tmp_path / "stage2"), "--stage3-data-path",
         str(tmp_path / "stage3"), "--model-dir", str(model_dir), "--preset", "tiny",
         "--device", "cpu", "--stage1-max-epochs", "1"]
    )  # fmt: skip
    assert code == 2
    error = capsys.readouterr().err
    assert f"{broken}: column {RESULT_VALUE} holds 8 NaN, inf or null value(s)" in error
    assert not (model_dir / "config.json").exists() and not (model_dir / "result.json").exists()
    assert not model_dir.exists() or not any(model_dir.iterdir())
