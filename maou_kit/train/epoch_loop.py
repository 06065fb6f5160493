"""The one epoch loop every stage runs, with a pluggable stop rule.

`EpochLoop.run()` repeats: train one epoch, evaluate (eval mode, no gradients),
`observe` the evaluation (the stage keeps its best epoch), report the epoch's record
to `on_epoch_end`, hand the resumable state to `on_checkpoint` when the stage says
so; it stops as soon as one of its `stop_rules` says stop, and `finish` turns the
state into the `StageResult`. Rules are checked before every epoch, so a resumed
loop whose saved state had already stopped trains no further.

Stop rules (`StopRule.reached(loop)`): `EpochBudget` (max_epochs done), `GateReached`
(Stages 1-2: the gate metric met its threshold), `Patience` (Stage 3: this many
epochs without a better validation loss). `SingleStageTrainingLoop` (Stages 1-2)
and `TrainingLoop` (Stage 3) are this loop with their task, rules and records.

The learning rate an epoch reports is the mean of the rates its optimizer steps ran
at (with warmup, the first epoch's first step runs at a small fraction of the peak,
which is not what the epoch trained at).
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import torch
from torch import nn

from maou_kit.train.engine import Task, run_epoch
from maou_kit.train.stages import StageConfig, StageResult
from maou_kit.train.training_parts import (
    EpochCallback,
    build_training_parts,
    current_lr,
    resolve_device,
)


class StopRule(Protocol):
    def reached(self, loop: EpochLoop) -> bool: ...

    def reason(self, loop: EpochLoop) -> str:
        """Why the stage stopped, for the result and the final log line."""
        ...


class EpochBudget:
    """Stop once `config.max_epochs` epochs are done."""

    def reached(self, loop: EpochLoop) -> bool:
        return loop.epochs_done >= loop.config.max_epochs

    def reason(self, loop: EpochLoop) -> str:
        return f"epoch budget of {loop.config.max_epochs} used"


class GateReached:
    """Stop once the last evaluation met the stage's gate (`loop.gate_met`)."""

    def reached(self, loop: EpochLoop) -> bool:
        return bool(getattr(loop, "gate_met", False))

    def reason(self, loop: EpochLoop) -> str:
        return "gate reached"


class Patience:
    """Stop after `config.early_stopping_patience` epochs without improvement (0/None: never)."""

    def reached(self, loop: EpochLoop) -> bool:
        patience = loop.config.early_stopping_patience
        return bool(patience) and getattr(loop, "epochs_without_improvement", 0) >= patience

    def reason(self, loop: EpochLoop) -> str:
        return f"no validation-loss gain for {loop.config.early_stopping_patience} epochs"


class EpochLoop(ABC):
    """Train/evaluate epochs until a stop rule is reached; subclasses say what to keep."""

    stop_rules: Sequence[StopRule] = (EpochBudget(),)

    def __init__(
        self,
        model: nn.Module,
        config: StageConfig,
        task: Task,
        train_loader: Any,
        eval_loader: Any,
        device: str | torch.device | None = None,
        on_epoch_end: EpochCallback | None = None,
        on_checkpoint: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.device = resolve_device(device)
        self.model = model.to(self.device)
        self.config = config
        self.task = task
        self.train_loader = train_loader
        self.eval_loader = eval_loader
        self.on_epoch_end = on_epoch_end
        self.on_checkpoint = on_checkpoint
        self.parts = build_training_parts(self.model, config, len(train_loader), self.device)
        self.epochs_done = 0
        self.last_train_loss = math.nan
        self.seconds_before = 0.0  # training time of earlier processes (resumed stages)

    # ------------------------------------------------------------------ one epoch
    def train_epoch(self) -> dict[str, float]:
        """One pass over the training loader, updating the model; `lr` is the mean rate
        of the epoch's optimizer steps (the current rate when it took none)."""
        stepper = self.parts.stepper
        steps, rates, rate_now = (
            stepper.optimizer_steps,
            stepper.lr_sum,
            current_lr(self.parts.optimizer),
        )
        result = run_epoch(
            self.parts.train_model, self.train_loader, self.task, self.device,
            stepper=stepper, amp_dtype=self.parts.amp_dtype,
        )  # fmt: skip
        taken = stepper.optimizer_steps - steps
        result["lr"] = (stepper.lr_sum - rates) / taken if taken else rate_now
        return result

    def evaluate(self) -> dict[str, float]:
        """Loss and metrics on the evaluation loader, in eval mode."""
        return run_epoch(
            self.model, self.eval_loader, self.task, self.device, amp_dtype=self.parts.amp_dtype
        )

    # ------------------------------------------------------------------ the loop
    def stopped(self) -> bool:
        return any(rule.reached(self) for rule in self.stop_rules)

    def stop_reason(self) -> str:
        """Why the loop stopped ("" while it runs): of the rules reached, the last listed,
        the most specific (a gate or patience that ends the last budgeted epoch wins)."""
        reasons = [rule.reason(self) for rule in self.stop_rules if rule.reached(self)]
        return reasons[-1] if reasons else ""

    def run(self) -> StageResult:
        started = time.perf_counter() - self.seconds_before
        while not self.stopped():
            epoch_started = time.perf_counter()
            train = self.train_epoch()
            evaluation = self.evaluate()
            self.epochs_done += 1
            self.last_train_loss = train["loss"]
            self.observe(train, evaluation)
            if self.on_epoch_end is not None:
                record = self.epoch_record(train, evaluation)
                record.update(
                    lr=train.get("lr", current_lr(self.parts.optimizer)),
                    optimizer_steps=float(self.parts.stepper.optimizer_steps),
                    nonfinite_skips=float(self.parts.stepper.nonfinite_skips),
                    seconds=time.perf_counter() - epoch_started,
                )
                self.on_epoch_end(self.config.stage, self.epochs_done, record)
            if self.on_checkpoint is not None and self.checkpoint_now():
                self.seconds_before = time.perf_counter() - started
                self.on_checkpoint(self.state_dict())
        result = self.finish(started)
        result.stopped_by = self.stop_reason()
        return result

    # ------------------------------------------------------------------ what stages define
    @abstractmethod
    def observe(self, train: dict[str, float], evaluation: dict[str, float]) -> None:
        """Take note of an epoch's evaluation (best epoch, gate, patience)."""

    @abstractmethod
    def epoch_record(
        self, train: dict[str, float], evaluation: dict[str, float]
    ) -> dict[str, float]:
        """The stage's figures of the epoch for `on_epoch_end` (lr, steps, seconds are added)."""

    def checkpoint_now(self) -> bool:
        """Whether the state after this epoch is handed to `on_checkpoint`."""
        return True

    @abstractmethod
    def finish(self, started: float) -> StageResult:
        """The stage's result once a stop rule is reached (`started`: perf_counter origin)."""

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue this stage at its next epoch."""
