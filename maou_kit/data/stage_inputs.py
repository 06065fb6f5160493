"""Each stage's inputs, checked up front, then loaded as (train, evaluation) datasets.

`check_stage_inputs` resolves a stage's data path into training and evaluation
files and checks every file (`maou_kit.data.table_checks`: schema, shapes, dtypes and
row counts from metadata; for Stage 3 also finite targets, one file at a time), so a
run can refuse bad inputs for every stage before the first one trains.
`load_stage_datasets` then reads the rows:

- Stage 1: the table at the path, or the 1,105 generated patterns when no path is
  given; training and evaluation use the same rows (the patterns are the whole
  universe of the task), whatever `test_ratio` says.
- Stage 2: train files (or rows) -> training set, validation files (or rows) ->
  evaluation set (`maou_kit.data.sources.resolve_split`). With `test_ratio` 0 the
  evaluation set is the training data (its own dataset object, so training-only
  augmentation never touches it) and the gate is judged on it.
- Stage 3: likewise, except that `test_ratio` 0 is refused unless the path holds
  train*/val* files (Stage 3 picks its best weights on validation data); the
  evaluation set always gets legal-move masks (from the table's `legalMovesLabel`
  column, else computed from the positions) for the legal-restricted metrics; the
  training set gets them only when asked (for the legal-masked policy loss).

How the rows are read (`stage_read_mode`):

- "streaming" (`maou_kit.data.streaming`: one file in memory per worker at a time,
  ready-made batches, re-read every epoch): Stages 2 and 3 when `streaming=True`,
  except for a data path that is one table file (split inside it, or all training
  with `test_ratio` 0): that file is read into memory, since streaming under
  torchrun needs at least one file per process.
- "memory": the split is decoded once into a map-style dataset and every epoch
  indexes it. Stage 1 always (its 1,105 patterns fit many times over); Stage 2 with
  `streaming=False`; Stage 3 with `streaming=False` or `cache_mode="memory"`.

`cache_mode` ("file" or "memory", `--cache-mode`) is Stage 3's: "memory" wins over
`streaming` there, so a Stage-3 corpus that fits in RAM is read once instead of once
per epoch; "file" leaves the choice to `streaming`. Stages 1-2 ignore it and log one
warning line when "memory" was asked for (through `logging`, logger
`maou_kit.data.stage_inputs`; nothing in the kit configures logging, and Python
shows warnings on stderr by default).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from maou_kit.data.datasets import Stage1Dataset
from maou_kit.data.shards import read_kif_dataset, read_stage1_dataset, read_stage2_dataset
from maou_kit.data.sources import resolve_split, table_files
from maou_kit.data.streaming import StreamingKifDataset, StreamingStage2Dataset
from maou_kit.data.table_checks import check_stage_tables

CACHE_MODES = ("file", "memory")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageInputs:
    """Resolved, schema-checked inputs of one stage."""

    stage: int
    train_files: tuple[Path, ...]
    eval_files: tuple[Path, ...]
    # "generated", "whole-table", "prebuilt", "by-file", "by-game", "by-row" or "all-training"
    split_method: str
    train_rows: int
    eval_rows: int
    test_ratio: float = 0.2
    seed: int = 0
    train_games: int | None = None  # "by-game" only
    eval_games: int | None = None
    # "by-game" / "by-row": the rows of the one file on each side
    train_index: np.ndarray | None = field(default=None, compare=False, repr=False)
    eval_index: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def one_file(self) -> bool:
        """A Stage-2/3 path that is one table file: read into memory, never streamed."""
        return self.split_method in ("by-game", "by-row", "all-training") and (
            len(self.train_files) == 1
        )

    @property
    def gate_data(self) -> str:
        """What the stage's evaluation (gate, or Stage 3's best epoch) is judged on."""
        if self.split_method == "all-training" or (self.stage == 1 and self.test_ratio == 0):
            return "training (test_ratio 0)"
        if self.stage == 1:  # the patterns are the whole task, whatever the ratio
            return "training (stage 1 trains on its whole table)"
        return "validation"

    def split(self) -> dict[str, object]:
        """The split as result.json records it: kind, ratio, seed, rows (games) per side."""
        record: dict[str, object] = {
            "kind": self.split_method,
            "test_ratio": self.test_ratio,
            "seed": self.seed,
            "train_rows": self.train_rows,
            "eval_rows": self.eval_rows,
        }
        if self.train_games is not None:
            record.update(train_games=self.train_games, eval_games=self.eval_games)
        return record

    def summary(self) -> str | None:
        """One log line for the splits a data path does not show: one file split inside
        (by game or by row) and test_ratio 0 (the evaluation is on the training data);
        None for the others (train*/val* files, a folder split by file, Stage 1)."""
        if self.split_method not in ("by-game", "by-row") and not self.test_ratio == 0:
            return None
        source = ", ".join(f.name for f in self.train_files) or "generated patterns"
        if self.split_method in ("by-game", "by-row"):
            by_game = self.split_method == "by-game"
            how = "by game (gameId column)" if by_game else "by row (no gameId column)"
            sides = f"{self.train_rows} / {self.eval_rows} rows"
            if self.train_games is not None:
                sides += f", {self.train_games} / {self.eval_games} games"
            return (
                f"stage {self.stage} data: {source} split {how} with --test-ratio "
                f"{self.test_ratio} and seed {self.seed}: {sides} train / validation"
            )
        return (
            f"stage {self.stage} data: {source}: {self.train_rows} / {self.eval_rows} rows "
            f"train / evaluation ({self.split_method}); evaluated in eval mode on "
            f"{self.gate_data}"
        )

    def describe(self) -> dict[str, object]:
        return {
            "train_files": [str(f) for f in self.train_files],
            "eval_files": [str(f) for f in self.eval_files],
            "split_method": self.split_method,
            "train_rows": self.train_rows,
            "eval_rows": self.eval_rows,
        }


def check_stage_inputs(stage: int, path: Path | None, test_ratio: float, seed: int) -> StageInputs:
    """Resolve one stage's data path and check every file (ValueError/FileNotFoundError naming
    the file and the problem; see `maou_kit.data.table_checks` for what is checked)."""
    if stage not in (1, 2, 3):
        raise ValueError(f"unknown stage {stage}; stages are 1, 2 and 3")
    if stage == 1:
        if path is None:
            from maou_kit.shogi import stage1_arrays

            rows = len(stage1_arrays()[0])
            return StageInputs(1, (), (), "generated", rows, rows, test_ratio, seed)
        files = tuple(table_files(path))
        rows = check_stage_tables(files, 1)
        return StageInputs(1, files, files, "whole-table", rows, rows, test_ratio, seed)
    if path is None:
        raise ValueError(f"--stage{stage}-data-path is required to run stage {stage}")
    split = resolve_split(path, test_ratio, seed)
    if stage == 3 and split.method == "all-training":
        raise ValueError(
            f"{path}: --test-ratio 0 leaves stage 3 no validation data (it keeps the weights "
            "of its best validation epoch); give a ratio in (0, 1) or train*/val* files"
        )
    train_rows = check_stage_tables(split.train, stage)
    eval_rows = train_rows if split.val == split.train else check_stage_tables(split.val, stage)
    if split.train_index is not None and split.val_index is not None:
        train_rows, eval_rows = len(split.train_index), len(split.val_index)
    return StageInputs(
        stage, split.train, split.val, split.method, train_rows, eval_rows, test_ratio, seed,
        split.train_games, split.val_games, split.train_index, split.val_index,
    )  # fmt: skip


def stage_read_mode(stage: int, streaming: bool, cache_mode: str = "file") -> str:
    """ "streaming" or "memory": how `load_stage_datasets` reads this stage (module docstring)."""
    if cache_mode not in CACHE_MODES:
        raise ValueError(f"unknown cache mode {cache_mode!r}; use one of {', '.join(CACHE_MODES)}")
    if stage == 1 or not streaming or (stage == 3 and cache_mode == "memory"):
        return "memory"
    return "streaming"


def load_stage_datasets(
    inputs: StageInputs,
    train_legal_masks: bool = False,
    streaming: bool = False,
    batch_size: int | None = None,
    *,
    cache_mode: str = "file",
) -> tuple[Dataset, Dataset]:
    """(training dataset, evaluation dataset) of a checked stage.

    Streaming datasets (see `stage_read_mode`) need a `batch_size` to be iterable on
    their own; in a run the DataLoaderFactory decides their batching (size, shuffle,
    drop_last), as it does for map-style datasets.
    """
    mode = "memory" if inputs.one_file else stage_read_mode(inputs.stage, streaming, cache_mode)
    if cache_mode == "memory" and inputs.stage != 3:
        logger.warning("%s", _cache_mode_ignored(inputs.stage, mode))
    if mode == "streaming":
        return _streaming_datasets(inputs, train_legal_masks, batch_size)
    if inputs.stage == 1:
        if inputs.split_method == "generated":
            from maou_kit.shogi import stage1_arrays

            dataset = Stage1Dataset(*stage1_arrays())
        else:
            dataset = read_stage1_dataset(inputs.train_files)
        return dataset, dataset
    train_rows, eval_rows = inputs.train_index, inputs.eval_index
    if inputs.stage == 2:
        train_set = read_stage2_dataset(inputs.train_files, train_rows)
        if inputs.split_method == "all-training":  # a dataset of its own: no augmentation
            return train_set, copy.copy(train_set)
        return train_set, read_stage2_dataset(inputs.eval_files, eval_rows)
    return (
        read_kif_dataset(inputs.train_files, with_legal_masks=train_legal_masks, rows=train_rows),
        read_kif_dataset(inputs.eval_files, with_legal_masks=True, rows=eval_rows),
    )


def _cache_mode_ignored(stage: int, mode: str) -> str:
    if mode == "streaming":
        how = "lazily (file)"
    elif stage == 1:
        how = "into memory once (stage 1 is never streamed)"
    else:
        how = "into memory once (streaming is off)"
    return f"--cache-mode memory applies to stage 3; stage {stage} reads its tables {how}"


def _streaming_datasets(
    inputs: StageInputs, train_legal_masks: bool, batch_size: int | None
) -> tuple[Dataset, Dataset]:
    if batch_size is None:
        raise ValueError("streaming datasets need the stage's batch size")
    if inputs.stage == 2:
        return (
            StreamingStage2Dataset(inputs.train_files, batch_size),
            StreamingStage2Dataset(inputs.eval_files, batch_size),
        )
    return (
        StreamingKifDataset(inputs.train_files, batch_size, with_legal_masks=train_legal_masks),
        StreamingKifDataset(inputs.eval_files, batch_size, with_legal_masks=True),
    )  # fmt: skip
