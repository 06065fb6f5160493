"""Small Stage 1-2 and Stage 3 training loops over the synthetic tables, for the loop tests."""

from __future__ import annotations

from _train_tables import stage1_frame, stage2_frame, stage3_frame, tiny_backbone

from maou_kit.data.datasets import KifDataset, Stage1Dataset, Stage2Dataset
from maou_kit.data.loader import DataLoaderFactory
from maou_kit.model import LegalMovesHead, PolicyHead, ReachableSquaresHead, ValueHead
from maou_kit.train import (
    MultiLabelModel,
    PolicyValueModel,
    SingleStageTrainingLoop,
    StageConfig,
    TrainingLoop,
    TrainingStage,
)

LOADERS = DataLoaderFactory(seed=0)
GATED_STAGES = {
    TrainingStage.REACHABLE_SQUARES: (stage1_frame, Stage1Dataset, ReachableSquaresHead),
    TrainingStage.LEGAL_MOVES: (stage2_frame, Stage2Dataset, LegalMovesHead),
}


def gated_loop(
    stage: TrainingStage, rows: int = 8, eval_set=None, arch: str = "mlp-mixer", **overrides
) -> SingleStageTrainingLoop:
    """A Stage 1 or 2 loop on `rows` synthetic rows (one batch unless overridden)."""
    frame_maker, dataset_class, head_class = GATED_STAGES[stage]
    dataset = dataset_class.from_frame(frame_maker(rows))
    settings = dict(stage=stage, batch_size=rows, max_epochs=3, learning_rate=1e-2, threshold=0.99)
    settings.update(overrides)
    config = StageConfig(**settings)
    backbone = tiny_backbone(arch)
    model = MultiLabelModel(backbone, head_class(backbone.feature_dim))
    eval_set = dataset if eval_set is None else eval_set
    return SingleStageTrainingLoop(
        model, config, LOADERS.train_loader(dataset, config.batch_size),
        LOADERS.eval_loader(eval_set, config.batch_size), device="cpu",
    )  # fmt: skip


def policy_value_loop(rows: int = 8, **overrides) -> TrainingLoop:
    """A Stage 3 loop on `rows` synthetic rows, validated on 6 rows of which 2 have no target."""
    train_set = KifDataset.from_frame(stage3_frame(rows, seed=1))
    val_set = KifDataset.from_frame(stage3_frame(6, seed=2, empty_rows=2))
    settings = dict(
        stage=TrainingStage.POLICY_VALUE, batch_size=rows, max_epochs=2, learning_rate=1e-2
    )
    settings.update(overrides)
    config = StageConfig(**settings)
    backbone = tiny_backbone()
    model = PolicyValueModel(
        backbone, PolicyHead(backbone.feature_dim), ValueHead(backbone.feature_dim)
    )
    return TrainingLoop(
        model, config, LOADERS.train_loader(train_set, config.batch_size),
        LOADERS.eval_loader(val_set, config.batch_size), device="cpu",
    )  # fmt: skip
