"""DataLoader construction for the map-style datasets, and reading a batch's size.

The datasets build whole batches in `__getitems__`, so the loader's collate is a
pass-through: the batch is not taken apart and stacked again. Training loaders
shuffle (from a torch.Generator seeded by the run seed, so the order is
reproducible and differs per epoch) and drop the last partial batch; evaluation
loaders do neither, so every row is judged exactly once. Worker processes get
seeded numpy/random states. Options that torch only accepts with worker
processes (persistent workers, prefetch factor, timeout) are passed only then.

Batching is decided here and nowhere else, for map-style and streaming data
alike: the batch size, shuffling (training only) and dropping the last partial batch
(training only). Streaming datasets (`maou_kit.data.streaming`) yield whole batches
themselves, so the factory hands them these choices (`with_batching`), builds a
`StreamingDataLoader` with `batch_size=None`, and starts no more workers than the
rank has shard files.

Under torchrun (W processes) a loader's `batch_size` is read one of two ways:
- `global_batch=True`: the batch of one optimizer step over all processes; each
  process takes `batch_size // W` rows (at least 1). The kit asks for this for a
  stage's measured default batch size, so the default curriculum takes the same
  number of steps of the same size, and passes the same gates, on any W.
- `global_batch=False` (a batch size the user set): per process, as in upstream and
  plain DDP; the global batch is W x that (two processes at b train as one at 2b).
Map-style datasets are dealt between ranks by `RankBatchSampler`, streaming ones by
file (`maou_kit.data.streaming`).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from maou_kit.data.rank_batches import RankBatchSampler
from maou_kit.data.streaming import (
    StreamingDataLoader,
    StreamingTableDataset,
    distributed_rank,
    effective_workers,
)


def passthrough_collate(batch: Any) -> Any:
    """Collate for datasets whose `__getitems__` already returns a finished batch."""
    return batch


def batch_size_of(batch: Any) -> int:
    """Number of rows in a batch: the leading dimension of its first tensor/array leaf.

    Accepts a tensor or ndarray, or any nesting of tuples/lists/dicts around them,
    e.g. `((board, hand), targets)`.
    """
    if isinstance(batch, torch.Tensor | np.ndarray):
        if batch.ndim == 0:
            raise ValueError("cannot read a batch size from a 0-dimensional tensor")
        return int(batch.shape[0])
    if isinstance(batch, Mapping):
        if not batch:
            raise ValueError("cannot read a batch size from an empty mapping")
        return batch_size_of(next(iter(batch.values())))
    if isinstance(batch, Sequence) and not isinstance(batch, str | bytes):
        if not batch:
            raise ValueError("cannot read a batch size from an empty sequence")
        return batch_size_of(batch[0])
    raise ValueError(f"cannot read a batch size from {type(batch).__name__}")


def seed_worker(worker_id: int) -> None:
    """worker_init_fn: derive numpy/random seeds from the worker's torch seed.

    torch gives each worker `base_seed + worker_id`, where base_seed comes from the
    loader's generator, so worker seeds follow the run seed and differ per worker.
    """
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    random.seed(worker_seed)


@dataclass(frozen=True)
class DataLoaderFactory:
    """The loader options of a run; `train_loader` / `eval_loader` build loaders from them."""

    seed: int = 0
    num_workers: int = 0
    pin_memory: bool = False
    prefetch_factor: int | None = None  # torch's default (2) when None; workers only
    persistent_workers: bool = True  # workers only
    timeout: float = 0.0  # seconds to wait for a worker batch; workers only

    def __post_init__(self) -> None:
        if self.num_workers < 0:
            raise ValueError(f"num_workers must be >= 0, got {self.num_workers}")
        if self.prefetch_factor is not None and self.prefetch_factor < 1:
            raise ValueError(f"prefetch_factor must be >= 1, got {self.prefetch_factor}")
        if self.timeout < 0:
            raise ValueError(f"timeout must be >= 0, got {self.timeout}")

    def train_loader(
        self, dataset: Dataset, batch_size: int, global_batch: bool = False
    ) -> DataLoader:
        """Shuffled; drops the last partial batch unless the data is smaller than one batch
        (then the single short batch is kept, so a tiny set still trains); a streaming
        dataset applies that rule to each file."""
        batch_size = self.process_batch_size(batch_size, global_batch)
        streaming = isinstance(dataset, StreamingTableDataset)
        drop_last = streaming or len(dataset) >= batch_size  # type: ignore[arg-type]
        return self._build(dataset, batch_size, shuffle=True, drop_last=drop_last)

    def eval_loader(
        self, dataset: Dataset, batch_size: int, global_batch: bool = False
    ) -> DataLoader:
        """In order, every row once."""
        batch_size = self.process_batch_size(batch_size, global_batch)
        return self._build(dataset, batch_size, shuffle=False, drop_last=False)

    @staticmethod
    def process_batch_size(batch_size: int, global_batch: bool) -> int:
        """This process's batch: a global batch is split between the torchrun processes."""
        if batch_size < 1:
            raise ValueError(f"batch size must be >= 1, got {batch_size}")
        _, world_size = distributed_rank(None, None)
        return max(1, batch_size // world_size) if global_batch else batch_size

    def _build(
        self, dataset: Dataset, batch_size: int, shuffle: bool, drop_last: bool
    ) -> DataLoader:
        if isinstance(dataset, StreamingTableDataset):
            return self._build_streaming(dataset, batch_size, shuffle, drop_last)
        generator = torch.Generator()
        generator.manual_seed(self.seed)
        batching: dict[str, Any] = {
            "batch_size": batch_size,
            "shuffle": shuffle,
            "drop_last": drop_last,
        }
        rank, world_size = distributed_rank(None, None)
        if world_size > 1:  # under torchrun: each rank takes its share of every global batch
            sampler = RankBatchSampler(
                len(dataset),  # type: ignore[arg-type]
                batch_size, rank=rank, world_size=world_size, shuffle=shuffle,
                drop_last=drop_last, generator=generator,
            )  # fmt: skip
            batching = {"batch_sampler": sampler}
        return DataLoader(
            dataset,
            **batching,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            collate_fn=passthrough_collate,
            generator=generator,
            **self._worker_options(self.num_workers),
        )

    def _build_streaming(
        self, dataset: StreamingTableDataset, batch_size: int, shuffle: bool, drop_last: bool
    ) -> DataLoader:
        # Training drops each file's small tail batch, unless it is the file's only batch.
        dataset = dataset.with_batching(batch_size, shuffle, drop_last, self.seed)
        workers = effective_workers(self.num_workers, dataset.shard_count)
        generator = torch.Generator()
        generator.manual_seed(self.seed)
        return StreamingDataLoader(
            dataset,
            batch_size=None,
            num_workers=workers,
            pin_memory=self.pin_memory,
            generator=generator,
            **self._worker_options(workers),
        )

    def _worker_options(self, workers: int) -> dict[str, Any]:
        worker_options: dict[str, Any] = {}
        if workers > 0:
            worker_options = {
                "persistent_workers": self.persistent_workers,
                "timeout": self.timeout,
                "worker_init_fn": seed_worker,
            }
            if self.prefetch_factor is not None:
                worker_options["prefetch_factor"] = self.prefetch_factor
        return worker_options
