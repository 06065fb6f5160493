"""One stage of a curriculum run: its data, head and loop, a restored state, and its files.

The orchestrator decides which stage runs, from which backbone weights, and where
its checkpoint goes; the functions here build the stage (datasets, loaders, a
fresh head, the loop), restore the loop's saved state when the stage is being
resumed, run it, and write what it leaves behind through `StageContext.save`:
- Stages 1-2: the progress checkpoint after every epoch another epoch follows,
  and, on meeting the gate, `stage{n}_backbone_{ts}.pt` plus the head file (head
  weights and the stage's training state).
- Stage 3: `stage3_policy_value_{ts}.pt` after every epoch (full resumable state).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from maou_kit.data.loader import DataLoaderFactory
from maou_kit.data.stage_inputs import StageInputs, load_stage_datasets
from maou_kit.train.checkpoints import new_timestamp
from maou_kit.train.config import LearnConfig
from maou_kit.train.models import MultiLabelModel, PolicyValueModel
from maou_kit.train.policy_value import TrainingLoop
from maou_kit.train.run_layout import backbone_path, head_path
from maou_kit.train.single_stage import SingleStageTrainingLoop
from maou_kit.train.stages import StageConfig, StageResult, TrainingStage
from maou_kit.train.training_parts import EpochCallback


@dataclass(frozen=True)
class StageContext:
    """What every stage takes from its run."""

    config: LearnConfig
    loaders: DataLoaderFactory
    device: torch.device
    model_dir: Path
    on_epoch_end: EpochCallback
    save: Callable[[dict[str, Any], Path], None]  # writes a checkpoint (main process only)


def run_gated_stage(
    context: StageContext,
    stage: TrainingStage,
    backbone: nn.Module,
    inputs: StageInputs,
    progress_file: Path,
    state: dict[str, Any] | None = None,
) -> StageResult:
    """Stage 1 or 2 from `backbone`'s current weights, or from `state` (a progress checkpoint)."""
    from maou_kit.model import LegalMovesHead, ReachableSquaresHead

    config = context.config
    stage_config = config.stage_config(stage)
    train_set, eval_set = load_stage_datasets(
        inputs,
        streaming=config.streaming,
        batch_size=stage_config.batch_size,
        cache_mode=config.cache_mode,
    )
    if stage is TrainingStage.LEGAL_MOVES:  # Stage 1 trains and evaluates on one set
        train_set.mirror_augmentation = config.stage2_mirror_augmentation
    head_class = (
        ReachableSquaresHead if stage is TrainingStage.REACHABLE_SQUARES else LegalMovesHead
    )
    head = head_class(backbone.feature_dim)
    spec = backbone.spec()

    def write_progress(progress: dict[str, Any]) -> None:
        context.save({**to_cpu(progress), "backbone_spec": spec}, progress_file)

    loop = SingleStageTrainingLoop(
        MultiLabelModel(backbone, head),
        stage_config,
        *stage_loaders(context.loaders, stage_config, train_set, eval_set),
        device=context.device,
        on_epoch_end=context.on_epoch_end,
        on_checkpoint=write_progress,
    )
    if state is not None:
        loop.load_state_dict(state)
    result = loop.run()
    result.batch_size = trained_batch_size(stage_config)
    if result.threshold_met:
        timestamp = new_timestamp()
        backbone_file = backbone_path(context.model_dir, int(stage), timestamp)
        head_file = head_path(context.model_dir, int(stage), timestamp)
        backbone_payload = {
            "kind": "backbone",
            "stage": int(stage),
            "model": to_cpu(backbone.state_dict()),
            "backbone_spec": spec,
            "epoch": loop.epochs_done,
            "config": stage_config.to_dict(),
        }
        head_payload = {
            "kind": "head",
            "stage": int(stage),
            "head_class": head_class.__name__,
            "model": to_cpu(head.state_dict()),
            "backbone_spec": spec,
            **to_cpu(loop.training_state()),
        }
        context.save(backbone_payload, backbone_file)
        context.save(head_payload, head_file)
        result.checkpoints = {"backbone": str(backbone_file), "head": str(head_file)}
    return result


def run_policy_value(
    context: StageContext,
    backbone: nn.Module,
    inputs: StageInputs,
    checkpoint_file: Path,
    state: dict[str, Any] | None = None,
) -> StageResult:
    """Stage 3 from `backbone`'s current weights, or from `state` (its own checkpoint)."""
    from maou_kit.model import PolicyHead, ValueHead

    config = context.config
    stage_config = config.stage_config(TrainingStage.POLICY_VALUE)
    train_set, val_set = load_stage_datasets(
        inputs,
        train_legal_masks=stage_config.legal_masked_policy_loss,
        streaming=config.streaming,
        batch_size=stage_config.batch_size,
        cache_mode=config.cache_mode,
    )
    train_set.mirror_augmentation = config.stage3_mirror_augmentation
    model = PolicyValueModel(
        backbone,
        PolicyHead(backbone.feature_dim),
        ValueHead(backbone.feature_dim, dropout=config.value_head_dropout),
    )
    extra = {"backbone_spec": backbone.spec(), "learn_config": config.to_dict()}

    def write_checkpoint(checkpoint: dict[str, Any]) -> None:
        context.save({**to_cpu(checkpoint), **extra}, checkpoint_file)

    loop = TrainingLoop(
        model,
        stage_config,
        *stage_loaders(context.loaders, stage_config, train_set, val_set),
        device=context.device,
        on_epoch_end=context.on_epoch_end,
        on_checkpoint=write_checkpoint,
    )
    if state is not None:
        loop.load_state_dict(state)
    result = loop.run()
    result.batch_size = trained_batch_size(stage_config)
    result.checkpoints = {"stage3": str(checkpoint_file)}
    return result


def stage_loaders(
    loaders: DataLoaderFactory, config: StageConfig, train_set: Any, eval_set: Any
) -> tuple[Any, Any]:
    """The stage's (training, evaluation) loaders: batching is the factory's decision."""
    return (
        loaders.train_loader(train_set, config.batch_size, config.global_batch),
        loaders.eval_loader(eval_set, config.batch_size, config.global_batch),
    )


def trained_batch_size(config: StageConfig) -> int:
    """Rows of one training batch summed over all processes: what result.json records."""
    from maou_kit.data.streaming import distributed_rank

    _, world_size = distributed_rank(None, None)
    return DataLoaderFactory.process_batch_size(config.batch_size, config.global_batch) * world_size


def to_cpu(value: Any) -> Any:
    """Tensors (at any depth of dicts, lists and tuples) detached and on the CPU, for saving."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {key: to_cpu(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(to_cpu(item) for item in value)
    return value
