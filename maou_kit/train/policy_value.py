"""Stage 3: policy + value training with validation every epoch and optional early stopping.

Loss = policy_loss_ratio * policy cross-entropy (log-softmax against the target
distribution, optionally over legal moves only) + value_loss_ratio * value BCE.
After each epoch the validation split is scored (loss and the metrics of
`PolicyValueMetrics`, including empty-target rows); early stopping watches the
validation loss with `early_stopping_patience`. With `keep_best_weights` (the
default) the model ends with the weights of its best-validation-loss epoch, and the
result reports that epoch's metrics: on a small corpus the value head starts to
memorise games after a few epochs, and the last epoch is then not the model to keep.
Without it the model keeps the last epoch's weights and metrics.

Resuming: `state_dict()` carries weights, optimizer, schedule, scaler, epoch,
early-stopping counters, the last epoch's losses and metrics, RNG and
loader-generator states and config; `load_state_dict()` restores them and `run()`
continues with the next epoch (or, when the saved state had already finished or
stopped early, trains no further and reports the same result).
`on_checkpoint(state)` is called after every epoch so the caller decides where
(and whether) to write it.

The epochs themselves are `maou_kit.train.epoch_loop.EpochLoop`'s, with the stop
rules "epoch budget" and "patience".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import torch

from maou_kit.train.engine import PolicyValueTask
from maou_kit.train.epoch_loop import EpochBudget, EpochLoop, Patience
from maou_kit.train.metrics import brier_of_constant
from maou_kit.train.models import PolicyValueModel
from maou_kit.train.seeding import (
    loader_generator_state,
    set_loader_generator_state,
)
from maou_kit.train.stages import StageConfig, StageResult, TrainingStage
from maou_kit.train.training_parts import EpochCallback

_RECORDED_METRICS = (
    "policy_cross_entropy", "top1_accuracy", "top5_accuracy",
    "legal_policy_cross_entropy", "legal_top1_accuracy", "legal_top5_accuracy",
    "random_legal_top1_accuracy", "value_brier", "value_brier_of_train_mean", "value_bce",
    "empty_target_rows", "empty_target_rate",
)  # fmt: skip


class TrainingLoop(EpochLoop):
    """Epoch-budgeted training of a `PolicyValueModel` with per-epoch validation."""

    stop_rules = (EpochBudget(), Patience())

    def __init__(
        self,
        model: PolicyValueModel,
        config: StageConfig,
        train_loader: Any,
        val_loader: Any,
        device: str | torch.device | None = None,
        on_epoch_end: EpochCallback | None = None,
        on_checkpoint: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        if config.stage is not TrainingStage.POLICY_VALUE:
            raise ValueError(
                "TrainingLoop runs stage 3; use SingleStageTrainingLoop for stages 1-2"
            )
        task = PolicyValueTask(
            config.policy_loss_ratio, config.value_loss_ratio, config.legal_masked_policy_loss
        )
        super().__init__(
            model, config, task, train_loader, val_loader, device, on_epoch_end, on_checkpoint
        )
        self.best_val_loss = math.inf
        self.best_epoch = 0
        self.epochs_without_improvement = 0
        self.last_val_metrics: dict[str, float] = {}
        self.best_val_metrics: dict[str, float] = {}
        self.best_weights: dict[str, torch.Tensor] | None = None  # on the CPU

    @property
    def val_loader(self) -> Any:
        return self.eval_loader

    def validate(self) -> dict[str, float]:
        """Loss and metrics on the validation split, in eval mode."""
        return super().evaluate()

    def evaluate(self) -> dict[str, float]:
        return self.validate()  # Stage 3's name for it (tests and notebooks replace it)

    def observe(self, train: dict[str, float], validation: dict[str, float]) -> None:
        # The value baseline: always predicting this epoch's training-target mean.
        validation["value_brier_of_train_mean"] = brier_of_constant(
            train["value_target_mean"], validation
        )
        self.last_val_metrics = validation
        if validation["loss"] < self.best_val_loss:
            self.best_val_loss = validation["loss"]
            self.best_val_metrics = validation
            if self.config.keep_best_weights:
                self.best_weights = _cpu_copy(self.model.state_dict())
            self.best_epoch = self.epochs_done
            self.epochs_without_improvement = 0
        else:
            self.epochs_without_improvement += 1

    def finish(self, started: float) -> StageResult:
        keep_best = self.config.keep_best_weights and self.best_weights is not None
        if keep_best:
            self.model.load_state_dict(self.best_weights)
            if self.on_checkpoint is not None:  # the stage's file ends with the kept weights
                self.on_checkpoint(self.state_dict())
        return StageResult(
            stage=TrainingStage.POLICY_VALUE,
            metric_name="val_loss",
            achieved=self.best_val_loss,
            threshold=None,
            baseline=None,
            final_loss=self.last_train_loss,
            epochs_trained=self.epochs_done,
            best_epoch=self.best_epoch,
            threshold_met=None,
            seconds=time.perf_counter() - started,
            metrics=dict(self.best_val_metrics if keep_best else self.last_val_metrics),
            weights_epoch=self.best_epoch if keep_best else self.epochs_done,
        )

    def epoch_record(
        self, train: dict[str, float], validation: dict[str, float]
    ) -> dict[str, float]:
        record = {"train_loss": train["loss"], "val_loss": validation["loss"]}
        for prefix, values in (("train", train), ("val", validation)):
            record.update(
                {f"{prefix}_{name}": values[name] for name in _RECORDED_METRICS if name in values}
            )
        return record

    def state_dict(self) -> dict[str, Any]:
        """Everything `load_state_dict` needs to continue this run at the next epoch."""
        return {
            "kind": "stage3",
            "backbone": self.model.backbone.state_dict(),
            "policy_head": self.model.policy_head.state_dict(),
            "value_head": self.model.value_head.state_dict(),
            **self.parts.state_dict(),
            "epoch": self.epochs_done,
            "best_val_loss": self.best_val_loss,
            "best_epoch": self.best_epoch,
            "epochs_without_improvement": self.epochs_without_improvement,
            "last_train_loss": self.last_train_loss,
            "last_val_metrics": dict(self.last_val_metrics),
            "best_val_metrics": dict(self.best_val_metrics),
            "best_weights": self.best_weights,
            "seconds": self.seconds_before,
            "config": self.config.to_dict(),
            "loader_generator": loader_generator_state(self.train_loader),
            "eval_loader_generator": loader_generator_state(self.eval_loader),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.backbone.load_state_dict(state["backbone"])
        self.model.policy_head.load_state_dict(state["policy_head"])
        self.model.value_head.load_state_dict(state["value_head"])
        self.parts.load_state_dict(state)
        self.epochs_done = int(state["epoch"])
        self.best_val_loss = float(state["best_val_loss"])
        self.best_epoch = int(state["best_epoch"])
        self.epochs_without_improvement = int(state["epochs_without_improvement"])
        self.last_train_loss = float(state.get("last_train_loss", math.nan))
        self.last_val_metrics = dict(state.get("last_val_metrics", {}))
        self.best_val_metrics = dict(state.get("best_val_metrics", {}))
        self.best_weights = state.get("best_weights")
        self.seconds_before = float(state.get("seconds", 0.0))
        set_loader_generator_state(self.train_loader, state.get("loader_generator"))
        set_loader_generator_state(self.eval_loader, state.get("eval_loader_generator"))


def _cpu_copy(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().to("cpu", copy=True) for name, tensor in state.items()}
