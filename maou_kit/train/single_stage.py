"""Stages 1-2: train epochs until the gate metric, judged in eval mode, reaches the threshold.

After every training epoch the model is evaluated (eval mode, no gradients) on the
evaluation loader: for Stage 1 all 1,105 patterns, for Stage 2 the validation
split. The gate metric (`config.metric`: accuracy, f1 or exact_match) is read from
that evaluation; the loop stops at the first epoch where it reaches
`config.threshold` (`threshold_met=True`, `epochs_trained = epoch + 1`), else runs
`max_epochs` and reports the best epoch. All three metrics and their all-zero
baselines are passed to `on_epoch_end`; the loop writes no files.

Resuming: after every epoch that another epoch follows, `on_checkpoint(state)` gets
`state_dict()` (weights, optimizer, schedule, scaler, RNG and loader-generator
states, epoch, the best epoch so far); `load_state_dict()` restores it and `run()`
continues with the next epoch, so an interrupted and resumed stage ends as an
uninterrupted one would. No state is handed out after the epoch that meets the gate
or after the last epoch: the stage is over then, and its caller saves the result.

The epochs themselves are `maou_kit.train.epoch_loop.EpochLoop`'s, with the stop
rules "epoch budget" and "gate reached".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from maou_kit.train.engine import MultiLabelTask
from maou_kit.train.epoch_loop import EpochBudget, EpochLoop, GateReached
from maou_kit.train.losses import multilabel_loss
from maou_kit.train.metrics import MultiLabelMetrics
from maou_kit.train.seeding import (
    loader_generator_state,
    set_loader_generator_state,
)
from maou_kit.train.stages import StageConfig, StageResult, TrainingStage
from maou_kit.train.training_parts import EpochCallback


class SingleStageTrainingLoop(EpochLoop):
    """Gate-driven training of a `MultiLabelModel` (backbone + multi-label head)."""

    stop_rules = (EpochBudget(), GateReached())

    def __init__(
        self,
        model: nn.Module,
        config: StageConfig,
        train_loader: Any,
        eval_loader: Any,
        device: str | torch.device | None = None,
        on_epoch_end: EpochCallback | None = None,
        on_checkpoint: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        if config.stage is TrainingStage.POLICY_VALUE:
            raise ValueError(
                "SingleStageTrainingLoop runs stages 1-2; use TrainingLoop for stage 3"
            )
        task = MultiLabelTask(multilabel_loss(config))
        super().__init__(
            model, config, task, train_loader, eval_loader, device, on_epoch_end, on_checkpoint
        )
        # The best epoch so far: part of the saved state, so a resumed stage that misses
        # its gate reports what an uninterrupted one would.
        self.best_value = math.nan
        self.best_epoch = 0
        self.best_metrics: dict[str, float] = {}
        self.gate_met = False
        self.last_metrics: dict[str, float] = {}

    def observe(self, train: dict[str, float], evaluation: dict[str, float]) -> None:
        value = evaluation[self.config.metric]
        if self.best_epoch == 0 or math.isnan(self.best_value) or value > self.best_value:
            self.best_value, self.best_epoch = value, self.epochs_done
            self.best_metrics = dict(evaluation)
        self.last_metrics = evaluation
        self.gate_met = value >= self.config.threshold

    def checkpoint_now(self) -> bool:
        return not self.gate_met and self.epochs_done < self.config.max_epochs

    def finish(self, started: float) -> StageResult:
        if self.gate_met:
            metrics, epoch = self.last_metrics, self.epochs_done
            value = metrics[self.config.metric]
        else:
            metrics, epoch, value = self.best_metrics, self.best_epoch, self.best_value
        return StageResult(
            stage=self.config.stage,
            metric_name=self.config.metric,
            achieved=value,
            threshold=self.config.threshold,
            baseline=metrics.get(f"baseline_{self.config.metric}", math.nan),
            final_loss=self.last_train_loss,
            epochs_trained=self.epochs_done,
            best_epoch=epoch,
            threshold_met=self.gate_met,
            seconds=time.perf_counter() - started,
            metrics=dict(metrics),
            weights_epoch=self.epochs_done,  # stages 1-2 keep their last epoch's weights
        )

    def epoch_record(
        self, train: dict[str, float], evaluation: dict[str, float]
    ) -> dict[str, float]:
        record = {"train_loss": train["loss"]}
        record.update({f"train_{name}": train[name] for name in MultiLabelMetrics.NAMES})
        record["eval_loss"] = evaluation["loss"]
        for name in MultiLabelMetrics.NAMES:
            record[name] = evaluation[name]
            record[f"baseline_{name}"] = evaluation[f"baseline_{name}"]
        record["gate_metric"] = evaluation[self.config.metric]
        return record

    def training_state(self) -> dict[str, Any]:
        """Optimizer/schedule/RNG/loader states and the epoch count: what resuming this stage needs."""
        return {
            **self.parts.state_dict(),
            "epoch": self.epochs_done,
            "config": self.config.to_dict(),
            "loader_generator": loader_generator_state(self.train_loader),
            "eval_loader_generator": loader_generator_state(self.eval_loader),
        }

    def state_dict(self) -> dict[str, Any]:
        """Everything `load_state_dict` needs to continue this stage at the next epoch."""
        return {
            "kind": "progress",
            "stage": int(self.config.stage),
            "backbone": self.model.backbone.state_dict(),
            "head": self.model.head.state_dict(),
            **self.training_state(),
            "best_value": self.best_value,
            "best_epoch": self.best_epoch,
            "best_metrics": dict(self.best_metrics),
            "last_train_loss": self.last_train_loss,
            "seconds": self.seconds_before,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.backbone.load_state_dict(state["backbone"])
        self.model.head.load_state_dict(state["head"])
        self.parts.load_state_dict(state)
        self.epochs_done = int(state["epoch"])
        self.best_value = float(state["best_value"])
        self.best_epoch = int(state["best_epoch"])
        self.best_metrics = dict(state["best_metrics"])
        self.last_train_loss = float(state["last_train_loss"])
        self.seconds_before = float(state.get("seconds", 0.0))
        set_loader_generator_state(self.train_loader, state.get("loader_generator"))
        set_loader_generator_state(self.eval_loader, state.get("eval_loader_generator"))
