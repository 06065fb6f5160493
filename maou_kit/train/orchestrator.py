"""Runs the chosen stages in order on one backbone, and leaves a run directory behind.

Order of work in `run()`:
1. `validate()`: every chosen stage's inputs are resolved and schema-checked, and
   the backbone checkpoint the first stage would start from is read, BEFORE
   anything trains or any file is written.
2. Seed everything, write `config.json`, build the backbone (`--arch`, `--preset`).
3. Per stage: the first stage starts from `resume_backbone_from`, else from the
   newest earlier-stage backbone in the model dir, else from scratch; every later
   stage loads the newest earlier-stage backbone (so Stage 3 starts from exactly
   the saved Stage-2 weights) and gets a fresh head.
4. Stages 1-2 save `stage{n}_backbone_{ts}.pt` and their head after meeting the
   gate; a missed gate writes `result.json` and raises `StageGateError`. Stage 3
   writes `stage3_policy_value_{ts}.pt` after every epoch.
Per-epoch metrics go to `metrics.jsonl` and to the optional `on_epoch_end` hook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from maou_kit.data.loader import DataLoaderFactory
from maou_kit.data.stage_inputs import StageInputs, check_stage_inputs, load_stage_datasets
from maou_kit.train.checkpoints import (
    backbone_path,
    head_path,
    load_backbone_weights,
    load_checkpoint,
    new_timestamp,
    newest_backbone,
    save_checkpoint,
    stage3_path,
)
from maou_kit.train.config import LearnConfig
from maou_kit.train.models import MultiLabelModel, PolicyValueModel
from maou_kit.train.policy_value import TrainingLoop
from maou_kit.train.run_files import RunFiles
from maou_kit.train.seeding import seed_everything
from maou_kit.train.single_stage import SingleStageTrainingLoop
from maou_kit.train.stages import StageResult, TrainingStage
from maou_kit.train.training_parts import EpochCallback, resolve_device

GATE_HINT_OPTIONS = ("max-epochs", "threshold", "learning-rate", "batch-size")


class StageGateError(RuntimeError):
    """A stage with a gate (1 or 2) finished its epochs without reaching its threshold."""

    def __init__(self, result: StageResult) -> None:
        self.result = result
        super().__init__(gate_failure_message(result))


def gate_failure_message(result: StageResult) -> str:
    """Achieved vs required, share of target reached, the baseline, and the options to change."""
    stage = int(result.stage)
    threshold = result.threshold or float("nan")
    options = [f"--stage{stage}-{name}" for name in GATE_HINT_OPTIONS]
    return (
        f"Stage {stage} failed to meet its {result.metric_name} threshold after "
        f"{result.epochs_trained} epochs.\n"
        f"  achieved: {result.achieved:.2%} (best epoch {result.best_epoch}) / required: "
        f"{threshold:.2%} (reached {result.achieved / threshold:.1%} of target; "
        f"all-zero baseline {result.baseline:.2%})\n"
        f"  Hint: try increasing {options[0]}, lowering {options[1]}, "
        f"adjusting {options[2]} or changing {options[3]}"
    )


class MultiStageTrainingOrchestrator:
    """The curriculum driver behind `maou-kit learn-model` and the curriculum notebook."""

    def __init__(self, config: LearnConfig, on_epoch_end: EpochCallback | None = None) -> None:
        self.config = config
        self.on_epoch_end = on_epoch_end
        self.model_dir = Path(config.model_dir)
        self.files = RunFiles(self.model_dir)
        self.device = resolve_device(config.device)
        self.loaders = DataLoaderFactory(
            seed=config.seed,
            num_workers=config.dataloader_workers,
            pin_memory=config.pin_memory,
            prefetch_factor=config.prefetch_factor,
        )
        self.results: dict[TrainingStage, StageResult] = {}
        self.backbone_sources: dict[int, str | None] = {}
        self._earlier_results: dict[str, Any] = {}

    # ------------------------------------------------------------------ checks
    def validate(self) -> dict[TrainingStage, StageInputs]:
        """Check every chosen stage's inputs and the starting backbone; writes nothing."""
        config = self.config
        paths = {1: config.stage1_data_path, 2: config.stage2_data_path, 3: config.stage3_data_path}
        inputs = {
            stage: check_stage_inputs(int(stage), paths[int(stage)], config.test_ratio, config.seed)
            for stage in config.stages
        }
        start = self._starting_backbone(config.stages[0])
        if start is not None:
            load_backbone_weights(self._build_backbone(), start)  # fails now, not mid-run
        return inputs

    def _starting_backbone(self, first_stage: TrainingStage) -> Path | None:
        if self.config.resume_backbone_from is not None:
            return self.config.resume_backbone_from
        return newest_backbone(self.model_dir, range(1, int(first_stage)))

    def _build_backbone(self) -> nn.Module:
        from maou_kit.model import build_backbone

        return build_backbone(self.config.arch, self.config.preset)

    # ------------------------------------------------------------------ run
    def run(self) -> dict[TrainingStage, StageResult]:
        inputs = self.validate()
        config = self.config
        self._earlier_results = self.files.read_result_stages()
        seed_everything(config.seed)
        self.files.write_config(
            {
                **config.to_dict(),
                "resolved_device": str(self.device),
                "inputs": {int(s): i.describe() for s, i in inputs.items()},
            }
        )
        backbone = self._build_backbone()
        start = self._starting_backbone(config.stages[0])
        for index, stage in enumerate(config.stages):
            if index > 0:
                start = newest_backbone(self.model_dir, range(1, int(stage)))
            if start is not None:
                load_backbone_weights(backbone, start)
            self.backbone_sources[int(stage)] = str(start) if start is not None else None
            if stage is TrainingStage.POLICY_VALUE:
                result = self._run_policy_value(backbone, inputs[stage])
            else:
                result = self._run_gated_stage(stage, backbone, inputs[stage])
            self.results[stage] = result
            failed = result.threshold_met is False
            self._write_result("gate_failed" if failed else "running")
            if failed:
                raise StageGateError(result)
        self._write_result("completed")
        return dict(self.results)

    def _run_gated_stage(
        self, stage: TrainingStage, backbone: nn.Module, inputs: StageInputs
    ) -> StageResult:
        from maou_kit.model import LegalMovesHead, ReachableSquaresHead

        stage_config = self.config.stage_config(stage)
        train_set, eval_set = load_stage_datasets(
            inputs, streaming=self.config.streaming, batch_size=stage_config.batch_size
        )
        if stage is TrainingStage.LEGAL_MOVES:  # Stage 1 trains and evaluates on one set
            train_set.mirror_augmentation = self.config.stage2_mirror_augmentation
        head_class = (
            ReachableSquaresHead if stage is TrainingStage.REACHABLE_SQUARES else LegalMovesHead
        )
        head = head_class(backbone.feature_dim)
        loop = SingleStageTrainingLoop(
            MultiLabelModel(backbone, head),
            stage_config,
            self.loaders.train_loader(train_set, stage_config.batch_size),
            self.loaders.eval_loader(eval_set, stage_config.batch_size),
            device=self.device,
            on_epoch_end=self._record_epoch,
        )
        result = loop.run()
        if result.threshold_met:
            timestamp = new_timestamp()
            spec = backbone.spec()
            backbone_file = save_checkpoint(
                {
                    "kind": "backbone",
                    "stage": int(stage),
                    "model": _cpu_state(backbone),
                    "backbone_spec": spec,
                    "epoch": loop.epochs_done,
                    "config": stage_config.to_dict(),
                },
                backbone_path(self.model_dir, int(stage), timestamp),
            )
            head_file = save_checkpoint(
                {
                    "kind": "head",
                    "stage": int(stage),
                    "head_class": head_class.__name__,
                    "model": _cpu_state(head),
                    "backbone_spec": spec,
                    **loop.training_state(),
                },
                head_path(self.model_dir, int(stage), timestamp),
            )
            result.checkpoints = {"backbone": str(backbone_file), "head": str(head_file)}
        return result

    def _run_policy_value(self, backbone: nn.Module, inputs: StageInputs) -> StageResult:
        from maou_kit.model import PolicyHead, ValueHead

        stage_config = self.config.stage_config(TrainingStage.POLICY_VALUE)
        train_set, val_set = load_stage_datasets(
            inputs,
            train_legal_masks=stage_config.legal_masked_policy_loss,
            streaming=self.config.streaming,
            batch_size=stage_config.batch_size,
        )
        train_set.mirror_augmentation = self.config.stage3_mirror_augmentation
        model = PolicyValueModel(
            backbone, PolicyHead(backbone.feature_dim), ValueHead(backbone.feature_dim)
        )
        checkpoint_file = stage3_path(self.model_dir, new_timestamp())
        extra = {"backbone_spec": backbone.spec(), "learn_config": self.config.to_dict()}

        def write_checkpoint(state: dict[str, Any]) -> None:
            save_checkpoint({**_to_cpu(state), **extra}, checkpoint_file)

        loop = TrainingLoop(
            model,
            stage_config,
            self.loaders.train_loader(train_set, stage_config.batch_size),
            self.loaders.eval_loader(val_set, stage_config.batch_size),
            device=self.device,
            on_epoch_end=self._record_epoch,
            on_checkpoint=write_checkpoint,
        )
        result = loop.run()
        result.checkpoints = {"stage3": str(checkpoint_file)}
        return result

    # ------------------------------------------------------------------ records
    def _record_epoch(self, stage: TrainingStage, epoch: int, metrics: dict[str, float]) -> None:
        self.files.append_metrics({"stage": int(stage), "epoch": epoch, **metrics})
        if self.on_epoch_end is not None:
            self.on_epoch_end(stage, epoch, metrics)

    def _write_result(self, status: str) -> None:
        # Results of stages an earlier run in this model dir trained (and this run did
        # not) are kept, so `--stage 1` then `--stage 2` leave one complete result.json.
        rerun = {str(int(stage)) for stage in self.config.stages}
        stages = {key: value for key, value in self._earlier_results.items() if key not in rerun}
        for stage, result in self.results.items():
            stages[str(int(stage))] = {
                **result.to_dict(),
                "backbone_started_from": self.backbone_sources.get(int(stage)),
            }
        stages = dict(sorted(stages.items()))
        self.files.write_result({"status": status, "device": str(self.device), "stages": stages})


def resume_payload(path: str | Path) -> dict[str, Any]:
    """Read a stage-3 checkpoint for `TrainingLoop.load_state_dict` (ValueError if not one)."""
    payload = load_checkpoint(path)
    if payload.get("kind") != "stage3":
        raise ValueError(f"{path}: not a stage-3 checkpoint (kind {payload.get('kind')!r})")
    return payload


def _cpu_state(module: nn.Module) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().cpu() for name, tensor in module.state_dict().items()}


def _to_cpu(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {key: _to_cpu(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_to_cpu(item) for item in value)
    return value
