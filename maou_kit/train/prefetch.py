"""Feeding the device: batches copied to the GPU ahead of the step that uses them.

`DataPrefetcher(loader, device)` wraps any iterable of batches (a tensor, or
tuples/lists/dicts nesting tensors). Each `iter()` starts one pass over the loader.

On CUDA it keeps a bounded queue: up to `buffer_size` batches beyond the one in use
have had their host-to-device copy issued (`non_blocking`) on a side
`torch.cuda.Stream`, so copies overlap compute. Before a batch is handed out, the
compute stream waits for that batch's copy (an event recorded on the copy stream
right after it, i.e. `wait_stream` as of that copy, not of the copies issued
later), and `record_stream` tells the caching allocator the compute stream uses
the memory, so it is not reused while kernels still read it.

Everything runs in the caller's thread. Upstream filled its queue from a
background thread that also created the DataLoader iterator; with spawned,
persistent workers that deadlocked (training hung at 0 %), so there are no
threads here: overlap comes from CUDA streams alone.

On any other device (CPU included) the prefetcher is a pass-through: the loader's
batches in the same order, moved with `.to(device)` (a no-op for tensors already
there), nothing read ahead.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import torch
from torch import Tensor


def calculate_recommended_buffer_size(batch_size: int, num_workers: int = 0) -> int:
    """How many batches to keep copied ahead on the GPU, from the batch size and workers.

    Upstream's measured rule (its last version): small and medium batches take a
    deeper queue, because each copy is short and its latency is hidden only by
    having several in flight; past 1024 rows each batch is large in device memory
    and its compute alone is long enough to hide the next copy, so the queue shrinks:

        batch <= 128: 3, <= 256: 5, <= 512: 8, <= 1024: 12, <= 2048: 8, larger: 4

    Many workers: with `num_workers` DataLoader workers, about
    `num_workers * prefetch_factor` finished batches already wait in (pinned) host
    memory, so the device queue only has to hide the copy, not the data loading,
    and every extra device batch adds to a memory bill that grows with the
    workers. For batches of 512 rows or more, 4-7 workers keep two thirds of the
    depth (rounded down) and 8 or more keep half; smaller batches cost little
    device memory per slot and keep their depth. Never below 2, the least that
    still overlaps one copy with one step.
    """
    if batch_size < 1:
        raise ValueError(f"batch size must be >= 1, got {batch_size}")
    if num_workers < 0:
        raise ValueError(f"num_workers must be >= 0, got {num_workers}")
    if batch_size <= 128:
        depth = 3
    elif batch_size <= 256:
        depth = 5
    elif batch_size <= 512:
        depth = 8
    elif batch_size <= 1024:
        depth = 12
    elif batch_size <= 2048:
        depth = 8
    else:
        depth = 4
    if batch_size >= 512:
        if num_workers >= 8:
            depth = depth // 2
        elif num_workers >= 4:
            depth = depth * 2 // 3
    return max(2, depth)


def loader_batch_size(loader: Iterable[Any]) -> int | None:
    """Rows per batch the loader yields: its `batch_size`, else its (streaming) dataset's.

    A streaming loader runs with `batch_size=None` and its dataset builds the batches,
    so the size is read from the dataset. None when neither says.
    """
    size = getattr(loader, "batch_size", None)
    if size is None:
        size = getattr(getattr(loader, "dataset", None), "batch_size", None)
    return int(size) if isinstance(size, int) and size >= 1 else None


def to_device(batch: Any, device: torch.device, non_blocking: bool = False) -> Any:
    """Move every tensor of a nested tuple/list/dict batch to `device`; other leaves stay."""
    if isinstance(batch, Tensor):
        return batch.to(device, non_blocking=non_blocking)
    if isinstance(batch, dict):
        return {key: to_device(value, device, non_blocking) for key, value in batch.items()}
    if isinstance(batch, list | tuple):
        return type(batch)(to_device(value, device, non_blocking) for value in batch)
    return batch


def tensors_of(batch: Any) -> Iterator[Tensor]:
    """Every tensor leaf of a nested tuple/list/dict batch."""
    if isinstance(batch, Tensor):
        yield batch
    elif isinstance(batch, dict):
        for value in batch.values():
            yield from tensors_of(value)
    elif isinstance(batch, list | tuple):
        for value in batch:
            yield from tensors_of(value)


class DataPrefetcher:
    """Iterate a loader's batches on `device`, copying ahead on a CUDA side stream.

    `buffer_size` is how many batches beyond the one handed out may be copied ahead
    (CUDA only). When None it follows `calculate_recommended_buffer_size` from the
    loader's batch size and `num_workers`; a loader that states no batch size gets
    it from the leading dimension of its first batch.
    """

    def __init__(
        self, loader: Iterable[Any], device: str | torch.device, buffer_size: int | None = None
    ) -> None:
        if buffer_size is not None and buffer_size < 1:
            raise ValueError(f"prefetch buffer size must be >= 1, got {buffer_size}")
        self.loader = loader
        self.device = torch.device(device)
        self.num_workers = int(getattr(loader, "num_workers", 0) or 0)
        batch_size = loader_batch_size(loader)
        if buffer_size is None and batch_size is not None:
            buffer_size = calculate_recommended_buffer_size(batch_size, self.num_workers)
        self.buffer_size = buffer_size

    def __len__(self) -> int:
        return len(self.loader)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        if self.device.type != "cuda":
            return (to_device(batch, self.device) for batch in self.loader)
        return self._cuda_batches()

    def _cuda_batches(self) -> Iterator[Any]:
        device = self.device
        copy_stream = torch.cuda.Stream(device)
        compute_stream = torch.cuda.current_stream(device)
        source = iter(self.loader)
        queue: deque[tuple[Any, torch.cuda.Event]] = deque()
        exhausted = False

        def issue_copy(host_batch: Any) -> None:
            # No wait on the compute stream: the copy's memory is allocated on the copy
            # stream, and blocks freed after `record_stream` are only reused once the
            # compute stream is past them, so copies may run ahead of the step.
            with torch.cuda.stream(copy_stream):
                device_batch = to_device(host_batch, device, non_blocking=True)
                copied = torch.cuda.Event()
                copied.record(copy_stream)
            queue.append((device_batch, copied))

        while True:
            # Top up to the batch handed out next plus `buffer_size` behind it. Loader
            # waits happen here, while the GPU still runs the last handed-out step.
            while not exhausted and (self.buffer_size is None or len(queue) <= self.buffer_size):
                host_batch = next(source, _END)
                if host_batch is _END:
                    exhausted = True
                    break
                if self.buffer_size is None:
                    self.buffer_size = _buffer_size_from_batch(host_batch, self.num_workers)
                issue_copy(host_batch)
            if not queue:
                return
            device_batch, copied = queue.popleft()
            compute_stream.wait_event(copied)
            for tensor in tensors_of(device_batch):
                tensor.record_stream(compute_stream)
            yield device_batch


_END = object()


def _buffer_size_from_batch(batch: Any, num_workers: int) -> int:
    """The rule applied to the leading dimension of the batch's first tensor."""
    first = next((tensor for tensor in tensors_of(batch) if tensor.ndim > 0), None)
    if first is None or first.shape[0] < 1:
        return 2  # no rows to read a size from: the least depth that still overlaps
    return calculate_recommended_buffer_size(int(first.shape[0]), num_workers)
