"""`LearnConfig`: every setting of a curriculum run, validated in one place.

Field names are the `learn-model` option names with `_` for `-` (`stage1_batch_size`
is `--stage1-batch-size`), so the CLI maps arguments 1:1 and a notebook's
parameters cell gets the same one-line errors, each naming the option. Building
a `LearnConfig` checks values and that named paths exist; whether the tables are
readable, have the right columns and can be split is checked by the orchestrator
before the first stage starts.

Defaults and why:
- `arch` resnet, `preset` small: on a 2-core CPU the small resnet runs a Stage-1
  epoch in about a second and passes the Stage-1 gate; with the same settings the
  small mlp-mixer and vit stayed near the all-zero predictor for 10 epochs.
- `stage1_batch_size` 8 and `stage1_learning_rate` 3e-3 (not `--batch-size`): Stage 1
  is always the same 1,105 patterns, so it has its own defaults. Batch 8 gives 138
  optimizer steps per epoch; measured with the small resnet, AdamW and warmup +
  cosine, element-wise accuracy reached 0.99 in 6-8 epochs for each of 8 seeds.
  Batches of 32-128 left the network on the all-zero plateau (0.902) for too many
  epochs, and a batch of 4096 upstream gave one step per epoch.
- `stage1_pos_weight` 1.0: pos_weight 2 was no faster and one seed stalled.
- `batch_size` 256 (the seed's) applies to Stage 3 unless overridden.
- `stage2_batch_size` 64 and `stage2_learning_rate` 3e-3: on 55k training positions with
  mirror augmentation, 10 epochs of batch 256 / lr 1e-3 reached F1 0.87, batch 128 /
  2e-3 0.93, batch 64 / 2e-3 0.93-0.94 (batch 32 no better). On data_samples (73k
  positions) starting from the Stage-1 backbone, as the curriculum does, a fp32 sweep
  (GPU, same code) gave best F1 in 10 epochs: lr 1e-3 0.921, 2e-3 0.943 / 0.943 (2
  seeds, gate missed), 3e-3 0.951 / 0.952 / 0.951 (3 seeds, gate met at epoch 8 each);
  weight decay 0.1 or pos_weight 2 + weight decay 0.05 also passed, a hidden layer in
  the head (512, 1024) or ASL did not. A fresh backbone with lr 2e-3 reached 0.951.
- `streaming` True: Stages 2-3 read their table files one at a time per DataLoader
  worker (memory stays about one file whatever the corpus size); `--no-streaming`
  loads the whole split into memory. Stage 1 (1,105 rows) is always in memory.
- `stage2_mirror_augmentation` True: the training batches of Stage 2 have a random
  half of their rows reflected left-right (files x -> 8 - x; moves' LEFT/RIGHT swap),
  an exact symmetry of the rules (55k positions, batch 64: F1 0.94 with it, 0.91
  without, 10 epochs). `stage3_mirror_augmentation` True too: mirrored positions
  (rook and bishop on swapped sides) do not occur in real games, but on data_samples
  the validation top-1 on unmirrored positions went from 0.107 to 0.134 (legal-only
  0.131 -> 0.160) at epoch 7 with it: the policy generalises better.
- `value_head_dropout` 0.5 and `keep_best_weights` True: on 300 games the value head
  memorises games within two epochs (validation Brier above the training-mean
  predictor's from epoch 2 without dropout, below it with); Stage 3 ends with the
  weights of its best validation-loss epoch.
- `--optimizer`, `--learning-ratio`, `--gradient-accumulation-steps` and the loss
  ratios are Stage 3's; Stages 1-2 use AdamW at their own learning rates.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from maou_kit.train.stages import (
    MULTILABEL_LOSSES,
    MULTILABEL_METRICS,
    OPTIMIZERS,
    StageConfig,
    TrainingStage,
)

STAGE_CHOICES = ("1", "2", "3", "all")
DEVICE_CHOICES = ("auto", "cpu", "cuda")
CACHE_MODES = ("file", "memory")
DEFAULT_ARCH = "resnet"
DEFAULT_PRESET = "small"


@dataclass
class LearnConfig:
    stage: str = "all"
    stage1_data_path: Path | None = None  # None: generate the 1,105 patterns in memory
    stage2_data_path: Path | None = None
    stage3_data_path: Path | None = None
    model_dir: Path | None = None  # None: runs/<timestamp>
    resume_backbone_from: Path | None = None  # initialises the first stage of this run
    arch: str = DEFAULT_ARCH
    preset: str = DEFAULT_PRESET
    seed: int = 0
    device: str = "auto"
    batch_size: int = 256
    stage1_batch_size: int = 8
    stage2_batch_size: int | None = 64
    stage3_batch_size: int | None = None
    stage1_threshold: float = 0.99
    stage2_threshold: float = 0.95
    stage1_max_epochs: int = 10
    stage2_max_epochs: int = 10
    stage1_learning_rate: float = 3e-3
    stage2_learning_rate: float = 3e-3
    stage1_metric: str = "accuracy"
    stage2_metric: str = "f1"
    stage1_pos_weight: float = 1.0
    stage2_pos_weight: float = 1.0
    stage2_loss: str = "bce"
    stage2_gamma_pos: float = 0.0
    stage2_gamma_neg: float = 4.0
    stage2_clip: float = 0.05
    stage2_mirror_augmentation: bool = True  # reflect a random half of each training batch
    stage3_mirror_augmentation: bool = True
    epoch: int = 10  # Stage 3 epochs
    learning_ratio: float = 1e-3  # Stage 3 learning rate
    optimizer: str = "adamw"
    momentum: float = 0.9
    weight_decay: float = 0.05
    warmup_ratio: float = 0.05
    policy_loss_ratio: float = 1.0
    value_loss_ratio: float = 1.0
    legal_masked_policy_loss: bool = False
    early_stopping_patience: int | None = None
    value_head_dropout: float = 0.5  # Stage 3: dropout before the value head's output layer
    keep_best_weights: bool = True  # Stage 3 ends with its best-val-loss epoch's weights
    gradient_accumulation_steps: int = 1
    test_ratio: float = 0.2
    dataloader_workers: int = 0
    pin_memory: bool = False
    prefetch_factor: int | None = None
    streaming: bool = True  # stages 2-3: read table files lazily (stage 1 stays in memory)
    mixed_precision: bool = True
    cache_mode: str = "file"  # stage 3: file = read tables lazily, memory = load once
    compile: bool = False  # torch.compile the model (falls back to eager if it fails)
    resume: Path | None = None  # continue the interrupted run in this run directory

    def __post_init__(self) -> None:
        self.stage = str(self.stage)
        for name in ("stage1_data_path", "stage2_data_path", "stage3_data_path", "model_dir",
                     "resume_backbone_from", "resume"):  # fmt: skip
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, Path(value))
        if self.model_dir is None:
            self.model_dir = Path("runs") / datetime.now().strftime("%Y%m%d_%H%M%S")
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        import torch

        from maou_kit.model import ARCHITECTURES, PRESETS

        _choice(self, "stage", STAGE_CHOICES)
        _choice(self, "device", DEVICE_CHOICES)
        _choice(self, "arch", ARCHITECTURES)
        _choice(self, "preset", PRESETS)
        _choice(self, "stage1_metric", MULTILABEL_METRICS)
        _choice(self, "stage2_metric", MULTILABEL_METRICS)
        _choice(self, "stage2_loss", MULTILABEL_LOSSES)
        _choice(self, "optimizer", OPTIMIZERS)
        _choice(self, "cache_mode", CACHE_MODES)
        for name in ("batch_size", "stage1_batch_size", "stage2_batch_size", "stage3_batch_size",
                     "stage1_max_epochs", "stage2_max_epochs", "epoch",
                     "gradient_accumulation_steps", "early_stopping_patience", "prefetch_factor"):  # fmt: skip
            _at_least(self, name, 1)
        _at_least(self, "dataloader_workers", 0)
        for name in ("stage1_threshold", "stage2_threshold"):
            _check(self, name, 0 < getattr(self, name) <= 1, "must be in (0, 1]")
        for name in ("stage1_learning_rate", "stage2_learning_rate", "learning_ratio",
                     "stage1_pos_weight", "stage2_pos_weight"):  # fmt: skip
            value = getattr(self, name)
            _check(self, name, math.isfinite(value) and value > 0, "must be > 0")
        for name in ("stage2_gamma_pos", "stage2_gamma_neg", "weight_decay", "policy_loss_ratio",
                     "value_loss_ratio"):  # fmt: skip
            _check(self, name, getattr(self, name) >= 0, "must be >= 0")
        _check(self, "stage2_clip", 0 <= self.stage2_clip < 1, "must be in [0, 1)")
        _check(self, "value_head_dropout", 0 <= self.value_head_dropout < 1, "must be in [0, 1)")
        _check(self, "momentum", 0 <= self.momentum < 1, "must be in [0, 1)")
        _check(self, "warmup_ratio", 0 <= self.warmup_ratio < 1, "must be in [0, 1)")
        _check(self, "test_ratio", 0 < self.test_ratio < 1, "must be in (0, 1)")
        _check(
            self, "value_loss_ratio", self.policy_loss_ratio + self.value_loss_ratio > 0,
            "and --policy-loss-ratio cannot both be 0",
        )  # fmt: skip
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda: no CUDA device is available")
        required = {2: "stage2_data_path", 3: "stage3_data_path"}
        for stage in self.stages:
            name = required.get(int(stage))
            if name is not None and getattr(self, name) is None:
                raise ValueError(f"{_option(name)} is required to run stage {int(stage)}")
        for name in ("stage1_data_path", "stage2_data_path", "stage3_data_path",
                     "resume_backbone_from"):  # fmt: skip
            path = getattr(self, name)
            if path is not None and not path.exists():
                raise FileNotFoundError(f"{_option(name)} {path}: no such file or directory")
        if self.resume_backbone_from is not None and not self.resume_backbone_from.is_file():
            raise ValueError(f"--resume-backbone-from {self.resume_backbone_from}: not a file")

    # ------------------------------------------------------------------ derived settings
    @property
    def stages(self) -> tuple[TrainingStage, ...]:
        if self.stage == "all":
            return tuple(TrainingStage)
        return (TrainingStage(int(self.stage)),)

    def stage_config(self, stage: TrainingStage) -> StageConfig:
        """The resolved `StageConfig` of one stage."""
        common: dict[str, Any] = {
            "weight_decay": self.weight_decay,
            "warmup_ratio": self.warmup_ratio,
            "mixed_precision": self.mixed_precision,
            "compile": self.compile,
        }
        if stage is TrainingStage.REACHABLE_SQUARES:
            return StageConfig(
                stage=stage,
                batch_size=self.stage1_batch_size,
                max_epochs=self.stage1_max_epochs,
                learning_rate=self.stage1_learning_rate,
                threshold=self.stage1_threshold,
                metric=self.stage1_metric,
                loss="bce",
                pos_weight=self.stage1_pos_weight,
                **common,
            )
        if stage is TrainingStage.LEGAL_MOVES:
            return StageConfig(
                stage=stage,
                batch_size=self.stage2_batch_size or self.batch_size,
                max_epochs=self.stage2_max_epochs,
                learning_rate=self.stage2_learning_rate,
                threshold=self.stage2_threshold,
                metric=self.stage2_metric,
                loss=self.stage2_loss,
                pos_weight=self.stage2_pos_weight,
                gamma_pos=self.stage2_gamma_pos,
                gamma_neg=self.stage2_gamma_neg,
                clip=self.stage2_clip,
                **common,
            )
        return StageConfig(
            stage=TrainingStage.POLICY_VALUE,
            batch_size=self.stage3_batch_size or self.batch_size,
            max_epochs=self.epoch,
            learning_rate=self.learning_ratio,
            optimizer=self.optimizer,
            momentum=self.momentum,
            gradient_accumulation_steps=self.gradient_accumulation_steps,
            policy_loss_ratio=self.policy_loss_ratio,
            value_loss_ratio=self.value_loss_ratio,
            legal_masked_policy_loss=self.legal_masked_policy_loss,
            early_stopping_patience=self.early_stopping_patience,
            keep_best_weights=self.keep_best_weights,
            **common,
        )

    def to_dict(self) -> dict[str, Any]:
        """Every setting, JSON-ready, plus the resolved per-stage configs."""
        data = {
            key: str(value) if isinstance(value, Path) else value
            for key, value in asdict(self).items()
        }
        data["stage_configs"] = {int(s): self.stage_config(s).to_dict() for s in self.stages}
        return data

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in fields(cls))


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _check(config: LearnConfig, name: str, condition: bool, requirement: str) -> None:
    if not condition:
        raise ValueError(f"{_option(name)} {requirement}, got {getattr(config, name)!r}")


_OPTIONAL_INTEGERS = frozenset(
    {"stage2_batch_size", "stage3_batch_size", "early_stopping_patience", "prefetch_factor"}
)


def _at_least(config: LearnConfig, name: str, minimum: int) -> None:
    value = getattr(config, name)
    if value is None and name in _OPTIONAL_INTEGERS:
        return
    is_integer = isinstance(value, int) and not isinstance(value, bool)
    _check(config, name, is_integer and value >= minimum, f"must be an integer >= {minimum}")


def _choice(config: LearnConfig, name: str, choices: tuple[str, ...] | list[str]) -> None:
    _check(config, name, getattr(config, name) in choices, f"must be one of {', '.join(choices)}")
