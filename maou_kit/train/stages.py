"""The curriculum's vocabulary: which stage, how to train it, and what came out.

`StageConfig` holds plain settings (numbers and names, JSON-serialisable) so it
can be written to `config.json` and built from a notebook's parameters cell; the
loops receive their DataLoaders separately. `StageResult` is what a stage
reports: the gate metric it achieved (or, for Stage 3, the best validation
loss), the all-zero baseline of that metric, epochs, timings and checkpoints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import IntEnum
from typing import Any

from maou_kit.train.settings import (  # re-exported: the names other modules import from here
    MULTILABEL_LOSSES,
    MULTILABEL_METRICS,
    OPTIMIZERS,
    stage_field_setting,
)

__all__ = [
    "MULTILABEL_LOSSES", "MULTILABEL_METRICS", "OPTIMIZERS", "StageConfig", "StageResult",
    "TrainingStage",
]  # fmt: skip


class TrainingStage(IntEnum):
    REACHABLE_SQUARES = 1
    LEGAL_MOVES = 2
    POLICY_VALUE = 3


def _declared(stage_field: str) -> Any:
    """The declared default of a StageConfig field (`maou_kit.train.settings`)."""
    setting = stage_field_setting(stage_field)
    assert setting is not None, stage_field
    return setting.default


@dataclass(frozen=True)
class StageConfig:
    """How one stage trains. Fields marked (1-2) or (3) only matter for those stages.

    Defaults and ranges are the declaration's (`maou_kit.train.settings`: each field
    is filled by the setting whose `stage_field` names it); only the fields no
    option sets (gradient clipping, the non-finite step limit) are defined here.
    Schedules are counted in optimizer steps: one step per
    `gradient_accumulation_steps` micro-batches. `max_epochs` is the gate budget for
    Stages 1-2 and the number of epochs for Stage 3.
    """

    stage: TrainingStage
    batch_size: int
    max_epochs: int
    learning_rate: float
    threshold: float | None = None  # (1-2) gate: stop once the metric reaches it
    metric: str = _declared("metric")  # (1-2) gate metric, one of MULTILABEL_METRICS
    loss: str = _declared("loss")  # (1-2) "bce" (BCE-with-logits, pos_weight) or "asl"
    pos_weight: float = _declared("pos_weight")  # (1-2) BCE weight of positive cells
    gamma_pos: float = _declared("gamma_pos")  # (1-2) ASL focusing exponent of positives
    gamma_neg: float = _declared("gamma_neg")  # (1-2) ASL focusing exponent of negatives
    clip: float = _declared("clip")  # (1-2) ASL probability margin shifted off easy negatives
    optimizer: str = _declared("optimizer")
    momentum: float = _declared("momentum")  # SGD only
    weight_decay: float = _declared("weight_decay")  # never on biases or norm weights
    warmup_ratio: float = _declared("warmup_ratio")  # share of steps in linear warmup
    gradient_accumulation_steps: int = _declared("gradient_accumulation_steps")
    grad_clip_norm: float | None = 1.0
    mixed_precision: bool = _declared("mixed_precision")  # autocast on CUDA only
    compile: bool = _declared("compile")  # torch.compile, eager if compiling fails
    max_consecutive_nonfinite: int = 5  # non-finite steps in a row before giving up
    policy_loss_ratio: float = _declared("policy_loss_ratio")  # (3)
    value_loss_ratio: float = _declared("value_loss_ratio")  # (3)
    legal_masked_policy_loss: bool = _declared("legal_masked_policy_loss")  # (3)
    early_stopping_patience: int | None = _declared("early_stopping_patience")  # (3)
    keep_best_weights: bool = _declared("keep_best_weights")  # (3) end with best epoch's
    # Under torchrun: True = `batch_size` is the global batch, split between processes
    # (the stage's measured default); False = per process (`maou_kit.data.loader`).
    global_batch: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage", TrainingStage(self.stage))
        stage = int(self.stage)
        for item in fields(self):
            setting = stage_field_setting(item.name, stage)
            if setting is None or (item.name == "threshold" and stage == 3):
                continue  # Stage 3 has no gate
            # None only where this class allows it (patience); a stage needs its batch size.
            allow_none = item.default is None and item.name != "threshold"
            setting.validate(getattr(self, item.name), f"stage {stage} {item.name}", allow_none)
        _require(
            self.grad_clip_norm is None or self.grad_clip_norm > 0,
            f"gradient clip norm must be > 0 or None, got {self.grad_clip_norm}",
        )
        _require(
            self.max_consecutive_nonfinite >= 1,
            f"max consecutive non-finite steps must be >= 1, got {self.max_consecutive_nonfinite}",
        )
        _require(
            self.policy_loss_ratio + self.value_loss_ratio > 0,
            "policy and value loss ratios cannot both be 0",
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
    batch_size: int | None = None  # the batch size the stage trained at (global under torchrun)
    weights_epoch: int | None = None  # the epoch whose weights the stage's checkpoint holds
    stopped_by: str = ""  # the stop rule that ended the stage ("gate reached", ...)

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
