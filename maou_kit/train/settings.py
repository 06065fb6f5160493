"""Every setting of a curriculum run, declared once: type, default, range, help, stage.

This table is the single source the rest derives from:
- `LearnConfig` (`maou_kit.train.config`): its fields, defaults and range checks;
- `StageConfig` (`maou_kit.train.stages`): the defaults and range checks of the
  per-stage fields (`stage_field` says which `LearnConfig` setting fills which);
- the `learn-model` options and their `--help` text (`maou_kit.cli.learn_model`);
- the notebooks' parameter types, smoke-mode caps and the stage widgets' bounds
  (`maou_kit.viz`).
A new knob is one entry here (plus the code that uses it). Settings are grouped by
the stage they belong to; run-wide ones come first.

Batch size: `batch_size` (upstream's `--batch-size`) applies to every stage whose
own `stageN_batch_size` is None. Each stage's own option defaults to its measured
batch size (8, 64, and None for Stage 3, which takes `batch_size`'s 256). When the
user GIVES `--batch-size` (or changes a notebook's `BATCH_SIZE`), the stage
options that were not given are cleared (`apply_given_batch_size`), so the given
value reaches every stage. Under torchrun every batch size is the global batch:
each of W processes takes batch/W rows (see `maou_kit.data.loader`).

Measured defaults and why they are what they are: see `maou_kit.train.config`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

STAGE_CHOICES = ("1", "2", "3", "all")
DEVICE_CHOICES = ("auto", "cpu", "cuda")
CACHE_MODES = ("file", "memory")
MULTILABEL_METRICS = ("accuracy", "f1", "exact_match")
MULTILABEL_LOSSES = ("bce", "asl")
OPTIMIZERS = ("adamw", "sgd")


def _architectures() -> tuple[str, ...]:
    from maou_kit.model import ARCHITECTURES  # torch import: only when checking a value

    return tuple(ARCHITECTURES)


def _presets() -> tuple[str, ...]:
    from maou_kit.model import PRESETS

    return tuple(PRESETS)


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class Range:
    """Allowed numbers: bounds (open or closed), optionally integers only."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False

    def holds(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.integer and not isinstance(value, int):
            return False
        if not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def text(self, light: bool = False) -> str:
        """`in (0, 1]`, `> 0`, `an integer >= 1`: what the error messages and --help say."""
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"in {left}{_number(self.low)}, {_number(self.high)}{right}"
        bound = (
            f"{'>' if self.low_open else '>='} {_number(self.low)}"
            if self.low is not None
            else f"{'<' if self.high_open else '<='} {_number(self.high or 0)}"
        )
        return f"an integer {bound}" if self.integer else bound


@dataclass(frozen=True)
class Choices:
    """Allowed names: a tuple, or a function giving one where importing it is heavy (the
    model's architectures: torch). `shown` is what --help lists without that import; a
    test checks it against the function."""

    values: tuple[str, ...] | Callable[[], tuple[str, ...]]
    shown: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return self.values() if callable(self.values) else self.values

    def holds(self, value: Any) -> bool:
        return value in self.names()

    def text(self, light: bool = False) -> str:
        names = self.shown if light and callable(self.values) else self.names()
        return f"one of {', '.join(names)}"


@dataclass(frozen=True)
class Smoke:
    """What smoke mode does to a setting: cap it at `value`, or set it to `value`."""

    value: Any
    cap: bool = True


POSITIVE = Range(0, low_open=True)
NON_NEGATIVE = Range(0)
AT_LEAST_ONE = Range(1, integer=True)
UNIT_OPEN_RIGHT = Range(0, 1, high_open=True)  # [0, 1)
GATE = Range(0, 1, low_open=True)  # (0, 1]


@dataclass(frozen=True)
class Setting:
    """One setting: `name` is the `LearnConfig` field and, dashed, the `learn-model` option."""

    name: str
    kind: type  # int, float, str, bool or Path
    default: Any
    help: str
    stage: int | None = None  # the stage it belongs to; None: the whole run
    check: Range | Choices | None = None
    optional: bool = False  # None is allowed (and means what the help says)
    stage_field: str | None = None  # the StageConfig field it fills
    flag: str | None = None  # bool settings: the command-line switch that flips the default
    smoke: Smoke | None = None

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def annotation(self) -> Any:
        return self.kind | None if self.optional or self.default is None else self.kind

    def problem(self, value: Any, allow_none: bool | None = None) -> str | None:
        """What is wrong with `value` ("must be ..."), or None when it is allowed.

        None is allowed when the setting is optional (or defaults to None), unless
        `allow_none` says otherwise."""
        if allow_none is None:
            allow_none = self.optional or self.default is None
        if value is None and allow_none:
            return None
        if self.check is not None and not self.check.holds(value):
            return f"must be {self.check.text()}"
        return None

    def validate(self, value: Any, name: str | None = None, allow_none: bool | None = None) -> None:
        """ValueError `--option must be ..., got value` (or under `name`) when not allowed."""
        problem = self.problem(value, allow_none)
        if problem is not None:
            raise ValueError(f"{name or self.option} {problem}, got {value!r}")

    def help_text(self) -> str:
        """The option's --help line: what it does, its default and its range."""
        shown = "" if self.default is None else f"default: {self.default}"
        if self.kind is bool:
            shown = "default: on" if self.default else "default: off"
        if self.check is not None:
            allowed = self.check.text(light=True)
            shown = f"{shown}; {allowed}" if shown else allowed
        return f"{self.help} ({shown})" if shown else self.help


S = Setting

RUN_SETTINGS: tuple[Setting, ...] = (
    S("stage", str, "all", "stages to run", check=Choices(STAGE_CHOICES)),
    S("model_dir", Path, None,
      "run directory for config/metrics/result/checkpoints (not given: runs/<timestamp>)"),
    S("resume_backbone_from", Path, None,
      "backbone checkpoint the first stage starts from: a maou_kit backbone, head-less "
      "stage-3 file, or a raw backbone state_dict (upstream's format)"),
    S("arch", str, "resnet", "backbone architecture", check=Choices(_architectures, ("resnet", "mlp-mixer", "vit"))),
    S("preset", str, "small", "backbone size", check=Choices(_presets, ("tiny", "small", "large")),
      smoke=Smoke("tiny", cap=False)),
    S("seed", int, 0, "seed for python/numpy/torch, shuffling and file splits"),
    S("device", str, "auto", "where to train", check=Choices(DEVICE_CHOICES)),
    S("batch_size", int, 256,
      "batch size of EVERY stage whose own --stageN-batch-size is not given; when "
      "--batch-size itself is not given, each stage uses its own measured default "
      "({stage_defaults}); under torchrun the global batch, split between the processes",
      check=AT_LEAST_ONE, smoke=Smoke(32)),
    S("weight_decay", float, 0.05, "AdamW/SGD weight decay of every stage (never on biases or "
      "norm weights)", check=NON_NEGATIVE, stage_field="weight_decay"),
    S("warmup_ratio", float, 0.05, "share of each stage's optimizer steps in linear warmup "
      "before cosine decay", check=UNIT_OPEN_RIGHT, stage_field="warmup_ratio"),
    S("test_ratio", float, 0.2, "share held out for validation when a stage 2-3 data path "
      "has no train*/val* files: of the files of a folder, else of one file's games (gameId "
      "column) or rows, split with --seed; 0 = everything in training (stage 2 then "
      "judges its gate on the training data, as stage 1 always does; stage 3 refuses 0)",
      check=UNIT_OPEN_RIGHT),
    S("dataloader_workers", int, 0, "DataLoader worker processes (0: load in the main process)",
      check=Range(0, integer=True), smoke=Smoke(0, cap=False)),
    S("pin_memory", bool, False, "pin host memory for faster copies to the GPU",
      flag="--pin-memory"),
    S("prefetch_factor", int, None, "batches each worker loads ahead (workers > 0 only; "
      "not given: torch's 2)", check=AT_LEAST_ONE),
    S("streaming", bool, True, "stages 2-3 read table files one at a time (off: load whole "
      "splits into memory)", flag="--no-streaming"),
    S("mixed_precision", bool, True, "bf16/fp16 autocast on CUDA (CPU is always fp32)",
      flag="--no-mixed-precision", stage_field="mixed_precision"),
    S("cache_mode", str, "file", "stage 3: file (read tables lazily) or memory (load once); "
      "stages 1-2 ignore it", check=Choices(CACHE_MODES)),
    S("compile", bool, False, "torch.compile the model (falls back to eager on failure)",
      flag="--compile", stage_field="compile"),
    S("tensorboard", bool, True, "every per-epoch figure also as TensorBoard scalars in "
      "RUN_DIR/tensorboard/stageN (when the optional tensorboard package is installed: "
      "pip install -e '.[tensorboard]')", flag="--no-tensorboard"),
    S("resume", Path, None, "continue the interrupted run in this run directory from its last "
      "checkpoint, with the settings saved in its config.json (no other option may be given)"),
)  # fmt: skip

STAGE1_SETTINGS: tuple[Setting, ...] = (
    S("stage1_data_path", Path, None, "stage-1 table file or directory (not given: generate the "
      "1,105 patterns)", stage=1),
    S("stage1_batch_size", int, 8, "stage-1 batch size (measured: the stage has only 1,105 "
      "rows); --batch-size, when given, replaces this default", stage=1, check=AT_LEAST_ONE,
      optional=True, stage_field="batch_size", smoke=Smoke(32)),
    S("stage1_threshold", float, 0.99, "stage-1 gate: metric to reach", stage=1, check=GATE,
      stage_field="threshold", smoke=Smoke(0.5, cap=False)),
    S("stage1_max_epochs", int, 10, "stage-1 epoch budget", stage=1, check=AT_LEAST_ONE,
      stage_field="max_epochs", smoke=Smoke(2)),
    S("stage1_learning_rate", float, 3e-3, "stage-1 AdamW peak learning rate", stage=1,
      check=POSITIVE, stage_field="learning_rate"),
    S("stage1_metric", str, "accuracy", "stage-1 gate metric", stage=1,
      check=Choices(MULTILABEL_METRICS), stage_field="metric",
      smoke=Smoke("accuracy", cap=False)),
    S("stage1_pos_weight", float, 1.0, "stage-1 BCE weight of positive squares", stage=1,
      check=POSITIVE, stage_field="pos_weight"),
)  # fmt: skip

STAGE2_SETTINGS: tuple[Setting, ...] = (
    S("stage2_data_path", Path, None, "stage-2 data: a dir with train*/val* tables, or tables "
      "split by file", stage=2),
    S("stage2_batch_size", int, 64, "stage-2 batch size (measured); --batch-size, when given, "
      "replaces this default", stage=2, check=AT_LEAST_ONE, optional=True,
      stage_field="batch_size", smoke=Smoke(32)),
    S("stage2_threshold", float, 0.95, "stage-2 gate: metric to reach", stage=2, check=GATE,
      stage_field="threshold", smoke=Smoke(0.5, cap=False)),
    S("stage2_max_epochs", int, 10, "stage-2 epoch budget", stage=2, check=AT_LEAST_ONE,
      stage_field="max_epochs", smoke=Smoke(2)),
    S("stage2_learning_rate", float, 3e-3, "stage-2 AdamW peak learning rate", stage=2,
      check=POSITIVE, stage_field="learning_rate"),
    S("stage2_metric", str, "f1", "stage-2 gate metric", stage=2,
      check=Choices(MULTILABEL_METRICS), stage_field="metric",
      smoke=Smoke("accuracy", cap=False)),
    S("stage2_pos_weight", float, 1.0, "stage-2 BCE weight of legal moves", stage=2,
      check=POSITIVE, stage_field="pos_weight"),
    S("stage2_loss", str, "bce", "stage-2 loss: bce, or asl (Asymmetric Loss)", stage=2,
      check=Choices(MULTILABEL_LOSSES), stage_field="loss"),
    S("stage2_gamma_pos", float, 0.0, "ASL focusing exponent for positives", stage=2,
      check=NON_NEGATIVE, stage_field="gamma_pos"),
    S("stage2_gamma_neg", float, 4.0, "ASL focusing exponent for negatives", stage=2,
      check=NON_NEGATIVE, stage_field="gamma_neg"),
    S("stage2_clip", float, 0.05, "ASL probability margin for negatives", stage=2,
      check=UNIT_OPEN_RIGHT, stage_field="clip"),
    S("stage2_mirror_augmentation", bool, True, "stage 2: reflect a random half of each "
      "training batch left-right", stage=2, flag="--no-stage2-mirror-augmentation"),
)  # fmt: skip

STAGE3_SETTINGS: tuple[Setting, ...] = (
    S("stage3_data_path", Path, None, "stage-3 data: a dir with train*/val* tables, or tables "
      "split by file", stage=3),
    S("stage3_batch_size", int, None, "stage-3 batch size (not given: --batch-size)", stage=3,
      check=AT_LEAST_ONE, optional=True, stage_field="batch_size", smoke=Smoke(32)),
    S("epoch", int, 10, "stage-3 epochs", stage=3, check=AT_LEAST_ONE, stage_field="max_epochs",
      smoke=Smoke(2)),
    S("learning_ratio", float, 1e-3, "stage-3 peak learning rate", stage=3, check=POSITIVE,
      stage_field="learning_rate"),
    S("optimizer", str, "adamw", "stage-3 optimizer", stage=3, check=Choices(OPTIMIZERS),
      stage_field="optimizer"),
    S("momentum", float, 0.9, "SGD momentum", stage=3, check=UNIT_OPEN_RIGHT,
      stage_field="momentum"),
    S("value_head_dropout", float, 0.5, "stage-3 dropout before the value head's output",
      stage=3, check=UNIT_OPEN_RIGHT),
    S("policy_loss_ratio", float, 1.0, "stage-3 weight of the policy loss", stage=3,
      check=NON_NEGATIVE, stage_field="policy_loss_ratio"),
    S("value_loss_ratio", float, 1.0, "stage-3 weight of the value loss", stage=3,
      check=NON_NEGATIVE, stage_field="value_loss_ratio"),
    S("legal_masked_policy_loss", bool, False, "stage 3: softmax over legal moves only",
      stage=3, flag="--legal-masked-policy-loss", stage_field="legal_masked_policy_loss"),
    S("early_stopping_patience", int, 2, "stage 3: stop after this many epochs without "
      "val-loss gain (0: never; the checkpoint keeps the best epoch's weights, see "
      "--keep-last-weights)", stage=3, check=Range(0, integer=True),
      stage_field="early_stopping_patience"),
    S("gradient_accumulation_steps", int, 1, "stage-3 micro-batches per optimizer step",
      stage=3, check=AT_LEAST_ONE, stage_field="gradient_accumulation_steps"),
    S("keep_best_weights", bool, True, "stage 3: end with the best validation-loss epoch's "
      "weights (switch: keep the last epoch's)", stage=3, flag="--keep-last-weights",
      stage_field="keep_best_weights"),
    S("stage3_mirror_augmentation", bool, True, "stage 3: reflect a random half of each "
      "training batch left-right", stage=3, flag="--no-stage3-mirror-augmentation"),
)  # fmt: skip

SETTINGS: dict[str, Setting] = {
    setting.name: setting
    for setting in (*RUN_SETTINGS, *STAGE1_SETTINGS, *STAGE2_SETTINGS, *STAGE3_SETTINGS)
}
# --batch-size's help lists the stages' own defaults, read from their entries.
_STAGE_BATCH_DEFAULTS = ", ".join(
    f"stage {n}: {SETTINGS[f'stage{n}_batch_size'].default or SETTINGS['batch_size'].default}"
    for n in (1, 2, 3)
)
SETTINGS["batch_size"] = replace(
    SETTINGS["batch_size"],
    help=SETTINGS["batch_size"].help.format(stage_defaults=_STAGE_BATCH_DEFAULTS),
)
STAGE_SETTINGS: dict[int, tuple[Setting, ...]] = {
    1: STAGE1_SETTINGS,
    2: STAGE2_SETTINGS,
    3: STAGE3_SETTINGS,
}
PATH_SETTINGS = tuple(name for name, setting in SETTINGS.items() if setting.kind is Path)
BATCH_SIZE_SETTINGS = ("stage1_batch_size", "stage2_batch_size", "stage3_batch_size")


def stage_field_setting(stage_field: str, stage: int | None = None) -> Setting | None:
    """The setting behind a `StageConfig` field: the stage's own, else the run-wide one,
    else the first stage's that has it (for defaults and ranges shared by the stages)."""
    candidates = [s for s in SETTINGS.values() if s.stage_field == stage_field]
    for wanted in (stage, None):
        for setting in candidates:
            if setting.stage == wanted:
                return setting
    return candidates[0] if candidates else None


def stage_batch_size(values: Any, stage: int) -> int:
    """The batch size stage `stage` trains at: its own option, else `batch_size`."""
    own = getattr(values, f"stage{stage}_batch_size")
    return own if own is not None else values.batch_size


def measured_batch_size(stage: int) -> int:
    """Stage `stage`'s measured default batch size (Stage 3's is `batch_size`'s)."""
    own = SETTINGS[f"stage{stage}_batch_size"].default
    return own if own is not None else SETTINGS["batch_size"].default


def is_global_batch(values: Any, stage: int) -> bool:
    """Under torchrun, is the stage's batch size the global batch? Yes when it is the
    stage's measured default (the gates were measured with it in one process), so the
    default curriculum trains alike on any number of processes; a batch size set to
    anything else is per process, as in upstream and plain DDP. (As in the notebooks,
    a value equal to the default counts as the default.)"""
    return stage_batch_size(values, stage) == measured_batch_size(stage)


def apply_given_batch_size(values: dict[str, Any], given: Iterable[str]) -> dict[str, Any]:
    """`values` with the batch-size flow applied: a GIVEN `batch_size` replaces the default of
    every stage option that was not given itself (stage options given keep their value)."""
    given = set(given)
    if "batch_size" not in given:
        return values
    resolved = dict(values)
    for name in BATCH_SIZE_SETTINGS:
        if name not in given:
            resolved[name] = None
    return resolved
