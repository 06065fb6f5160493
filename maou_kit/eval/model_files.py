"""Turning what training left on disk into a ready network: a run directory or one `.pt` file.

A user points evaluation, export or play at whatever they have:
- a run directory (its `result.json` names each stage's checkpoints; the highest stage
  that saved weights is taken unless a stage is asked for);
- a Stage 3 file `stage3_policy_value_{ts}.pt` (backbone + policy and value heads);
- a Stage 1-2 backbone or head file; its partner from the same save (same stage and
  timestamp, in the same folder) is found by name.

Checkpoint paths stored in `result.json` may be absolute, relative to the run
directory, or relative to the folder training ran from; they are tried in that order
and finally by file name inside the run directory, so a copied or moved run loads.

The model comes back on the CPU in eval mode; only the model package and the
checkpoint reader are used (the training loops are not imported).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from maou_kit.model import (
    LegalMovesHead,
    PolicyHead,
    ReachableSquaresHead,
    ValueHead,
    backbone_from_spec,
)
from maou_kit.train.checkpoints import load_checkpoint
from maou_kit.train.models import MultiLabelModel, PolicyValueModel
from maou_kit.train.run_layout import HEAD_PREFIXES, RESULT_FILE, STAGE3_PREFIX, TIMESTAMP_PATTERN

_STAGE12_FILE = re.compile(
    rf"^(?:stage(?P<stage>[12])_backbone|(?P<head>{'|'.join(HEAD_PREFIXES.values())}))"
    rf"_(?P<ts>{TIMESTAMP_PATTERN})\.pt$"
)
_HEAD_STAGE = {prefix: stage for stage, prefix in HEAD_PREFIXES.items()}


@dataclass
class LoadedModel:
    """A network rebuilt from checkpoint files, with where it came from.

    `stage` 1 or 2: `model` is a `MultiLabelModel` giving (B, 81) or (B, 1496) logits.
    `stage` 3: `model` is a `PolicyValueModel` giving (policy logits (B, 1496), value logits (B,)).
    """

    stage: int
    model: nn.Module
    files: dict[str, Path]
    backbone_spec: dict[str, Any]


def _resolve_stored_path(run_dir: Path, stored: str) -> Path:
    path = Path(stored)
    candidates = [path] if path.is_absolute() else [run_dir / path, Path.cwd() / path]
    candidates.append(run_dir / path.name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{run_dir}: checkpoint {stored!r} named in result.json is not there "
        f"(looked for {', '.join(str(c) for c in candidates)})"
    )


def _from_run_dir(run_dir: Path, stage: int | None) -> LoadedModel:
    result_path = run_dir / RESULT_FILE
    if not result_path.is_file():
        raise FileNotFoundError(f"{run_dir}: no result.json (not a maou_kit run directory)")
    try:
        stages = json.loads(result_path.read_text()).get("stages") or {}
    except (json.JSONDecodeError, AttributeError) as error:
        raise ValueError(f"{result_path}: not a readable result file ({error})") from error
    saved = sorted(int(key) for key, entry in stages.items() if (entry or {}).get("checkpoints"))
    if not saved:
        raise ValueError(f"{run_dir}: no stage saved a checkpoint (stages: {sorted(stages)})")
    if stage is None:
        stage = saved[-1]
    elif stage not in saved:
        raise ValueError(f"{run_dir}: stage {stage} saved no checkpoint (saved stages: {saved})")
    checkpoints = stages[str(stage)]["checkpoints"]
    if stage == 3:
        return _stage3(_resolve_stored_path(run_dir, checkpoints["stage3"]))
    return _stage12(
        stage,
        _resolve_stored_path(run_dir, checkpoints["backbone"]),
        _resolve_stored_path(run_dir, checkpoints["head"]),
    )


def _stage3(path: Path) -> LoadedModel:
    payload = load_checkpoint(path)
    if payload.get("kind") != "stage3":
        raise ValueError(f"{path}: not a Stage 3 checkpoint (kind {payload.get('kind')!r})")
    backbone = backbone_from_spec(payload["backbone_spec"])
    model = PolicyValueModel(
        backbone, PolicyHead(backbone.feature_dim), ValueHead(backbone.feature_dim)
    )
    try:
        backbone.load_state_dict(payload["backbone"])
        model.policy_head.load_state_dict(payload["policy_head"])
        model.value_head.load_state_dict(payload["value_head"])
    except RuntimeError as error:
        raise ValueError(
            f"{path}: weights do not fit the network ({str(error).splitlines()[0]})"
        ) from error
    return LoadedModel(3, model.eval(), {"stage3": path}, payload["backbone_spec"])


def _stage12(stage: int, backbone_file: Path, head_file: Path) -> LoadedModel:
    backbone_payload = load_checkpoint(backbone_file)
    head_payload = load_checkpoint(head_file)
    backbone = backbone_from_spec(backbone_payload["backbone_spec"])
    head = (ReachableSquaresHead if stage == 1 else LegalMovesHead)(backbone.feature_dim)
    try:
        backbone.load_state_dict(backbone_payload["model"])
        head.load_state_dict(head_payload["model"])
    except RuntimeError as error:
        raise ValueError(
            f"{head_file}: weights do not fit the network ({str(error).splitlines()[0]})"
        ) from error
    return LoadedModel(
        stage,
        MultiLabelModel(backbone, head).eval(),
        {"backbone": backbone_file, "head": head_file},
        backbone_payload["backbone_spec"],
    )


def load_model(path: str | Path, stage: int | None = None) -> LoadedModel:
    """The network stored at `path` (run directory or checkpoint file), on the CPU, in eval mode."""
    path = Path(path)
    if path.is_dir():
        return _from_run_dir(path, stage)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such run directory or checkpoint file")
    if path.name.startswith(STAGE3_PREFIX):
        loaded = _stage3(path)
    else:
        match = _STAGE12_FILE.match(path.name)
        if match is None:
            payload = load_checkpoint(path)
            if payload.get("kind") == "stage3":
                loaded = _stage3(path)
            else:
                raise ValueError(
                    f"{path}: cannot tell which stage this file belongs to; pass the run "
                    "directory or a stage3_policy_value_*.pt / stage{1,2}_backbone_*.pt file"
                )
        else:
            file_stage = int(match["stage"]) if match["stage"] else _HEAD_STAGE[match["head"]]
            timestamp = match["ts"]
            backbone_file = path.with_name(f"stage{file_stage}_backbone_{timestamp}.pt")
            head_file = path.with_name(f"{HEAD_PREFIXES[file_stage]}_{timestamp}.pt")
            for needed in (backbone_file, head_file):
                if not needed.is_file():
                    raise FileNotFoundError(
                        f"{path}: its partner file {needed.name} is not in {path.parent}"
                    )
            loaded = _stage12(file_stage, backbone_file, head_file)
    if stage is not None and loaded.stage != stage:
        raise ValueError(f"{path}: holds a Stage {loaded.stage} network, not Stage {stage}")
    return loaded
