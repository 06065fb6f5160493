"""Continuing an interrupted run from its run directory (`learn-model --resume RUN_DIR`).

What a run directory tells a resumed run:
- `config.json`: the run's settings, all of which the resumed run uses (the model
  dir becomes RUN_DIR, wherever it now lies), the inputs it resolved, and `run_id`.
- `result.json`: `run_id` (a result.json an earlier run left in the same directory
  is never taken for this run's), `status` ("running" after a SIGKILL,
  "interrupted" after Ctrl-C or SIGTERM, "failed" after an error can be resumed;
  "completed" and "gate_failed" cannot), the entries of the stages that finished,
  and `progress`: the stage under way, the name of the checkpoint file it writes in
  RUN_DIR and how many lines metrics.jsonl had when it started.
- That checkpoint, once the stage has finished an epoch (`stage{n}_progress_{ts}.pt`
  for Stages 1-2, `stage3_policy_value_{ts}.pt` for Stage 3): the stage's state
  after its newest epoch, plus `metrics_lines`, so the metrics of epochs the
  resumed run does again are cut from metrics.jsonl instead of appearing twice.
Stages that finished are skipped, the stage under way continues from its
checkpoint (or starts afresh when it wrote none), and later stages run as usual.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from maou_kit.train.checkpoints import load_checkpoint
from maou_kit.train.config import LearnConfig
from maou_kit.train.run_layout import CONFIG_FILE, RESULT_FILE
from maou_kit.train.stages import StageResult, TrainingStage

RESUMABLE_STATUSES = ("running", "interrupted", "failed")
_FLOAT_FIELDS = ("achieved", "threshold", "baseline", "final_loss", "seconds")


@dataclass
class ResumePoint:
    """Where an interrupted run stands, read from its result.json."""

    run_id: str | None
    entries: dict[str, Any] = field(default_factory=dict)  # result.json "stages", as written
    finished: dict[TrainingStage, StageResult] = field(default_factory=dict)
    backbone_sources: dict[int, str | None] = field(default_factory=dict)
    progress: dict[str, Any] | None = None  # {"stage", "checkpoint", "metrics_lines"}


def read_saved_config(run_dir: str | Path) -> dict[str, Any]:
    """RUN_DIR/config.json as written by the run (errors name the directory or file)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"--resume {run_dir}: no such run directory")
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"--resume {run_dir}: no config.json there (not a learn-model run directory)"
        )
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: unreadable run settings ({error})") from error
    if not isinstance(saved, dict):
        raise ValueError(f"{path}: unreadable run settings (not a JSON object)")
    return saved


def load_run_config(run_dir: str | Path) -> LearnConfig:
    """The `LearnConfig` of the run in `run_dir`, with model_dir and resume set to `run_dir`."""
    run_dir = Path(run_dir)
    saved = read_saved_config(run_dir)
    read_resume_point(run_dir, saved.get("run_id"))  # refuse a finished run before anything else
    values = {name: saved[name] for name in LearnConfig.field_names() if name in saved}
    values.update(model_dir=run_dir, resume=run_dir)
    try:
        return LearnConfig(**values)
    except (ValueError, FileNotFoundError) as error:
        raise type(error)(f"{run_dir / 'config.json'}: {error}") from error


def read_resume_point(run_dir: str | Path, run_id: str | None) -> ResumePoint:
    """What result.json says about the run `run_id`; ValueError when it cannot be resumed."""
    run_dir = Path(run_dir)
    try:
        result = json.loads((run_dir / RESULT_FILE).read_text())
    except FileNotFoundError:
        return ResumePoint(run_id)  # stopped before result.json: nothing was done yet
    except (OSError, ValueError) as error:
        raise ValueError(f"{run_dir / 'result.json'}: unreadable ({error})") from error
    entries = result.get("stages") if isinstance(result, dict) else None
    entries = entries if isinstance(entries, dict) else {}
    if result.get("run_id") != run_id:
        # Left by an earlier run in this directory: this run stopped before its first
        # result.json, so it starts from the beginning (the earlier entries are kept).
        return ResumePoint(run_id, entries)
    status = result.get("status")
    if status == "completed":
        raise ValueError(f"--resume {run_dir}: the run already completed; nothing to resume")
    if status == "gate_failed":
        failed = [key for key, entry in entries.items() if entry.get("threshold_met") is False]
        raise ValueError(
            f"--resume {run_dir}: the run ended when stage {', '.join(failed)} missed its gate; "
            "start a new run with other settings"
        )
    if status not in RESUMABLE_STATUSES:
        raise ValueError(f"{run_dir / 'result.json'}: unknown run status {status!r}")
    point = ResumePoint(run_id, entries, progress=result.get("progress"))
    for key, entry in entries.items():
        if entry.get("threshold_met") is not False:  # gate met, or Stage 3 (no gate) done
            stage = TrainingStage(int(key))
            point.finished[stage] = stage_result_from_entry(entry)
            point.backbone_sources[int(stage)] = entry.get("backbone_started_from")
    return point


def stage_result_from_entry(entry: dict[str, Any]) -> StageResult:
    """A `StageResult` back from its result.json entry (JSON nulls become NaN again)."""
    values = {f.name: entry[f.name] for f in fields(StageResult) if f.name in entry}
    values["stage"] = TrainingStage(int(values["stage"]))
    # Stage 3 has no threshold or baseline: its None is a value, not a NaN written as null.
    optional = ("threshold", "baseline") if values["stage"] is TrainingStage.POLICY_VALUE else ()
    for name in _FLOAT_FIELDS:
        if values.get(name) is None and name not in optional:
            values[name] = math.nan
    values["metrics"] = {
        name: math.nan if value is None else value
        for name, value in (values.get("metrics") or {}).items()
    }
    return StageResult(**values)


def load_progress_checkpoint(path: Path, stage: int) -> dict[str, Any]:
    """The state a stage saved after its newest epoch (ValueError naming the file if unusable)."""
    payload = load_checkpoint(path)
    expected = "stage3" if stage == 3 else "progress"
    if payload.get("kind") != expected or (stage != 3 and payload.get("stage") != stage):
        raise ValueError(
            f"{path}: not the stage-{stage} progress checkpoint this run wrote "
            f"(kind {payload.get('kind')!r}, stage {payload.get('stage')!r})"
        )
    return payload


def check_inputs_unchanged(
    saved: dict[str, Any], current: dict[int, dict[str, Any]], config_path: Path
) -> None:
    """Refuse to resume on other data than the run started with (files, split, row counts)."""
    recorded = saved.get("inputs")
    if not isinstance(recorded, dict):
        return  # written before inputs were recorded: nothing to compare
    for stage, described in current.items():
        before = recorded.get(str(stage))
        now = json.loads(json.dumps(described))  # as config.json holds it
        if before is not None and before != now:
            changed = [key for key in now if before.get(key) != now[key]]
            raise ValueError(
                f"{config_path}: stage {stage} inputs changed since the run started "
                f"({', '.join(changed)} differ); resuming would train on other data"
            )
