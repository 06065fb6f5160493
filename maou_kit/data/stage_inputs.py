"""Each stage's inputs, checked up front, then loaded as (train, evaluation) datasets.

`check_stage_inputs` resolves a stage's data path into training and evaluation
files and checks every file (`maou_kit.data.table_checks`: schema, shapes, dtypes and
row counts from metadata; for Stage 3 also finite targets, one file at a time), so a
run can refuse bad inputs for every stage before the first one trains.
`load_stage_datasets` then reads the rows:

- Stage 1: the table at the path, or the 1,105 generated patterns when no path is
  given; training and evaluation use the same rows (the patterns are the whole
  universe of the task).
- Stage 2: train files -> training set, validation files -> evaluation set.
- Stage 3: likewise; the evaluation set always gets legal-move masks (from the
  table's `legalMovesLabel` column, else computed from the positions) for the
  legal-restricted metrics; the training set gets them only when asked (for the
  legal-masked policy loss).

How the rows are read (`stage_read_mode`):

- "streaming" (`maou_kit.data.streaming`: one file in memory per worker at a time,
  ready-made batches, re-read every epoch): Stages 2 and 3 when `streaming=True`.
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

import logging
from dataclasses import dataclass
from pathlib import Path

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
    split_method: str  # "generated", "whole-table", "prebuilt" or "by-file"
    train_rows: int
    eval_rows: int

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
            return StageInputs(1, (), (), "generated", rows, rows)
        files = tuple(table_files(path))
        rows = check_stage_tables(files, 1)
        return StageInputs(1, files, files, "whole-table", rows, rows)
    if path is None:
        raise ValueError(f"--stage{stage}-data-path is required to run stage {stage}")
    split = resolve_split(path, test_ratio, seed)
    if not split.val:  # only a ratio of 0 gets here: ceil(n * ratio) >= 1 otherwise
        raise ValueError(
            f"{path}: --test-ratio {test_ratio} of {len(split.train)} table files puts none "
            "in the validation split"
        )
    train_rows = check_stage_tables(split.train, stage)
    eval_rows = check_stage_tables(split.val, stage)
    return StageInputs(stage, split.train, split.val, split.method, train_rows, eval_rows)


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
    mode = stage_read_mode(inputs.stage, streaming, cache_mode)
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
    if inputs.stage == 2:
        return read_stage2_dataset(inputs.train_files), read_stage2_dataset(inputs.eval_files)
    return (
        read_kif_dataset(inputs.train_files, with_legal_masks=train_legal_masks),
        read_kif_dataset(inputs.eval_files, with_legal_masks=True),
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
