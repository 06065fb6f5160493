"""Checkpoint files: names, atomic writes, validated reads, and finding the newest backbone.

File names are `maou_kit.train.run_layout`'s (re-exported here: `backbone_path`,
`head_path`, `stage3_path`, `progress_path`, `HEAD_PREFIXES`, `STAGE3_PREFIX`);
a progress file is removed once its stage has finished.

Every file is a dict with `format` and `kind` ("backbone", "head", "progress",
"stage3"). A backbone file holds `model` (its state dict) and `backbone_spec`
(arch and config). A head file holds the head's `model` plus the stage's training
state: `optimizer`, `scheduler`, `epoch`, `rng`, `config`. A progress file (Stages
1-2) and a stage-3 file hold the backbone and head weights and everything resuming
the stage at its next epoch needs (`SingleStageTrainingLoop.state_dict`,
`TrainingLoop.state_dict`). Only tensors and plain Python values are stored, so
files load with `weights_only=True`.

Interop: `load_backbone_weights` also takes a raw `state_dict` file (upstream's
`torch.save(model.state_dict(), path)`), checking keys and shapes first. The kit's
own files load without the kit: `torch.load(path, weights_only=True)["model"]` (a
backbone or head file) or `["backbone"]`, `["policy_head"]`, `["value_head"]` (a
stage-3 file) are plain state_dicts for `load_state_dict`.

Writes go to a temporary file that is flushed to disk and then renamed over the
target (os.replace), so a crash or kill during a save never leaves a half-written
checkpoint under the real name: the previous version stays readable.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn

from maou_kit.train.run_layout import (  # re-exported: callers import the names from here
    BACKBONE_NAME,
    HEAD_PREFIXES,
    STAGE3_PREFIX,
    backbone_path,
    head_path,
    progress_path,
    stage3_path,
)

__all__ = [
    "CHECKPOINT_FORMAT", "HEAD_PREFIXES", "STAGE3_PREFIX", "backbone_path", "backbone_state",
    "check_state_fits", "head_path", "load_backbone_weights", "load_checkpoint",
    "new_timestamp", "newest_backbone", "progress_path", "read_weights_file",
    "save_checkpoint", "stage3_path",
]  # fmt: skip

CHECKPOINT_FORMAT = "maou_kit.checkpoint/1"
_BACKBONE_NAME = BACKBONE_NAME


def new_timestamp() -> str:
    """A timestamp that sorts chronologically as a string (microsecond resolution)."""
    return datetime.now().strftime("%Y%m%d_%H%M%S_%f")


def save_checkpoint(payload: dict[str, Any], path: str | Path) -> Path:
    """Write `payload` (plus the format tag) to `path` atomically, creating parent dirs."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # unique per process
    try:
        with temporary.open("wb") as handle:
            torch.save({"format": CHECKPOINT_FORMAT, **payload}, handle)
            handle.flush()
            os.fsync(handle.fileno())  # the bytes are on disk before the name points at them
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)  # a failed or interrupted save leaves no debris
        raise
    return path


def _read_file(path: Path) -> Any:
    """The file's unpickled contents on the CPU (tensors and plain values only)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises pickle, zip and runtime errors for bad files
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise ValueError(f"{path}: corrupt or unreadable checkpoint ({first_line})") from error
    return payload


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a kit checkpoint on the CPU; ValueError naming the file when it is not one."""
    path = Path(path)
    payload = _read_file(path)
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a maou_kit checkpoint (no {CHECKPOINT_FORMAT!r} format tag)")
    return payload


def newest_backbone(model_dir: str | Path, stages: Iterable[int]) -> Path | None:
    """The newest `stage{s}_backbone_{ts}.pt` of the highest stage in `stages` that has one."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        return None
    found: dict[int, list[tuple[str, Path]]] = {}
    for path in model_dir.iterdir():
        match = _BACKBONE_NAME.match(path.name)
        if match:
            found.setdefault(int(match.group(1)), []).append((match.group(2), path))
    for stage in sorted(set(stages), reverse=True):
        if found.get(stage):
            return max(found[stage])[1]
    return None


def read_weights_file(path: str | Path) -> dict[str, Any]:
    """A kit checkpoint's payload, or a raw `state_dict` file (upstream's format: a dict of
    tensors, as `torch.save(model.state_dict(), path)` writes) as
    `{"kind": "state_dict", "model": ...}`. ValueError naming the file otherwise."""
    path = Path(path)
    payload = _read_file(path)
    if isinstance(payload, dict) and payload.get("format") == CHECKPOINT_FORMAT:
        return payload
    if (
        isinstance(payload, dict)
        and payload
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in payload.items())
    ):
        return {"kind": "state_dict", "model": payload}
    raise ValueError(f"{path}: neither a maou_kit checkpoint nor a state_dict (a dict of tensors)")


def backbone_state(payload: dict[str, Any], path: Path) -> dict[str, torch.Tensor]:
    """The backbone weights inside a backbone or stage-3 checkpoint, or a raw state_dict
    (a whole network's, with `backbone.` in front of its backbone keys, is cut to those)."""
    if payload.get("kind") == "backbone":
        return payload["model"]
    if payload.get("kind") == "stage3":
        return payload["backbone"]
    if payload.get("kind") == "state_dict":
        state = payload["model"]
        prefix = "backbone."
        if any(key.startswith(prefix) for key in state):
            return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        return state
    raise ValueError(f"{path}: holds no backbone (checkpoint kind {payload.get('kind')!r})")


def check_state_fits(module: nn.Module, state: dict[str, torch.Tensor], path: Path) -> None:
    """ValueError in one line when `state`'s keys or shapes differ from `module`'s."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (first {missing[0]!r})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (first {unexpected[0]!r})")
        raise ValueError(f"{path}: weights do not fit this model: keys {', '.join(parts)}")
    for key, tensor in own.items():
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise ValueError(
                f"{path}: weights do not fit this model: {key} has shape "
                f"{tuple(state[key].shape)} in the file, {tuple(tensor.shape)} in the model "
                "(another --arch/--preset?)"
            )


def load_backbone_weights(backbone: nn.Module, path: str | Path) -> dict[str, Any]:
    """Load the backbone weights of a backbone or stage-3 checkpoint, or of a raw state_dict
    file (upstream's format), into `backbone`; returns the file's payload."""
    path = Path(path)
    payload = read_weights_file(path)
    spec = payload.get("backbone_spec")
    own_spec = backbone.spec() if hasattr(backbone, "spec") else None
    if spec is not None and own_spec is not None and spec != own_spec:
        raise ValueError(
            f"{path}: backbone was built as {spec.get('arch')} {spec.get('config')}, "
            f"this run builds {own_spec.get('arch')} {own_spec.get('config')}"
        )
    state = backbone_state(payload, path)
    check_state_fits(backbone, state, path)
    backbone.load_state_dict(state)
    return payload
