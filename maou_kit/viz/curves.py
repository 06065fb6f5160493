"""Training-curve figures from per-epoch metric frames (the rows of `metrics.jsonl`).

Every function takes a polars frame with the keys the training loops record and
returns a `matplotlib.figure.Figure` built without pyplot (no global figure
state, nothing shown implicitly); `viz.show` displays or saves it.

- Stages 1-2: the gate metric per epoch against the threshold line, with accuracy,
  F1 and exact match and the all-zero predictor's value of each (dotted), next
  to the training and evaluation losses.
- Stage 3: losses, top-1 (all labels and legal-only) and the value Brier score
  (0.25 is what a constant 0.5 prediction scores on decisive games).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

MULTILABEL_METRICS = ("accuracy", "f1", "exact_match")
_COLORS = {"accuracy": "tab:blue", "f1": "tab:orange", "exact_match": "tab:green"}
_COLUMN_WIDTH, _ROW_HEIGHT = 4.6, 3.4


def plot_gate_curves(
    metrics: pl.DataFrame, metric_name: str, threshold: float, stage: int | None = None
) -> Figure:
    """A gated stage's curves: metrics vs threshold (left) and losses (right)."""
    if stage is None:
        stages = metrics["stage"].unique().to_list() if "stage" in metrics.columns else []
        stage = int(stages[0]) if len(stages) == 1 else 1
    return plot_run_curves(_stage_rows(metrics, stage), {stage: (metric_name, threshold)})


def plot_policy_value_curves(metrics: pl.DataFrame) -> Figure:
    """Stage 3's curves: losses, top-1 accuracy and value Brier per epoch."""
    return plot_run_curves(_stage_rows(metrics, 3), {})


def plot_run_curves(metrics: pl.DataFrame, gates: Mapping[int, tuple[str, float]]) -> Figure:
    """One row of panels per stage in `metrics`; `gates` maps stage -> (gate metric, threshold)."""
    stages = sorted(int(s) for s in metrics["stage"].unique()) if len(metrics) else []
    columns = 3 if 3 in stages else 2
    rows = max(len(stages), 1)
    figure = Figure(figsize=(_COLUMN_WIDTH * columns, _ROW_HEIGHT * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    if not stages:
        axes[0][0].text(0.5, 0.5, "waiting for the first epoch", ha="center", va="center")
        for ax in axes[0]:
            ax.set_axis_off()
        return figure
    for row, stage in zip(axes, stages, strict=True):
        frame = _stage_rows(metrics, stage)
        if stage == 3:
            _draw_policy_value(row, frame)
            continue
        metric_name, threshold = gates.get(stage, ("accuracy", float("nan")))
        _draw_gate(row[0], frame, stage, metric_name, threshold)
        _draw_lines(row[1], frame, ("train_loss", "eval_loss"), f"Stage {stage}: loss")
        for ax in row[2:]:
            ax.set_axis_off()
    return figure


def plot_runs(
    per_epoch: pl.DataFrame,
    metrics: Sequence[str],
    label_column: str = "run",
    threshold: float | None = None,
    title: str | None = None,
) -> Figure:
    """One panel per metric, one line per run label: comparisons and sweeps.

    `per_epoch` holds rows of several runs (e.g. `read_runs_metrics`) with an
    `epoch` column; `threshold` draws a dashed line on every panel.
    """
    missing = [name for name in (*metrics, label_column, "epoch") if name not in per_epoch.columns]
    if missing:
        raise ValueError(f"per-epoch frame has no column(s) {', '.join(missing)}")
    figure = Figure(figsize=(_COLUMN_WIDTH * len(metrics), _ROW_HEIGHT), layout="constrained")
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    labels = per_epoch[label_column].unique(maintain_order=True).to_list()
    for ax, metric in zip(axes, metrics, strict=True):
        for label in labels:
            rows = per_epoch.filter(pl.col(label_column) == label).sort("epoch")
            ax.plot(rows["epoch"], rows[metric], marker="o", label=str(label))
        if threshold is not None:
            ax.axhline(threshold, color="tab:red", linestyle="--", label=f"threshold {threshold:g}")
        _finish(ax, metric, per_epoch["epoch"].max())
    if title:
        figure.suptitle(title)
    return figure


def _stage_rows(metrics: pl.DataFrame, stage: int) -> pl.DataFrame:
    if not len(metrics):
        return metrics
    return metrics.filter(pl.col("stage") == stage).sort("epoch")


def _draw_gate(
    ax: Axes, frame: pl.DataFrame, stage: int, metric_name: str, threshold: float
) -> None:
    epochs = frame["epoch"]
    for name in MULTILABEL_METRICS:
        if name not in frame.columns:
            continue
        gate = name == metric_name
        color = _COLORS[name]
        ax.plot(
            epochs, frame[name], marker="o", color=color, linewidth=2.6 if gate else 1.2,
            label=f"{name} (gate)" if gate else name,
        )  # fmt: skip
        if f"baseline_{name}" in frame.columns:
            ax.plot(
                epochs, frame[f"baseline_{name}"], linestyle=":", marker="x", color=color,
                label=f"{name}, all-zero",
            )  # fmt: skip
    ax.axhline(threshold, color="tab:red", linestyle="--", label=f"threshold {threshold:g}")
    ax.set_ylim(-0.02, 1.02)
    _finish(ax, f"Stage {stage}: {metric_name} gate", frame["epoch"].max())


def _draw_policy_value(axes: Sequence[Axes], frame: pl.DataFrame) -> None:
    _draw_lines(axes[0], frame, ("train_loss", "val_loss"), "Stage 3: loss")
    _draw_lines(
        axes[1], frame, ("train_top1_accuracy", "val_top1_accuracy", "val_legal_top1_accuracy"),
        "Stage 3: top-1 accuracy",
    )  # fmt: skip
    _draw_lines(axes[2], frame, ("train_value_brier", "val_value_brier"), "Stage 3: value Brier")
    axes[2].axhline(0.25, color="gray", linestyle=":", label="constant 0.5")
    axes[2].legend(fontsize="small")


def _draw_lines(ax: Axes, frame: pl.DataFrame, columns: Sequence[str], title: str) -> None:
    for column in columns:
        if column in frame.columns and frame[column].null_count() < len(frame):
            ax.plot(frame["epoch"], frame[column], marker="o", label=column)
    _finish(ax, title, frame["epoch"].max())


def _finish(ax: Axes, title: str, last_epoch: object) -> None:
    ax.set_title(title)
    ax.set_xlabel("epoch")
    # Whole epochs only; with one epoch autoscaling would show fractional ticks around it.
    ax.set_xlim(0.5, max(int(last_epoch or 1), 1) + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
