"""What every loop builds the same way: optimizer, schedule, stepper, precision and the
model the training passes run through (compiled when asked, DDP-wrapped under torchrun;
evaluation and checkpoints use the plain module, whose parameters are the same objects).

The schedule is sized here, once, in optimizer steps:
`ceil(batches_per_epoch / K) * epochs`, matching what `OptimizerStepper` steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from maou_kit.train.compile import maybe_compile
from maou_kit.train.distributed import wrap_for_training
from maou_kit.train.optim import build_optimizer, build_scheduler, optimizer_steps_per_epoch
from maou_kit.train.seeding import rng_state, set_rng_state
from maou_kit.train.stages import StageConfig, TrainingStage
from maou_kit.train.stepper import OptimizerStepper, autocast_dtype, make_grad_scaler

# on_epoch_end(stage, epoch (1-based), metrics): the loops' only side-effect channel.
EpochCallback = Callable[[TrainingStage, int, dict[str, float]], None]


def resolve_device(device: str | torch.device | None) -> torch.device:
    """ "auto"/None -> CUDA when available, else CPU; anything else as given."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@dataclass
class TrainingParts:
    optimizer: Optimizer
    scheduler: LRScheduler
    stepper: OptimizerStepper
    amp_dtype: torch.dtype | None
    total_steps: int
    train_model: nn.Module

    def state_dict(self) -> dict[str, Any]:
        """Optimizer, schedule, scaler and step counters, plus the RNG states."""
        scaler = self.stepper.scaler
        return {
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": scaler.state_dict() if scaler is not None else None,
            "optimizer_steps": self.stepper.optimizer_steps,
            "nonfinite_skips": self.stepper.nonfinite_skips,
            "rng": rng_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict` saved, the RNG states included."""
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.stepper.scaler is not None and state.get("scaler") is not None:
            self.stepper.scaler.load_state_dict(state["scaler"])
        self.stepper.optimizer_steps = int(state["optimizer_steps"])
        self.stepper.nonfinite_skips = int(state["nonfinite_skips"])
        set_rng_state(state["rng"])


def build_training_parts(
    model: nn.Module, config: StageConfig, batches_per_epoch: int, device: torch.device
) -> TrainingParts:
    optimizer = build_optimizer(model, config)
    steps = optimizer_steps_per_epoch(batches_per_epoch, config.gradient_accumulation_steps)
    total_steps = steps * config.max_epochs
    scheduler = build_scheduler(optimizer, total_steps, config.warmup_ratio)
    amp_dtype = autocast_dtype(device, config.mixed_precision)
    stepper = OptimizerStepper(
        model,
        optimizer,
        scheduler,
        accumulation_steps=config.gradient_accumulation_steps,
        grad_clip_norm=config.grad_clip_norm,
        scaler=make_grad_scaler(amp_dtype, device.type),
        max_consecutive_nonfinite=config.max_consecutive_nonfinite,
    )
    train_model = wrap_for_training(maybe_compile(model, config.compile), device)
    return TrainingParts(optimizer, scheduler, stepper, amp_dtype, total_steps, train_model)


def current_lr(optimizer: Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])
