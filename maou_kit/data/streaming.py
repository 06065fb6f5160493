"""Streaming datasets: many table shards read lazily, one file in memory per worker.

A streaming dataset is a `torch.utils.data.IterableDataset` that yields READY-MADE
batches with the same structure and dtypes as the map-style datasets'
`__getitems__` (each shard is read into a map-style dataset by
`maou_kit.data.shards`, and batches are cut from it), so the DataLoader runs with
`batch_size=None` and the training engine does not change.

Who reads what:
- Ranks: the files are split once between distributed ranks (greedily by row
  count, so ranks get similar batch counts); a rank always reads the same files.
- Workers: each epoch the rank's files are put in an order (shuffled from
  `seed` and the epoch key when `shuffle`), and worker w of n reads files
  w, w+n, w+2n, ... of that order.
- Batches never cross a file: each file is cut into `ceil(rows / batch_size)`
  batches, the last one smaller; with `drop_last` that smaller tail is dropped
  unless it is the file's only batch. The set of batches therefore does not
  depend on the worker count, and `__len__` (computed from row counts read from
  file metadata, no rows) equals the number of batches this rank yields.
  Rows within a file are shuffled from (`seed`, epoch key, file index).

Epochs: `set_epoch(key)` writes the key into a tensor in shared memory, so
persistent workers, which keep their copy of the dataset between epochs, read
the new key when the next epoch starts. `StreamingDataLoader` sets a fresh key
at every `iter(loader)`, drawn from its seeded `generator`; the training loops
need no change, and a resumed run that restores the generator's state
continues with the same orders.
"""

from __future__ import annotations

import copy
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from maou_kit.data.datasets import PositionDataset
from maou_kit.data.shards import read_kif_dataset, read_stage1_dataset, read_stage2_dataset
from maou_kit.data.table_io import scan_table

_SEED_MASK = 2**63 - 1  # numpy seeds must be non-negative


def effective_workers(requested: int, shards: int) -> int:
    """DataLoader workers actually worth starting: never more than there are shards."""
    if requested < 0:
        raise ValueError(f"num_workers must be >= 0, got {requested}")
    return max(0, min(requested, shards))


def table_row_count(path: Path) -> int:
    """Rows of a table file, from its metadata (no rows are read)."""
    return int(scan_table(path).select(pl.len()).collect().item())


def batches_in_file(rows: int, batch_size: int, drop_last: bool) -> int:
    """Batches cut from one file of `rows` rows (see the module docstring)."""
    if drop_last and rows >= batch_size:
        return rows // batch_size
    return math.ceil(rows / batch_size)


def assign_files_to_ranks(row_counts: Sequence[int], world_size: int) -> list[list[int]]:
    """File indices per rank: largest file first to the rank with the fewest rows so far."""
    ranks: list[list[int]] = [[] for _ in range(world_size)]
    totals = [0] * world_size
    for index in sorted(range(len(row_counts)), key=lambda i: (-row_counts[i], i)):
        target = min(range(world_size), key=lambda r: (totals[r], r))
        ranks[target].append(index)
        totals[target] += row_counts[index]
    return [sorted(files) for files in ranks]


def distributed_rank(rank: int | None, world_size: int | None) -> tuple[int, int]:
    """(rank, world size): the given values, else the process group's, else (0, 1)."""
    initialised = torch.distributed.is_available() and torch.distributed.is_initialized()
    if world_size is None:
        world_size = torch.distributed.get_world_size() if initialised else 1
    if rank is None:
        rank = torch.distributed.get_rank() if initialised else 0
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"need 0 <= rank < world_size, got rank {rank}, world_size {world_size}")
    return rank, world_size


class StreamingTableDataset(IterableDataset, ABC):
    """Batches from table shards, read one at a time; subclasses say how a shard is read."""

    def __init__(
        self,
        files: Sequence[str | Path],
        batch_size: int,
        *,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int = 0,
        rank: int | None = None,
        world_size: int | None = None,
        row_counts: Sequence[int] | None = None,
    ) -> None:
        self.files = tuple(Path(f) for f in files)
        if not self.files:
            raise ValueError(f"{type(self).__name__} needs at least one table file")
        counts = [table_row_count(f) for f in self.files] if row_counts is None else row_counts
        if len(counts) != len(self.files):
            raise ValueError(f"{len(counts)} row counts given for {len(self.files)} files")
        self.row_counts = tuple(int(count) for count in counts)
        self.rank, self.world_size = distributed_rank(rank, world_size)
        if self.world_size > len(self.files):
            raise ValueError(
                f"{len(self.files)} table files cannot be split between {self.world_size} "
                "ranks (every rank needs at least one file)"
            )
        self.rank_files = tuple(assign_files_to_ranks(self.row_counts, self.world_size)[self.rank])
        # Training sets switch this on, as on the map-style datasets: each shard then
        # mirrors a random half of every batch (`maou_kit.data.augment`).
        self.mirror_augmentation = False
        self._configure(batch_size, shuffle, drop_last, seed)

    def _configure(self, batch_size: int, shuffle: bool, drop_last: bool, seed: int) -> None:
        if batch_size < 1:
            raise ValueError(f"batch size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        # Shared memory: persistent workers keep their dataset copy, and read the key here.
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()

    def with_batching(
        self, batch_size: int, shuffle: bool, drop_last: bool, seed: int
    ) -> StreamingTableDataset:
        """A copy that cuts batches this way (the files and rank split are shared)."""
        configured = copy.copy(self)
        configured._configure(batch_size, shuffle, drop_last, seed)
        return configured

    @property
    def shard_count(self) -> int:
        """Files this rank reads (the most DataLoader workers that can be kept busy)."""
        return len(self.rank_files)

    @property
    def epoch(self) -> int:
        return int(self._epoch.item())

    def set_epoch(self, epoch: int) -> None:
        """Key of the next pass's shuffle (any integer >= 0); reaches persistent workers."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        self._epoch.fill_(epoch)

    def __len__(self) -> int:
        return sum(
            batches_in_file(self.row_counts[i], self.batch_size, self.drop_last)
            for i in self.rank_files
        )

    def __iter__(self) -> Iterator[Any]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        epoch = self.epoch
        order = list(self.rank_files)
        if self.shuffle:
            rng = np.random.default_rng([self.seed & _SEED_MASK, epoch])
            order = [order[i] for i in rng.permutation(len(order))]
        for file_index in order[worker::workers]:
            yield from self._file_batches(file_index, epoch)

    def _file_batches(self, file_index: int, epoch: int) -> Iterator[Any]:
        # The shard lives only in this generator's frame, so it is released before
        # the next file is read: one file in memory per worker.
        path = self.files[file_index]
        rows = self.row_counts[file_index]
        shard = self._read_shard(path)
        shard.mirror_augmentation = self.mirror_augmentation
        if len(shard) != rows:
            raise ValueError(
                f"{path}: has {len(shard)} rows, expected {rows} (file changed during the run?)"
            )
        if self.shuffle:
            seeds = [self.seed & _SEED_MASK, epoch, file_index]
            row_order = np.random.default_rng(seeds).permutation(rows)
        else:
            row_order = np.arange(rows)
        size = self.batch_size
        for batch in range(batches_in_file(rows, size, self.drop_last)):
            yield shard.__getitems__(row_order[batch * size : (batch + 1) * size])

    @abstractmethod
    def _read_shard(self, path: Path) -> PositionDataset:
        """All rows of one file as a map-style dataset."""


class StreamingStage1Dataset(StreamingTableDataset):
    """Stage-1 batches `((board, hand), reachable uint8 (B, 81))` from table shards."""

    def _read_shard(self, path: Path) -> PositionDataset:
        return read_stage1_dataset([path])


class StreamingStage2Dataset(StreamingTableDataset):
    """Stage-2 batches `((board, hand), legal uint8 (B, 1496))` from table shards."""

    def _read_shard(self, path: Path) -> PositionDataset:
        return read_stage2_dataset([path])


class StreamingKifDataset(StreamingTableDataset):
    """Stage-3 batches `((board, hand), {"policy", "value"[, "legal"]})` from table shards.

    With `with_legal_masks`, every batch has "legal" (from the shard's
    `legalMovesLabel` column, else computed from its positions).
    """

    def __init__(
        self, files: Sequence[str | Path], batch_size: int, *, with_legal_masks: bool = False,
        **options: Any,
    ) -> None:  # fmt: skip
        self.with_legal_masks = with_legal_masks
        super().__init__(files, batch_size, **options)

    @property
    def has_legal_masks(self) -> bool:
        return self.with_legal_masks

    def _read_shard(self, path: Path) -> PositionDataset:
        return read_kif_dataset([path], with_legal_masks=self.with_legal_masks)


class StreamingDataLoader(DataLoader):
    """DataLoader over a streaming dataset that starts every pass with a new epoch key.

    The key is drawn from `generator` (seeded by the run seed), so passes differ,
    runs repeat, and restoring the generator's state resumes the sequence.
    Workers are spawned, not forked: they read shards with polars, whose thread
    pool deadlocks in a forked child once the parent has used it (it has, for the
    row counts). A plain DataLoader over these datasets needs
    `multiprocessing_context="spawn"` for the same reason.
    """

    def __init__(self, dataset: StreamingTableDataset, **options: Any) -> None:
        if options.get("num_workers", 0) > 0 and options.get("multiprocessing_context") is None:
            options["multiprocessing_context"] = "spawn"
        super().__init__(dataset, **options)

    def __iter__(self) -> Any:
        key = int(torch.randint(0, _SEED_MASK, (), generator=self.generator).item())
        self.dataset.set_epoch(key)  # before workers are (re)started for this pass
        return super().__iter__()
