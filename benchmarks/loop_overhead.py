"""Samples/s of the kit's Stage 1, 2 and 3 training loops beside a minimal hand-written
PyTorch loop, and the loops' FLOP rate beside this machine's matmul rate.

Kit side: the real pieces (`build_backbone` at the chosen preset with the stage's head,
the map-style dataset through `DataLoaderFactory.train_loader`, `SingleStageTrainingLoop` /
`TrainingLoop.train_epoch`: shuffling, batch assembly, host-to-device copies, the
stepper's clipping and non-finite guard, LR schedule, on-device metrics).
Anchor: a copy of the same model trained with a plain loop over batches prepared once
as tensors on the device (same batch size, AdamW, same loss, same autocast), in the
same process, interleaved with the kit side so load changes hit both alike.
"""

from __future__ import annotations

import contextlib
import copy
import tempfile
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from benchmarks import synthetic
from benchmarks.measure import Options, Row, median_and_spread, rates_interleaved, synchronize
from maou_kit.data.datasets import KifDataset, Stage1Dataset, Stage2Dataset
from maou_kit.data.loader import DataLoaderFactory
from maou_kit.model import (
    LegalMovesHead,
    PolicyHead,
    ReachableSquaresHead,
    ValueHead,
    build_backbone,
)
from maou_kit.shogi import stage1_arrays
from maou_kit.train.config import LearnConfig
from maou_kit.train.models import MultiLabelModel, PolicyValueModel
from maou_kit.train.policy_value import TrainingLoop
from maou_kit.train.prefetch import to_device
from maou_kit.train.single_stage import SingleStageTrainingLoop
from maou_kit.train.stages import StageConfig, TrainingStage
from maou_kit.train.stepper import autocast_dtype


def stage_dataset(stage: TrainingStage, rows: int) -> Any:
    """Stage 1: the real patterns (the first `rows`); Stages 2-3: synthetic rows."""
    if stage is TrainingStage.REACHABLE_SQUARES:
        boards, hands, targets = stage1_arrays()
        return Stage1Dataset(boards[:rows], hands[:rows], targets[:rows])
    boards, hands = synthetic.positions(rows, seed=int(stage))
    if stage is TrainingStage.LEGAL_MOVES:
        return Stage2Dataset(boards, hands, synthetic.legal_masks(rows, seed=5))
    policy, values = synthetic.policy_and_value(rows, seed=6)
    return KifDataset(boards, hands, policy, values)


def stage_model(stage: TrainingStage, preset: str) -> nn.Module:
    backbone = build_backbone("resnet", preset)
    width = backbone.feature_dim
    if stage is TrainingStage.POLICY_VALUE:
        return PolicyValueModel(backbone, PolicyHead(width), ValueHead(width))
    head = ReachableSquaresHead if stage is TrainingStage.REACHABLE_SQUARES else LegalMovesHead
    return MultiLabelModel(backbone, head(width))


def default_stage_config(stage: TrainingStage, options: Options, epochs: int) -> StageConfig:
    """The `learn-model` defaults of `stage` (batch size, learning rate, loss)."""
    with tempfile.TemporaryDirectory() as run_dir:
        learn = LearnConfig(stage="1", model_dir=run_dir, device=options.device)
        config = learn.stage_config(stage)
    return replace(config, max_epochs=epochs, mixed_precision=options.amp)


def plain_loss(stage: TrainingStage) -> Callable[[Any, Any], Tensor]:
    """The kit's default stage loss, written out (BCE for 1-2; policy CE + value BCE for 3)."""
    if stage is not TrainingStage.POLICY_VALUE:
        return lambda logits, targets: F.binary_cross_entropy_with_logits(logits.float(), targets)

    def policy_value_loss(outputs: tuple[Tensor, Tensor], targets: dict[str, Tensor]) -> Tensor:
        policy_logits, value_logits = outputs
        policy = -(targets["policy"] * F.log_softmax(policy_logits.float(), dim=1)).sum(1).mean()
        value = F.binary_cross_entropy_with_logits(value_logits.float(), targets["value"])
        return policy + value

    return policy_value_loss


def prepared_batches(dataset: Any, batch_size: int, device: torch.device) -> list[Any]:
    """The dataset cut into batches once, on the device, targets already float."""
    batches = []
    for start in range(0, len(dataset) - batch_size + 1, batch_size):
        inputs, targets = dataset.__getitems__(list(range(start, start + batch_size)))
        if isinstance(targets, Tensor):
            targets = targets.float()
        batches.append(to_device((inputs, targets), device))
    return batches


def hand_written_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: list[Any],
    loss_fn: Callable[[Any, Any], Tensor],
    amp_dtype: torch.dtype | None,
    device: torch.device,
    grad_clip_norm: float | None = None,
) -> None:
    model.train()
    autocast = (
        torch.autocast(device.type, dtype=amp_dtype) if amp_dtype else contextlib.nullcontext()
    )
    for inputs, targets in batches:
        with autocast:
            loss = loss_fn(model(inputs), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip_norm is not None:  # the same update rule as the kit's default
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip_norm)
        optimizer.step()
    synchronize(device.type)


def flops_per_sample(model: nn.Module, batch: Any, loss_fn: Callable[[Any, Any], Tensor]) -> float:
    """Matmul/conv FLOPs of one forward + backward step, per sample."""
    inputs, targets = batch
    counter = FlopCounterMode(display=False)
    with counter:
        loss_fn(model(inputs), targets).backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops() / len(inputs[0])


def matmul_rate(
    device: torch.device, dtype: torch.dtype, size: int, repetitions: int
) -> list[float]:
    """FLOP/s of `size` x `size` torch.matmul with all cores, one figure per repetition."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    torch.matmul(a, b)
    calls = 10

    def run() -> None:
        for _ in range(calls):
            torch.matmul(a, b)
        synchronize(device.type)

    return rates_interleaved({"matmul": run}, 2 * size**3 * calls, repetitions)["matmul"]


def measure(quick: bool, options: Options | None = None) -> list[Row]:
    options = options or Options()
    device = torch.device(options.device)
    repetitions = 2 if quick else 7
    # quick: a smoke test of the plumbing (a handful of steps), not a measurement
    rows_per_stage = {
        TrainingStage.REACHABLE_SQUARES: 64 if quick else 1105,
        TrainingStage.LEGAL_MOVES: 256 if quick else 5120,
        TrainingStage.POLICY_VALUE: 256 if quick else 5120,
    }
    amp = autocast_dtype(device, options.amp)
    matmul_dtype = amp or torch.float32
    matmul_size = 1024 if device.type == "cpu" else 8192
    settings_common = {
        "device": options.device, "preset": options.preset, "arch": "resnet",
        "amp": str(amp).replace("torch.", "") if amp else "off",
        "torch_threads": torch.get_num_threads(), "repetitions": repetitions,
    }  # fmt: skip
    loops, flop_rows = [], []
    matmul_rates = matmul_rate(device, matmul_dtype, matmul_size, repetitions)
    for stage, rows in rows_per_stage.items():
        torch.manual_seed(0)
        config = default_stage_config(stage, options, epochs=repetitions + 2)
        dataset = stage_dataset(stage, rows)
        kit_model = stage_model(stage, options.preset)
        plain_model = copy.deepcopy(kit_model).to(device)
        loader = DataLoaderFactory(seed=0).train_loader(dataset, config.batch_size)
        loop_class = (
            TrainingLoop if stage is TrainingStage.POLICY_VALUE else SingleStageTrainingLoop
        )
        kit_loop = loop_class(kit_model, config, loader, loader, device=device)
        batches = prepared_batches(dataset, config.batch_size, device)
        loss_fn = plain_loss(stage)
        optimizer = torch.optim.AdamW(plain_model.parameters(), lr=config.learning_rate)

        def plain_epoch(
            model=plain_model, opt=optimizer, data=batches, loss=loss_fn,
            clip=config.grad_clip_norm,
        ) -> None:  # fmt: skip
            hand_written_epoch(model, opt, data, loss, amp, device, clip)

        kit_loop.train_epoch()  # warm-up: allocator, kernel selection
        plain_epoch()
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        samples = len(batches) * config.batch_size
        rates = rates_interleaved(
            {"kit": kit_loop.train_epoch, "plain": plain_epoch}, samples, repetitions
        )
        kit, kit_spread = median_and_spread(rates["kit"])
        plain, _ = median_and_spread(rates["plain"])
        settings = {**settings_common, "batch_size": config.batch_size, "samples": samples}
        if device.type == "cuda":
            settings["peak_gpu_memory_mib"] = torch.cuda.max_memory_allocated() / 2**20
        loops.append(
            Row(
                f"stage {int(stage)} training loop (kit)", kit, "samples/s",
                anchor="hand-written PyTorch loop", anchor_value=plain, goal=">= 0.95x",
                spread=kit_spread, settings=settings,
            )
        )  # fmt: skip
        per_sample = flops_per_sample(plain_model, batches[0], loss_fn)
        flop_rows.append(
            Row(
                f"stage {int(stage)} training FLOP rate (kit)", kit * per_sample / 1e9, "GFLOP/s",
                anchor=f"torch.matmul {matmul_size}^2 {str(matmul_dtype).replace('torch.', '')}",
                anchor_value=float(np.median(matmul_rates)) / 1e9, goal="report",
                spread=f"matmul {median_and_spread([r / 1e9 for r in matmul_rates])[1]}",
                settings={**settings, "model_gflop_per_sample": per_sample / 1e9},
            )
        )  # fmt: skip
    return loops + flop_rows
