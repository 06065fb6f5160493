"""Training: the stage vocabulary, the shared epoch engine, the loops and the orchestrator.

Public API (stable names, DESIGN.md): `TrainingStage`, `StageConfig`, `StageResult`,
`SingleStageTrainingLoop` (Stages 1-2, gate-driven), `TrainingLoop` (Stage 3),
`MultiStageTrainingOrchestrator`, `StageGateError`, `LearnConfig`, `seed_everything`.

Names are imported on first use (PEP 562), so `maou_kit.train.config` can be read by
the CLI parser without importing torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "LearnConfig": "maou_kit.train.config",
    "MultiLabelModel": "maou_kit.train.models",
    "PolicyValueModel": "maou_kit.train.models",
    "MultiStageTrainingOrchestrator": "maou_kit.train.orchestrator",
    "StageGateError": "maou_kit.train.orchestrator",
    "gate_failure_message": "maou_kit.train.orchestrator",
    "TrainingLoop": "maou_kit.train.policy_value",
    "seed_everything": "maou_kit.train.seeding",
    "SingleStageTrainingLoop": "maou_kit.train.single_stage",
    "StageConfig": "maou_kit.train.stages",
    "StageResult": "maou_kit.train.stages",
    "TrainingStage": "maou_kit.train.stages",
    "NonFiniteLossError": "maou_kit.train.stepper",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'maou_kit.train' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
