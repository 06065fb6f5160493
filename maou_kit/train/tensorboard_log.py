"""Per-epoch figures as TensorBoard scalars, beside metrics.jsonl (an optional extra).

Every line that goes into `metrics.jsonl` also becomes scalars under
`<run_dir>/tensorboard/stage{N}/`, tagged by figure name (`train_loss`,
`gate_metric`, `val_legal_top1_accuracy`, ...) with the epoch as the step, so
`tensorboard --logdir RUN_DIR/tensorboard` shows each stage's curves.

TensorBoard is not a dependency of the kit: without the `tensorboard` package
`available()` is False and runs simply write no event files. A resumed stage opens
its writer with `purge_step` at the first epoch it redoes, so the curves hold each
epoch once, as `metrics.jsonl` does.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

TENSORBOARD_DIR = "tensorboard"
_NOT_FIGURES = {"stage", "epoch"}


def available() -> bool:
    """Whether the `tensorboard` package (needed by torch's SummaryWriter) is installed."""
    return importlib.util.find_spec("tensorboard") is not None


class TensorBoardScalars:
    """Writes metric records as scalars; one event-file folder per stage, opened on first use."""

    def __init__(self, run_dir: str | Path) -> None:
        self.log_dir = Path(run_dir) / TENSORBOARD_DIR
        self._writers: dict[int, Any] = {}

    def _writer(self, stage: int, epoch: int) -> Any:
        writer = self._writers.get(stage)
        if writer is None:
            from torch.utils.tensorboard import SummaryWriter

            # purge_step drops events at or after this epoch left by an interrupted run.
            writer = SummaryWriter(str(self.log_dir / f"stage{stage}"), purge_step=epoch)
            self._writers[stage] = writer
        return writer

    def write(self, record: dict[str, Any]) -> None:
        """One metrics.jsonl record (`stage`, `epoch` and flat figures) as scalars."""
        stage, epoch = int(record["stage"]), int(record["epoch"])
        writer = self._writer(stage, epoch)
        for name, value in record.items():
            if name in _NOT_FIGURES or isinstance(value, bool):
                continue
            if isinstance(value, int | float) and math.isfinite(value):
                writer.add_scalar(name, float(value), global_step=epoch)
        writer.flush()

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
