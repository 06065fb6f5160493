"""Running a notebook's training: the orchestrator, a live figure, a progress bar, a PNG.

`run_training(setup)` clears the run directory's earlier run files (when the
setup allows it), runs `MultiStageTrainingOrchestrator` with an `on_epoch_end`
hook that records each epoch, advances a `tqdm.auto` bar (off with
TQDM_DISABLE=1, in a kernel too) and, when a display is live, redraws the curves in place. At
the end the curves are drawn once more from the run's own `metrics.jsonl`,
saved as `<run_dir>/curves.png` and shown. A missed Stage 1-2 gate is part of
the outcome (status "gate_failed", the orchestrator's message with its hints);
`raise_on_gate=True` re-raises it for notebooks whose later cells need the stage.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from maou_kit.train.run_layout import CONFIG_FILE, METRICS_FILE, RESULT_FILE
from maou_kit.viz.curves import plot_run_curves
from maou_kit.viz.display import FigureDisplay, figure_png, live_display_wanted, show, show_markdown
from maou_kit.viz.notebook_config import RUN_MARKERS, NotebookSetup
from maou_kit.viz.runs import read_metrics, read_result
from maou_kit.viz.smoke import smoke_threads

CURVES_FILE = "curves.png"
# What a notebook run leaves in its run directory, removed before a rerun (top level only:
# smoke_data/, interactive/ and stage3_from_scratch/ belong to other runs).
RUN_FILE_PATTERNS = (
    CONFIG_FILE, METRICS_FILE, RESULT_FILE, "comparison.json", "*.png",
    "stage1_*.pt", "stage2_*.pt", "stage3_*.pt",
)  # fmt: skip

EpochHook = Callable[[Any, int, dict[str, float]], None]
PngSink = Callable[[bytes], None]


@dataclass(frozen=True)
class RunOutcome:
    """How a notebook run ended: read back from its `result.json`."""

    run_dir: Path
    status: str  # "completed" or "gate_failed"
    message: str  # one line per stage, or the gate failure with its hints
    figure_path: Path

    @property
    def completed(self) -> bool:
        return self.status == "completed"


class EpochRecorder:
    """The orchestrator's `on_epoch_end` hook: keeps the epoch rows, advances the bar, redraws
    the curves into `sink` (when there is one) and calls the caller's own hook."""

    def __init__(
        self,
        gates: dict[int, tuple[str, float]],
        bar: Any,
        sink: PngSink | None,
        on_epoch_end: EpochHook | None,
    ) -> None:
        self.records: list[dict[str, Any]] = []
        self.gates, self.bar, self.sink, self.on_epoch_end = gates, bar, sink, on_epoch_end

    def __call__(self, stage: Any, epoch: int, metrics: dict[str, float]) -> None:
        self.records.append({"stage": int(stage), "epoch": epoch, **metrics})
        self.bar.update(1)
        self.bar.set_postfix(stage=int(stage), epoch=epoch)
        if self.sink is not None:
            frame = pl.DataFrame(self.records, infer_schema_length=None)
            self.sink(figure_png(plot_run_curves(frame, self.gates)))
        if self.on_epoch_end is not None:
            self.on_epoch_end(stage, epoch, metrics)


def clear_run_files(run_dir: Path) -> None:
    """Remove the files an earlier run of a notebook left at the top of `run_dir`."""
    if not run_dir.is_dir():
        return
    for pattern in RUN_FILE_PATTERNS:
        for path in run_dir.glob(pattern):
            if path.is_file():
                path.unlink()


def run_training(
    setup: NotebookSetup,
    figure_sink: PngSink | None = None,
    on_epoch_end: EpochHook | None = None,
    raise_on_gate: bool = False,
    progress: bool = True,
) -> RunOutcome:
    """Train `setup` with live curves; returns the outcome (see the module docstring).

    `figure_sink(png)` receives the curves after every epoch and at the end (the
    stage controls pass their image widget); without one, a live display handle is
    used in an interactive kernel, else the curves are shown once at the end.
    """
    from tqdm.auto import tqdm

    from maou_kit.train import MultiStageTrainingOrchestrator, StageGateError

    _prepare(setup)
    sink = figure_sink or (FigureDisplay() if live_display_wanted() else None)
    bar = tqdm(
        total=_epoch_budget(setup), unit="epoch", desc=setup.kind,
        disable=not progress or progress_disabled_by_environment(),
    )  # fmt: skip
    recorder = EpochRecorder(setup.gates, bar, sink, on_epoch_end)
    gate_error: StageGateError | None = None
    try:
        with smoke_threads(setup.smoke):
            MultiStageTrainingOrchestrator(setup.config, on_epoch_end=recorder).run()
    except StageGateError as error:
        gate_error = error
    finally:
        settle_bar(bar, gate_missed=gate_error is not None)
        bar.close()
    figure = plot_run_curves(read_metrics(setup.run_dir), setup.gates)
    figure_path = setup.run_dir / CURVES_FILE
    if sink is not None:
        png = figure_png(figure)
        figure_path.write_bytes(png)
        sink(png)
    else:
        show(figure, save_as=figure_path)
    result = read_result(setup.run_dir)
    message = str(gate_error) if gate_error is not None else stage_summary(result)
    if figure_sink is None:
        show_markdown("```\n" + message + "\n```")
    if gate_error is not None and raise_on_gate:
        raise gate_error
    return RunOutcome(setup.run_dir, result["status"], message, figure_path)


def settle_bar(bar: Any, gate_missed: bool) -> None:
    """Make the bar's end say how the run ended.

    The bar's total is the epoch budget, but a gate met early ends a run short of it,
    and tqdm's notebook bar turns red when closed short of its total: a success would
    look like a failure. So a run that was not stopped by a missed gate ends at 100%
    of the epochs it ran, and a missed gate is shown red even when it used the budget.
    """
    widget = getattr(bar, "container", None)  # tqdm.notebook's widget; absent in a terminal
    if gate_missed:
        if widget is not None:
            widget.children[1].bar_style = "danger"
        return
    if bar.total and bar.n < bar.total:
        bar.total = bar.n
        if widget is not None:
            widget.children[1].max = bar.n
        bar.refresh()


def progress_disabled_by_environment() -> bool:
    """TQDM_DISABLE set to a true value. Read here because tqdm's notebook bar (what
    `tqdm.auto` picks in a kernel) passes `disable` explicitly and so ignores the variable."""
    return os.environ.get("TQDM_DISABLE", "").strip().lower() not in ("", "0", "false", "no")


def stage_summary(result: dict[str, Any]) -> str:
    """One line per stage of a `result.json`: what was reached, against what, in how long."""
    lines = []
    for key, stage in result["stages"].items():
        epochs, seconds = stage["epochs_trained"], stage["seconds"]
        if stage.get("threshold") is None:
            lines.append(
                f"Stage {key}: best {stage['metric_name']} {stage['achieved']:.4f} at epoch "
                f"{stage['best_epoch']} of {epochs} ({seconds:.1f} s)"
            )
            continue
        verdict = "met" if stage["threshold_met"] else "missed"
        lines.append(
            f"Stage {key}: {stage['metric_name']} {stage['achieved']:.4f} vs threshold "
            f"{stage['threshold']:g} ({verdict}; all-zero baseline {stage['baseline']:.4f}) "
            f"after {epochs} epoch(s) ({seconds:.1f} s)"
        )
    return "\n".join(lines)


def _prepare(setup: NotebookSetup) -> None:
    used = [name for name in RUN_MARKERS if (setup.run_dir / name).exists()]
    if used and not setup.overwrite:
        raise ValueError(
            f"RUN_DIR {setup.run_dir} already holds a run ({', '.join(used)}); "
            "choose another RUN_DIR or set OVERWRITE = True"
        )
    clear_run_files(setup.run_dir)


def _epoch_budget(setup: NotebookSetup) -> int:
    config = setup.config
    budget = {1: config.stage1_max_epochs, 2: config.stage2_max_epochs, 3: config.epoch}
    return sum(budget[int(stage)] for stage in config.stages)
