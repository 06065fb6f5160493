"""The files a run leaves behind: config.json, metrics.jsonl, result.json.

`config.json` holds every resolved setting; `metrics.jsonl` gets one JSON object per
epoch per stage (flat keys, appended and flushed as the run goes, so a notebook
can plot it live with polars); `result.json` holds the run's status and per-stage
results and is rewritten atomically whenever a stage starts or ends. Non-finite
floats are written as null, since JSON has no NaN.

Only the main process writes (`maou_kit.train.distributed.is_main_process`): under
`torchrun` the other ranks' writes are no-ops, so every rank can call the same code.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from maou_kit.train.distributed import is_main_process
from maou_kit.train.run_layout import CONFIG_FILE, METRICS_FILE, RESULT_FILE


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


def _write_text_atomically(text: str, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # unique per process
    try:
        with temporary.open("w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)  # a failed or interrupted write leaves no debris
        raise


def _write_json_atomically(data: Any, path: Path) -> None:
    _write_text_atomically(json.dumps(_json_safe(data), indent=2, sort_keys=False) + "\n", path)


class RunFiles:
    """Writer for one run directory (created with its parents on first use)."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.config_path = self.run_dir / CONFIG_FILE
        self.metrics_path = self.run_dir / METRICS_FILE
        self.result_path = self.run_dir / RESULT_FILE

    def write_config(self, config: dict[str, Any]) -> None:
        if not is_main_process():
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        _write_json_atomically(config, self.config_path)

    def append_metrics(self, record: dict[str, Any]) -> None:
        if not is_main_process():
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with self.metrics_path.open("a") as handle:
            handle.write(json.dumps(_json_safe(record)) + "\n")
            handle.flush()

    def metrics_line_count(self) -> int:
        """Lines of metrics.jsonl so far (0 when absent): where a resumed stage cuts it back to."""
        try:
            with self.metrics_path.open("rb") as handle:
                return sum(1 for _ in handle)
        except FileNotFoundError:
            return 0

    def truncate_metrics(self, lines: int) -> None:
        """Keep the first `lines` lines: drops the epochs a resumed run is about to redo."""
        if not is_main_process() or not self.metrics_path.is_file():
            return
        with self.metrics_path.open() as handle:
            kept = [line for _, line in zip(range(lines), handle, strict=False)]
        _write_text_atomically("".join(kept), self.metrics_path)

    def read_result(self) -> dict[str, Any]:
        """An existing result.json ({} when absent or unreadable)."""
        try:
            result = json.loads(self.result_path.read_text())
        except (OSError, ValueError):
            return {}
        return result if isinstance(result, dict) else {}

    def read_result_stages(self) -> dict[str, Any]:
        """The per-stage entries of an existing result.json ({} when absent or unreadable)."""
        stages = self.read_result().get("stages", {})
        return stages if isinstance(stages, dict) else {}

    def write_result(self, result: dict[str, Any]) -> None:
        if not is_main_process():
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        _write_json_atomically(result, self.result_path)
