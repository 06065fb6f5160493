"""Map-style datasets over the stage tables, built for whole-batch reads.

Each dataset holds its columns once as numpy arrays (boards and hands stay uint8,
so host memory and host-to-device copies stay small; the backbone casts). The
DataLoader calls `__getitems__(indices)`, which builds a whole batch with one
fancy-indexing operation per column instead of one Python call per row; the
loader's collate is then a pass-through (see `maou_kit.data.loader`).

Batch structure, shared by every stage: `((board, hand), targets)` with
board uint8 (B, 9, 9) and hand uint8 (B, 14); targets are
- Stage 1: uint8 (B, 81) reachable squares, row-major;
- Stage 2: uint8 (B, 1496) legal-move mask;
- Stage 3: a dict {"policy": float32 (B, 1496), "value": float32 (B,)} plus
  "legal": uint8 (B, 1496) when legal masks are available.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import polars as pl
import torch
from torch.utils.data import Dataset

from maou_kit.data.augment import mirror_random_rows
from maou_kit.schema import (
    BOARD,
    BOARD_SHAPE,
    HAND,
    HAND_SIZE,
    LEGAL_MOVES,
    MOVE_LABEL,
    MOVE_LABELS_NUM,
    REACHABLE,
    RESULT_VALUE,
)

NUM_SQUARES = BOARD_SHAPE[0] * BOARD_SHAPE[1]


def _column(df: pl.DataFrame, name: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    values = df[name].to_numpy()
    return np.ascontiguousarray(values.reshape((len(df), *shape)), dtype=dtype)


class PositionDataset(Dataset, ABC):
    """Common part: boards, hands and a batched reader; subclasses supply the targets."""

    def __init__(self, boards: np.ndarray, hands: np.ndarray) -> None:
        boards = np.ascontiguousarray(boards, dtype=np.uint8)
        hands = np.ascontiguousarray(hands, dtype=np.uint8)
        if boards.ndim != 3 or boards.shape[1:] != BOARD_SHAPE:
            raise ValueError(f"boards must have shape (N, 9, 9), got {boards.shape}")
        if hands.shape != (len(boards), HAND_SIZE):
            raise ValueError(
                f"hands must have shape ({len(boards)}, {HAND_SIZE}), got {hands.shape}"
            )
        self.boards = boards
        self.hands = hands
        # Training sets switch this on (`maou_kit.data.augment`); evaluation sets never do.
        self.mirror_augmentation = False

    def __len__(self) -> int:
        return len(self.boards)

    def __getitems__(self, indices: Sequence[int]) -> tuple[tuple[torch.Tensor, torch.Tensor], Any]:
        index = np.asarray(indices, dtype=np.int64)
        inputs = (torch.from_numpy(self.boards[index]), torch.from_numpy(self.hands[index]))
        if self.mirror_augmentation:
            return mirror_random_rows(inputs, self._targets(index))
        return inputs, self._targets(index)

    def __getitem__(self, index: int) -> tuple[tuple[torch.Tensor, torch.Tensor], Any]:
        """One row, without the batch dimension (for inspection; training reads batches)."""
        (board, hand), targets = self.__getitems__([index])
        return (board[0], hand[0]), _first_row(targets)

    @abstractmethod
    def _targets(self, index: np.ndarray) -> Any:
        """The targets of the rows at `index`, batched."""


def _first_row(targets: Any) -> Any:
    if isinstance(targets, dict):
        return {name: value[0] for name, value in targets.items()}
    return targets[0]


class _MultiLabelDataset(PositionDataset):
    target_column: str
    target_width: int

    @classmethod
    def from_frame(cls, df: pl.DataFrame) -> Self:
        return cls(
            _column(df, BOARD, BOARD_SHAPE, np.uint8),
            _column(df, HAND, (HAND_SIZE,), np.uint8),
            _column(df, cls.target_column, (cls.target_width,), np.uint8),
        )

    def __init__(self, boards: np.ndarray, hands: np.ndarray, targets: np.ndarray) -> None:
        super().__init__(boards, hands)
        targets = np.ascontiguousarray(targets, dtype=np.uint8).reshape(len(self.boards), -1)
        if targets.shape[1] != self.target_width:
            raise ValueError(
                f"{type(self).__name__} targets must have {self.target_width} columns, "
                f"got {targets.shape[1]}"
            )
        self.targets = targets

    def _targets(self, index: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(self.targets[index])


class Stage1Dataset(_MultiLabelDataset):
    """Stage 1 rows: target = the 81 reachable squares (uint8, row-major)."""

    target_column = REACHABLE
    target_width = NUM_SQUARES


class Stage2Dataset(_MultiLabelDataset):
    """Stage 2 rows: target = the 1496-wide legal-move mask (uint8)."""

    target_column = LEGAL_MOVES
    target_width = MOVE_LABELS_NUM


class KifDataset(PositionDataset):
    """Stage 3 rows: policy distribution over 1496 labels, value in [0, 1], optional legal mask.

    `legal_masks` (uint8 (N, 1496)) is optional: it feeds the legal-restricted metrics
    and the legal-masked policy loss; without it the batch has no "legal" entry.
    """

    def __init__(
        self,
        boards: np.ndarray,
        hands: np.ndarray,
        policy_targets: np.ndarray,
        value_targets: np.ndarray,
        legal_masks: np.ndarray | None = None,
    ) -> None:
        super().__init__(boards, hands)
        count = len(self.boards)
        self.policy_targets = np.ascontiguousarray(policy_targets, dtype=np.float32)
        self.value_targets = np.ascontiguousarray(value_targets, dtype=np.float32).reshape(count)
        if self.policy_targets.shape != (count, MOVE_LABELS_NUM):
            raise ValueError(
                f"policy targets must have shape ({count}, {MOVE_LABELS_NUM}), "
                f"got {self.policy_targets.shape}"
            )
        self.legal_masks: np.ndarray | None = None
        if legal_masks is not None:
            self.legal_masks = np.ascontiguousarray(legal_masks, dtype=np.uint8)
            if self.legal_masks.shape != (count, MOVE_LABELS_NUM):
                raise ValueError(
                    f"legal masks must have shape ({count}, {MOVE_LABELS_NUM}), "
                    f"got {self.legal_masks.shape}"
                )

    @classmethod
    def from_frame(cls, df: pl.DataFrame, legal_masks: np.ndarray | None = None) -> KifDataset:
        """Build from a Stage-3 table; its `legalMovesLabel` column, if any, supplies the masks
        unless `legal_masks` is given."""
        if legal_masks is None and LEGAL_MOVES in df.columns:
            legal_masks = _column(df, LEGAL_MOVES, (MOVE_LABELS_NUM,), np.uint8)
        return cls(
            _column(df, BOARD, BOARD_SHAPE, np.uint8),
            _column(df, HAND, (HAND_SIZE,), np.uint8),
            _column(df, MOVE_LABEL, (MOVE_LABELS_NUM,), np.float32),
            df[RESULT_VALUE].cast(pl.Float32).to_numpy(),
            legal_masks,
        )

    @property
    def has_legal_masks(self) -> bool:
        return self.legal_masks is not None

    def _targets(self, index: np.ndarray) -> dict[str, torch.Tensor]:
        targets = {
            "policy": torch.from_numpy(self.policy_targets[index]),
            "value": torch.from_numpy(self.value_targets[index]),
        }
        if self.legal_masks is not None:
            targets["legal"] = torch.from_numpy(self.legal_masks[index])
        return targets
