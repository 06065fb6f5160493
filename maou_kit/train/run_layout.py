"""The names of everything a run directory holds: its JSON files and checkpoint patterns.

Every module that writes or reads a run directory imports the names from here, so a
file is named in one place:
- `config.json` (every resolved setting), `metrics.jsonl` (one line per epoch per
  stage), `result.json` (status and per-stage results);
- checkpoints, with a sortable timestamp `YYYYmmdd_HHMMSS_ffffff` (upstream's scheme):
  `stage1_backbone_{ts}.pt`, `stage1_reachable_head_{ts}.pt`,
  `stage2_backbone_{ts}.pt`, `stage2_legal_moves_head_{ts}.pt`,
  `stage3_policy_value_{ts}.pt`, and `stage{n}_progress_{ts}.pt` while Stage 1 or 2
  is under way.
"""

from __future__ import annotations

import re
from pathlib import Path

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
RESULT_FILE = "result.json"

HEAD_PREFIXES = {1: "stage1_reachable_head", 2: "stage2_legal_moves_head"}
STAGE3_PREFIX = "stage3_policy_value"
TIMESTAMP_PATTERN = r"\d{8}_\d{6}(?:_\d{6})?"
BACKBONE_NAME = re.compile(rf"^stage([12])_backbone_({TIMESTAMP_PATTERN})\.pt$")
BACKBONE_GLOB = "stage{stage}_backbone_*.pt"


def backbone_path(model_dir: Path, stage: int, timestamp: str) -> Path:
    return Path(model_dir) / f"stage{stage}_backbone_{timestamp}.pt"


def head_path(model_dir: Path, stage: int, timestamp: str) -> Path:
    return Path(model_dir) / f"{HEAD_PREFIXES[stage]}_{timestamp}.pt"


def stage3_path(model_dir: Path, timestamp: str) -> Path:
    return Path(model_dir) / f"{STAGE3_PREFIX}_{timestamp}.pt"


def progress_path(model_dir: Path, stage: int, timestamp: str) -> Path:
    """Where Stage 1 or 2 keeps its per-epoch state while it runs."""
    return Path(model_dir) / f"stage{stage}_progress_{timestamp}.pt"
