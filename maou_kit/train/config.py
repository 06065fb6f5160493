"""`LearnConfig`: every setting of a curriculum run, validated in one place.

The fields, their defaults and their ranges are generated from the declaration in
`maou_kit.train.settings` (one entry per setting); this module adds the checks
that span settings (paths, required data, the device) and the per-stage
`StageConfig`s. Field names are the `learn-model` option names with `_` for `-`
(`stage1_batch_size` is `--stage1-batch-size`), so the CLI maps arguments 1:1 and a
notebook's parameters cell gets the same one-line errors, each naming the option.
Building a `LearnConfig` checks values and that named paths exist; whether the tables are
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
- `batch_size` 256 (the seed's) is Stage 3's batch size, and every stage's when it is
  given (`maou_kit.train.settings.apply_given_batch_size`).
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
- `early_stopping_patience` 2: on data_samples the best validation epoch of Stage 3
  was 2 of 10 (from the Stage 2 backbone) and 6 of 10 (from scratch); the epochs
  after it only trained into overfitting (~20 s each). Two epochs without a gain
  stop it; on a larger corpus, where validation loss keeps falling, the whole
  `--epoch` budget runs. `--early-stopping-patience 0` trains every epoch.
- `weight_decay` 0.05 for every stage: the Stage-2 sweep above ran with it (0.05 and
  0.1 both passed); StageConfig used to default to 0.01, now it reads this one.
- `--optimizer`, `--learning-ratio`, `--gradient-accumulation-steps` and the loss
  ratios are Stage 3's; Stages 1-2 use AdamW at their own learning rates.
"""

from __future__ import annotations

from dataclasses import asdict, field, fields, make_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from maou_kit.train.settings import (
    PATH_SETTINGS,
    SETTINGS,
    is_global_batch,
    stage_batch_size,
)
from maou_kit.train.stages import StageConfig, TrainingStage

_REQUIRED_DATA = {2: "stage2_data_path", 3: "stage3_data_path"}
_INPUT_PATHS = ("stage1_data_path", "stage2_data_path", "stage3_data_path", "resume_backbone_from")


class _LearnConfigMethods:
    """Behaviour of `LearnConfig`; its fields come from `SETTINGS` (see `make_dataclass` below)."""

    def __post_init__(self) -> None:
        self.stage = str(self.stage)
        for name in PATH_SETTINGS:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, Path(value))
        if self.model_dir is None:
            self.model_dir = Path("runs") / datetime.now().strftime("%Y%m%d_%H%M%S")
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        import torch

        for name, setting in SETTINGS.items():  # every range check is the declaration's
            setting.validate(getattr(self, name))
        if self.policy_loss_ratio + self.value_loss_ratio <= 0:
            raise ValueError(
                "--value-loss-ratio and --policy-loss-ratio cannot both be 0, got "
                f"{self.value_loss_ratio!r}"
            )
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda: no CUDA device is available")
        for stage in self.stages:
            name = _REQUIRED_DATA.get(int(stage))
            if name is not None and getattr(self, name) is None:
                raise ValueError(f"{_option(name)} is required to run stage {int(stage)}")
        for name in _INPUT_PATHS:
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
        """The resolved `StageConfig` of one stage: every setting of that stage (and every
        run-wide one) that names a `StageConfig` field fills it."""
        stage = TrainingStage(stage)
        values: dict[str, Any] = {
            setting.stage_field: getattr(self, name)
            for name, setting in SETTINGS.items()
            if setting.stage_field is not None and setting.stage in (None, int(stage))
        }
        values["batch_size"] = stage_batch_size(self, int(stage))
        values["global_batch"] = is_global_batch(self, int(stage))
        return StageConfig(stage=stage, **values)

    def to_dict(self) -> dict[str, Any]:
        """Every setting, JSON-ready, plus the resolved per-stage configs (with the batch size
        each stage actually trains at)."""
        data = {
            key: str(value) if isinstance(value, Path) else value
            for key, value in asdict(self).items()  # type: ignore[call-overload]
        }
        data["stage_configs"] = {int(s): self.stage_config(s).to_dict() for s in self.stages}
        return data

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(item.name for item in fields(cls))  # type: ignore[arg-type]


LearnConfig: Any = make_dataclass(
    "LearnConfig",
    [(name, s.annotation, field(default=s.default)) for name, s in SETTINGS.items()],
    bases=(_LearnConfigMethods,),
    namespace={"__module__": __name__, "__doc__": "Every setting of a curriculum run (SETTINGS)."},
)


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")
