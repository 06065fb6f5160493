"""Running under `torchrun`: process-group setup, who writes files, and agreeing on numbers.

The same `maou-kit learn-model` runs alone or under `torchrun`; this module is the
only place that asks which. `torchrun` sets `WORLD_SIZE`, `RANK` and `LOCAL_RANK`;
when `WORLD_SIZE` > 1, `init_distributed()` joins the process group (NCCL when the
run's device is CUDA, gloo on CPU) and pins each rank to GPU `LOCAL_RANK`.

- Only rank 0 writes the run directory (config, metrics, results, checkpoints):
  callers ask `is_main_process()`.
- Every metric is a sum over rows before it is a ratio, so `all_reduce_sum` on the
  totals gives every rank the metrics of the whole evaluation set, and the gate
  decisions that follow from them are the same on every rank.
- Training wraps the model in DistributedDataParallel (`wrap_for_training`); the
  ranks may hold different numbers of batches (shard files differ in size), which
  `uneven_batches` handles with DDP's join, so no rank waits forever for another.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch
import torch.distributed as dist
from torch import Tensor, nn


def is_distributed() -> bool:
    """True once this process belongs to a process group of more than one rank."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def is_main_process() -> bool:
    """Rank 0, or the only process: the one that writes files and prints progress."""
    return rank() == 0


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_distributed(device: torch.device) -> torch.device:
    """Join the torchrun process group if launched by torchrun; returns this rank's device.

    Idempotent: a second call (a notebook running two orchestrators) reuses the group.
    """
    if not launched_by_torchrun():
        return device
    if device.type == "cuda":
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return device


def leave_process_group() -> None:
    """Leave the process group at the end of a run (no-op when not distributed)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_sum(values: dict[str, Tensor]) -> dict[str, Tensor]:
    """Element-wise sums of same-named tensors over all ranks (unchanged when alone).

    One collective for the whole dict: the tensors are flattened into one float64
    buffer, reduced, and split back into their shapes and dtypes.
    """
    if not is_distributed() or not values:
        return values
    names = list(values)
    flat = [values[name].detach().reshape(-1).to(torch.float64) for name in names]
    buffer = torch.cat(flat)
    dist.all_reduce(buffer, op=dist.ReduceOp.SUM)
    reduced, offset = {}, 0
    for name, piece in zip(names, flat, strict=True):
        original = values[name]
        chunk = buffer[offset : offset + piece.numel()]
        reduced[name] = chunk.reshape(original.shape).to(original.dtype)
        offset += piece.numel()
    return reduced


def broadcast_object(value: object) -> object:
    """Rank 0's `value` on every rank (e.g. the run timestamp that names checkpoints)."""
    if not is_distributed():
        return value
    holder = [value]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def wrap_for_training(model: nn.Module, device: torch.device) -> nn.Module:
    """DistributedDataParallel around `model` when distributed, else `model` itself."""
    if not is_distributed():
        return model
    device_ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=device_ids)


@contextlib.contextmanager
def uneven_batches(model: nn.Module) -> Iterator[None]:
    """Let ranks run different numbers of training batches (DDP join); no-op when alone."""
    if isinstance(model, nn.parallel.DistributedDataParallel):
        with model.join():
            yield
    else:
        yield
