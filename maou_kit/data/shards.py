"""Reading table files into the map-style datasets, one stage at a time.

Both data paths use these readers: the map-style path reads all of a split's files
at once, the streaming path (`maou_kit.data.streaming`) reads one file at a time.
Sharing them keeps the two paths' batches identical in structure and dtype.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from maou_kit.data.datasets import KifDataset, Stage1Dataset, Stage2Dataset
from maou_kit.data.sources import (
    STAGE1_COLUMN_SHAPES,
    STAGE2_COLUMN_SHAPES,
    STAGE3_COLUMN_SHAPES,
    has_column,
    read_tables,
)
from maou_kit.schema import LEGAL_MOVES


def read_stage1_dataset(files: Sequence[Path], rows: np.ndarray | None = None) -> Stage1Dataset:
    """Stage-1 rows of `files`, concatenated in file order (only `rows` when given)."""
    return Stage1Dataset.from_frame(read_tables(files, list(STAGE1_COLUMN_SHAPES), rows))


def read_stage2_dataset(files: Sequence[Path], rows: np.ndarray | None = None) -> Stage2Dataset:
    """Stage-2 rows of `files`, concatenated in file order (only `rows` when given)."""
    return Stage2Dataset.from_frame(read_tables(files, list(STAGE2_COLUMN_SHAPES), rows))


def read_kif_dataset(
    files: Sequence[Path], with_legal_masks: bool, rows: np.ndarray | None = None
) -> KifDataset:
    """Stage-3 rows of `files` (only `rows` when given); with `with_legal_masks`, masks come
    from the tables' `legalMovesLabel` column when every file has it, else are computed
    from the positions."""
    columns = list(STAGE3_COLUMN_SHAPES)
    table_has_masks = with_legal_masks and has_column(files, LEGAL_MOVES)
    if table_has_masks:
        columns.append(LEGAL_MOVES)
    dataset = KifDataset.from_frame(read_tables(files, columns, rows))
    if with_legal_masks and not table_has_masks:
        from maou_kit.shogi import legal_moves_mask_from_encoded

        masks = legal_moves_mask_from_encoded(dataset.boards, dataset.hands)
        dataset = KifDataset(
            dataset.boards, dataset.hands, dataset.policy_targets, dataset.value_targets, masks
        )
    return dataset
