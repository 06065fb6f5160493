"""Each stage's inputs, checked up front, then loaded as (train, evaluation) datasets.

`check_stage_inputs` resolves a stage's data path into training and evaluation
files and checks their schemas and row counts without reading rows, so a run can
refuse bad inputs for every stage before the first one trains.
`load_stage_datasets` then reads the rows:

- Stage 1: the table at the path, or the 1,105 generated patterns when no path is
  given; training and evaluation use the same rows (the patterns are the whole
  universe of the task).
- Stage 2: train files -> training set, validation files -> evaluation set.
- Stage 3: likewise; the evaluation set always gets legal-move masks (from the
  table's `legalMovesLabel` column, else computed from the positions) for the
  legal-restricted metrics; the training set gets them only when asked (for the
  legal-masked policy loss).

With `streaming=True`, Stages 2 and 3 get streaming datasets instead
(`maou_kit.data.streaming`: one file in memory at a time, ready-made batches).
Stage 1 stays map-style: its 1,105 patterns fit in memory many times over.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torch.utils.data import Dataset

from maou_kit.data.datasets import Stage1Dataset
from maou_kit.data.shards import read_kif_dataset, read_stage1_dataset, read_stage2_dataset
from maou_kit.data.sources import (
    STAGE1_COLUMN_SHAPES,
    STAGE2_COLUMN_SHAPES,
    STAGE3_COLUMN_SHAPES,
    STAGE3_OPTIONAL_SHAPES,
    check_tables,
    resolve_split,
    table_files,
)
from maou_kit.data.streaming import StreamingKifDataset, StreamingStage2Dataset

_SHAPES = {1: STAGE1_COLUMN_SHAPES, 2: STAGE2_COLUMN_SHAPES, 3: STAGE3_COLUMN_SHAPES}


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
    """Resolve and schema-check one stage's data path (ValueError/FileNotFoundError if unusable)."""
    if stage == 1:
        if path is None:
            from maou_kit.shogi import stage1_arrays

            rows = len(stage1_arrays()[0])
            return StageInputs(1, (), (), "generated", rows, rows)
        files = tuple(table_files(path))
        rows = check_tables(files, STAGE1_COLUMN_SHAPES)
        return StageInputs(1, files, files, "whole-table", rows, rows)
    if path is None:
        raise ValueError(f"--stage{stage}-data-path is required to run stage {stage}")
    split = resolve_split(path, test_ratio, seed)
    optional = STAGE3_OPTIONAL_SHAPES if stage == 3 else None
    train_rows = check_tables(split.train, _SHAPES[stage], optional)
    eval_rows = check_tables(split.val, _SHAPES[stage], optional)
    return StageInputs(stage, split.train, split.val, split.method, train_rows, eval_rows)


def load_stage_datasets(
    inputs: StageInputs,
    train_legal_masks: bool = False,
    streaming: bool = False,
    batch_size: int | None = None,
) -> tuple[Dataset, Dataset]:
    """(training dataset, evaluation dataset) of a checked stage.

    `streaming` applies to Stages 2-3 and needs the stage's `batch_size` (the
    DataLoaderFactory sets the final batching of both datasets).
    """
    if streaming and inputs.stage != 1:
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


def _streaming_datasets(
    inputs: StageInputs, train_legal_masks: bool, batch_size: int | None
) -> tuple[Dataset, Dataset]:
    if batch_size is None:
        raise ValueError("streaming datasets need the stage's batch size")
    if inputs.stage == 2:
        return (
            StreamingStage2Dataset(inputs.train_files, batch_size, shuffle=True, drop_last=True),
            StreamingStage2Dataset(inputs.eval_files, batch_size),
        )
    return (
        StreamingKifDataset(
            inputs.train_files, batch_size, with_legal_masks=train_legal_masks,
            shuffle=True, drop_last=True,
        ),
        StreamingKifDataset(inputs.eval_files, batch_size, with_legal_masks=True),
    )  # fmt: skip
