"""Batches of a map-style dataset dealt between distributed ranks.

`RankBatchSampler` is the batch sampler the `DataLoaderFactory` uses under
`torchrun` (never when alone: then the DataLoader's own sampler runs). Each pass
draws one order of all rows (a permutation from the loader's generator when
shuffling, so every rank computes the same order from the same seed, and the order
changes every epoch), cuts it into chunks of the per-rank batch size and deals the
chunks round-robin: rank r gets chunks r, r + W, r + 2W, ...

So the W batches the ranks train on at one step are together exactly the batch of
W x batch_size rows a single process would take from the same order, and with
DDP's gradient averaging, W processes at batch b take the steps one process takes
at batch W x b. Every row is in exactly one rank's batches per pass; training drops
the rows after the last complete global batch (as a single process drops its last
partial batch), evaluation keeps them, so ranks may end one batch apart.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler


class RankBatchSampler(Sampler[list[int]]):
    """Row-index batches of one rank; see the module docstring for the dealing rule."""

    def __init__(
        self,
        num_rows: int,
        batch_size: int,
        *,
        rank: int,
        world_size: int,
        shuffle: bool,
        drop_last: bool,
        generator: torch.Generator | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch size must be >= 1, got {batch_size}")
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"need 0 <= rank < world_size, got {rank}, {world_size}")
        self.num_rows = num_rows
        self.batch_size = batch_size
        self.rank = rank
        self.world_size = world_size
        self.shuffle = shuffle
        self.generator = generator
        # A set smaller than one global batch keeps its rows, as the single-process rule does.
        self.drop_last = drop_last and num_rows >= batch_size * world_size

    def _chunk_count(self) -> int:
        if self.drop_last:
            return (self.num_rows // (self.batch_size * self.world_size)) * self.world_size
        return -(-self.num_rows // self.batch_size)

    def __iter__(self) -> Iterator[list[int]]:
        if self.shuffle:
            order = torch.randperm(self.num_rows, generator=self.generator).tolist()
        else:
            order = list(range(self.num_rows))
        for chunk in range(self.rank, self._chunk_count(), self.world_size):
            yield order[chunk * self.batch_size : (chunk + 1) * self.batch_size]

    def __len__(self) -> int:
        chunks = self._chunk_count()
        return max(0, -(-(chunks - self.rank) // self.world_size))
