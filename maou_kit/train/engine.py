"""The one epoch engine every stage runs, with the stage-specific parts plugged in as a task.

A task says what a stage's targets mean: its `loss(outputs, targets)` and a fresh
metrics accumulator (`new_metrics(device)` with `update(outputs, targets)`,
`totals` and `finalize`). `run_epoch` does the rest for all stages alike: moving
batches to the device through a `DataPrefetcher` (on CUDA a bounded queue of
batches is copied ahead on a side stream while the current one computes),
autocast, backward through an `OptimizerStepper` when training, the running loss
and metrics on the device, and one host sync at the end. Under torchrun the running
sums are added up over all ranks first, so every rank returns the whole split's
figures. It returns a flat dict: `loss`, the task's metrics, `rows`, `batches`,
`nonfinite_rows` (rows of batches whose loss was not finite), `seconds`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from maou_kit.data.loader import batch_size_of
from maou_kit.train.distributed import all_reduce_sum, uneven_batches
from maou_kit.train.losses import policy_cross_entropy, value_bce
from maou_kit.train.metrics import MultiLabelMetrics, PolicyValueMetrics, read_totals
from maou_kit.train.prefetch import DataPrefetcher
from maou_kit.train.stepper import OptimizerStepper


class Metrics(Protocol):
    totals: dict[str, Tensor]

    def update(self, outputs: Any, targets: Any) -> None: ...

    def finalize(self, host: dict[str, float]) -> dict[str, float]: ...


class Task(Protocol):
    def loss(self, outputs: Any, targets: Any) -> Tensor: ...

    def new_metrics(self, device: torch.device) -> Metrics: ...


class MultiLabelTask:
    """Stages 1-2: outputs are (B, W) logits, targets (B, W) 0/1 cells."""

    def __init__(self, loss_fn: nn.Module) -> None:
        self.loss_fn = loss_fn

    def loss(self, outputs: Tensor, targets: Tensor) -> Tensor:
        return self.loss_fn(outputs, targets)

    def new_metrics(self, device: torch.device) -> MultiLabelMetrics:
        return MultiLabelMetrics(device)


class PolicyValueTask:
    """Stage 3: outputs (policy logits, value logits), targets {"policy", "value", ["legal"]}."""

    def __init__(
        self,
        policy_loss_ratio: float = 1.0,
        value_loss_ratio: float = 1.0,
        legal_masked_policy_loss: bool = False,
    ) -> None:
        self.policy_loss_ratio = policy_loss_ratio
        self.value_loss_ratio = value_loss_ratio
        self.legal_masked_policy_loss = legal_masked_policy_loss

    def loss(self, outputs: tuple[Tensor, Tensor], targets: dict[str, Tensor]) -> Tensor:
        policy_logits, value_logits = outputs
        legal = targets.get("legal") if self.legal_masked_policy_loss else None
        policy = policy_cross_entropy(policy_logits, targets["policy"], legal)
        value = value_bce(value_logits, targets["value"])
        return self.policy_loss_ratio * policy + self.value_loss_ratio * value

    def new_metrics(self, device: torch.device) -> PolicyValueMetrics:
        return PolicyValueMetrics(device)


def run_epoch(
    model: nn.Module,
    loader: Iterable[Any],
    task: Task,
    device: torch.device,
    stepper: OptimizerStepper | None = None,
    amp_dtype: torch.dtype | None = None,
) -> dict[str, float]:
    """Train (when `stepper` is given) or evaluate (no gradients, eval mode) for one pass."""
    training = stepper is not None
    model.train(training)
    started = time.perf_counter()
    metrics = task.new_metrics(device)
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    finite_rows = torch.zeros((), dtype=torch.float64, device=device)
    rows = batches = 0
    autocast = (
        torch.autocast(device_type=device.type, dtype=amp_dtype)
        if amp_dtype is not None
        else contextlib.nullcontext()
    )
    # Under torchrun ranks may hold different batch counts: DDP's join lets a rank that
    # ran out shadow the others' gradient all-reduces instead of waiting forever.
    joined = uneven_batches(model) if training else contextlib.nullcontext()
    with torch.set_grad_enabled(training), joined:
        for inputs, targets in DataPrefetcher(loader, device):
            size = batch_size_of(inputs)  # from the tensor's shape: no device sync
            with autocast:
                outputs = model(inputs)
                loss = task.loss(outputs, targets)
            if stepper is not None:
                stepper.backward(loss)
            finite = torch.isfinite(loss.detach())
            loss_sum += torch.where(finite, loss.detach().double(), 0.0) * size
            finite_rows += finite.double() * size
            metrics.update(_detached(outputs), targets)
            rows += size
            batches += 1
        if stepper is not None:
            stepper.flush()
    counts = torch.tensor([rows, batches], dtype=torch.float64, device=device)
    # Every metric is a sum until `finalize`, so summing over ranks gives each rank the
    # figures of the whole split, and every rank takes the same gate decision.
    totals = all_reduce_sum(
        {**metrics.totals, "_loss_sum": loss_sum, "_finite_rows": finite_rows, "_counts": counts}
    )
    rows, batches = (int(value) for value in totals.pop("_counts").tolist())
    host = read_totals(totals)
    # The loss is averaged over the rows of finite-loss batches; the rest are counted.
    result = {
        "loss": host["_loss_sum"] / host["_finite_rows"] if host["_finite_rows"] else float("nan")
    }
    result.update(metrics.finalize(host))
    result.update(
        rows=float(rows),
        batches=float(batches),
        nonfinite_rows=rows - host["_finite_rows"],
        seconds=time.perf_counter() - started,
    )
    return result


def _detached(outputs: Any) -> Any:
    if isinstance(outputs, Tensor):
        return outputs.detach()
    return type(outputs)(value.detach() for value in outputs)
