"""The curriculum's vocabulary: which stage, how to train it, and what came out.

`StageConfig` holds plain settings (numbers and names, JSON-serialisable) so it
can be written to `config.json` and built from a notebook's parameters cell; the
loops receive their DataLoaders separately. `StageResult` is what a stage
reports: the gate metric it achieved (or, for Stage 3, the best validation
loss), the all-zero baseline of that metric, epochs, timings and checkpoints.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from typing import Any

MULTILABEL_METRICS = ("accuracy", "f1", "exact_match")
MULTILABEL_LOSSES = ("bce", "asl")
OPTIMIZERS = ("adamw", "sgd")


class TrainingStage(IntEnum):
    REACHABLE_SQUARES = 1
    LEGAL_MOVES = 2
    POLICY_VALUE = 3


@dataclass(frozen=True)
class StageConfig:
    """How one stage trains. Fields marked (1-2) or (3) only matter for those stages.

    Schedules are counted in optimizer steps: one step per
    `gradient_accumulation_steps` micro-batches. `max_epochs` is the gate budget for
    Stages 1-2 and the number of epochs for Stage 3.
    """

    stage: TrainingStage
    batch_size: int
    max_epochs: int
    learning_rate: float
    threshold: float | None = None  # (1-2) gate: stop once the metric reaches it
    metric: str = "accuracy"  # (1-2) gate metric, one of MULTILABEL_METRICS
    loss: str = "bce"  # (1-2) "bce" (BCE-with-logits, pos_weight) or "asl"
    pos_weight: float = 1.0  # (1-2) BCE weight of positive cells
    gamma_pos: float = 0.0  # (1-2) ASL focusing exponent of positives
    gamma_neg: float = 4.0  # (1-2) ASL focusing exponent of negatives
    clip: float = 0.05  # (1-2) ASL probability margin shifted off easy negatives
    optimizer: str = "adamw"
    momentum: float = 0.9  # SGD only
    weight_decay: float = 0.01  # never applied to biases or norm weights
    warmup_ratio: float = 0.05  # share of optimizer steps spent in linear warmup
    gradient_accumulation_steps: int = 1
    grad_clip_norm: float | None = 1.0
    mixed_precision: bool = True  # autocast on CUDA only; ignored on CPU
    compile: bool = False  # torch.compile the training model, eager if compiling fails
    max_consecutive_nonfinite: int = 5  # non-finite steps in a row before giving up
    policy_loss_ratio: float = 1.0  # (3)
    value_loss_ratio: float = 1.0  # (3)
    legal_masked_policy_loss: bool = False  # (3) softmax over legal moves only
    early_stopping_patience: int | None = None  # (3) epochs without val-loss improvement
    keep_best_weights: bool = True  # (3) end with the best-val-loss epoch's weights

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage", TrainingStage(self.stage))
        _require(self.batch_size >= 1, f"batch size must be >= 1, got {self.batch_size}")
        _require(self.max_epochs >= 1, f"epochs must be >= 1, got {self.max_epochs}")
        _require(
            math.isfinite(self.learning_rate) and self.learning_rate > 0,
            f"learning rate must be > 0, got {self.learning_rate}",
        )
        if self.stage is not TrainingStage.POLICY_VALUE:
            _require(
                self.threshold is not None and 0 < self.threshold <= 1,
                f"stage {int(self.stage)} threshold must be in (0, 1], got {self.threshold}",
            )
        _require(
            self.metric in MULTILABEL_METRICS,
            f"unknown metric {self.metric!r}; valid: {', '.join(MULTILABEL_METRICS)}",
        )
        _require(
            self.loss in MULTILABEL_LOSSES,
            f"unknown loss {self.loss!r}; valid: {', '.join(MULTILABEL_LOSSES)}",
        )
        _require(self.pos_weight > 0, f"pos_weight must be > 0, got {self.pos_weight}")
        _require(
            self.gamma_pos >= 0 and self.gamma_neg >= 0,
            f"ASL gammas must be >= 0, got {self.gamma_pos}, {self.gamma_neg}",
        )
        _require(0 <= self.clip < 1, f"ASL clip must be in [0, 1), got {self.clip}")
        _require(
            self.optimizer in OPTIMIZERS,
            f"unknown optimizer {self.optimizer!r}; valid: {', '.join(OPTIMIZERS)}",
        )
        _require(0 <= self.momentum < 1, f"momentum must be in [0, 1), got {self.momentum}")
        _require(self.weight_decay >= 0, f"weight decay must be >= 0, got {self.weight_decay}")
        _require(
            0 <= self.warmup_ratio < 1, f"warmup ratio must be in [0, 1), got {self.warmup_ratio}"
        )
        _require(
            self.gradient_accumulation_steps >= 1,
            f"gradient accumulation steps must be >= 1, got {self.gradient_accumulation_steps}",
        )
        _require(
            self.grad_clip_norm is None or self.grad_clip_norm > 0,
            f"gradient clip norm must be > 0 or None, got {self.grad_clip_norm}",
        )
        _require(
            self.max_consecutive_nonfinite >= 1,
            f"max consecutive non-finite steps must be >= 1, got {self.max_consecutive_nonfinite}",
        )
        _require(
            self.policy_loss_ratio >= 0 and self.value_loss_ratio >= 0,
            "policy/value loss ratios must be >= 0",
        )
        _require(
            self.policy_loss_ratio + self.value_loss_ratio > 0,
            "policy and value loss ratios cannot both be 0",
        )
        _require(
            self.early_stopping_patience is None or self.early_stopping_patience >= 1,
            f"early stopping patience must be >= 1, got {self.early_stopping_patience}",
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stage"] = int(self.stage)
        return data


@dataclass
class StageResult:
    """What one stage achieved.

    Stages 1-2: `metric_name` is the gate metric, `achieved` its value at the epoch
    that met the threshold or, if none did, at the best epoch; `baseline` is the
    all-zero predictor's value. Stage 3: `metric_name` is "val_loss", `achieved` the
    best validation loss, `threshold`/`baseline`/`threshold_met` are None.
    Epoch numbers are 1-based.
    """

    stage: TrainingStage
    metric_name: str
    achieved: float
    threshold: float | None
    baseline: float | None
    final_loss: float
    epochs_trained: int
    best_epoch: int
    threshold_met: bool | None
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)
    checkpoints: dict[str, str] = field(default_factory=dict)

    @property
    def achieved_accuracy(self) -> float:
        """The seed's name for the achieved gate metric."""
        return self.achieved

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stage"] = int(self.stage)
        return data


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)
