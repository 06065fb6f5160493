"""The files a run leaves behind: config.json, metrics.jsonl, result.json.

`config.json` holds every resolved setting; `metrics.jsonl` gets one JSON object per
epoch per stage (flat keys, appended and flushed as the run goes, so a notebook
can plot it live with polars); `result.json` holds the per-stage results and is
rewritten atomically after each stage. Non-finite floats are written as null,
since JSON has no NaN.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _write_json_atomically(data: Any, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(_json_safe(data), indent=2, sort_keys=False) + "\n")
    os.replace(temporary, path)


class RunFiles:
    """Writer for one run directory (created with its parents on first use)."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.config_path = self.run_dir / "config.json"
        self.metrics_path = self.run_dir / "metrics.jsonl"
        self.result_path = self.run_dir / "result.json"

    def write_config(self, config: dict[str, Any]) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        _write_json_atomically(config, self.config_path)

    def append_metrics(self, record: dict[str, Any]) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with self.metrics_path.open("a") as handle:
            handle.write(json.dumps(_json_safe(record)) + "\n")
            handle.flush()

    def read_result_stages(self) -> dict[str, Any]:
        """The per-stage entries of an existing result.json ({} when absent or unreadable)."""
        try:
            stages = json.loads(self.result_path.read_text()).get("stages", {})
        except (OSError, ValueError, AttributeError):
            return {}
        return stages if isinstance(stages, dict) else {}

    def write_result(self, result: dict[str, Any]) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        _write_json_atomically(result, self.result_path)
