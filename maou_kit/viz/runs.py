"""Reading runs back from their files with polars: metrics per epoch, results per stage.

Notebooks, sweeps and tests read what a run wrote (`metrics.jsonl`, `result.json`,
`config.json`); nothing is scraped from notebook outputs. Stage 1-2 and Stage 3
metric lines have different keys, so every line is read and missing keys are null.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from maou_kit.train.run_layout import CONFIG_FILE, METRICS_FILE, RESULT_FILE

COMPARISON_FILE = "comparison.json"
_RESULT_COLUMNS = (
    "stage", "metric_name", "achieved", "threshold", "baseline", "threshold_met",
    "epochs_trained", "best_epoch", "final_loss", "seconds",
)  # fmt: skip


def read_metrics(run_dir: str | Path) -> pl.DataFrame:
    """`metrics.jsonl` of a run: one row per stage and epoch (empty frame before the first epoch)."""
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file() or path.stat().st_size == 0:
        return pl.DataFrame(schema={"stage": pl.Int64, "epoch": pl.Int64})
    return pl.read_ndjson(path, infer_schema_length=None)


def read_result(run_dir: str | Path) -> dict[str, Any]:
    """`result.json` of a run (FileNotFoundError naming the run when it has none)."""
    path = Path(run_dir) / RESULT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir}: no result.json (the run has not finished a stage)")
    return json.loads(path.read_text())


def result_table(run_dir: str | Path) -> pl.DataFrame:
    """One row per stage of `result.json`: gate metric, achieved, threshold, baseline, epochs, time."""
    result = read_result(run_dir)
    rows = []
    for stage in result["stages"].values():
        row = {name: stage.get(name) for name in _RESULT_COLUMNS}
        started = stage.get("backbone_started_from")
        row["backbone_started_from"] = Path(started).name if started else "scratch"
        rows.append(row)
    return pl.DataFrame(rows).with_columns(pl.lit(result["status"]).alias("status"))


def read_runs_metrics(runs: Mapping[str, str | Path]) -> pl.DataFrame:
    """The metrics of several runs in one frame, with a `run` column holding each run's label."""
    frames = [
        read_metrics(path).with_columns(pl.lit(label).alias("run")) for label, path in runs.items()
    ]
    return pl.concat(frames, how="diagonal_relaxed")


def read_results(run_dirs: Iterable[str | Path]) -> pl.DataFrame:
    """One row per run and stage: `result.json` fields plus every setting of `config.json`.

    For sweeps: gather many runs, then plot a result column against a setting
    (`stage1_learning_rate`, `preset`, ...).
    """
    rows = []
    for run_dir in run_dirs:
        config_path = Path(run_dir) / CONFIG_FILE
        config = json.loads(config_path.read_text()) if config_path.is_file() else {}
        settings = {k: v for k, v in config.items() if isinstance(v, int | float | str | bool)}
        for row in result_table(run_dir).to_dicts():
            rows.append({"run_dir": str(run_dir), **settings, **row})
    return pl.DataFrame(rows)


@dataclass(frozen=True)
class Stage3Comparison:
    """Stage 3 of several runs side by side: per epoch, and one summary row per run."""

    per_epoch: pl.DataFrame
    summary: pl.DataFrame


def compare_stage3_runs(
    runs: Mapping[str, str | Path], write_to: str | Path | None = None
) -> Stage3Comparison:
    """Stage-3 validation metrics of labelled runs; `write_to` saves the summary as comparison.json.

    The summary has, per run: epochs, best validation loss and its epoch, and the
    last epoch's validation loss, top-1 (all labels and legal-only) and value Brier.
    """
    per_epoch = read_runs_metrics(runs).filter(pl.col("stage") == 3)  # runs in the given order
    missing = sorted(set(runs) - set(per_epoch["run"].unique().to_list()))
    if missing:
        raise ValueError(f"no Stage 3 epochs in the metrics of run(s): {', '.join(missing)}")
    last_columns = [
        c for c in ("val_loss", "val_top1_accuracy", "val_legal_top1_accuracy", "val_value_brier")
        if c in per_epoch.columns
    ]  # fmt: skip
    summary = per_epoch.group_by("run", maintain_order=True).agg(
        pl.col("epoch").max().alias("epochs"),
        pl.col("val_loss").min().alias("best_val_loss"),
        pl.col("epoch").get(pl.col("val_loss").arg_min()).alias("best_epoch"),
        *[pl.col(c).last().alias(f"last_{c}") for c in last_columns],
    )
    if write_to is not None:
        report = {"run_dirs": {label: str(path) for label, path in runs.items()}}
        report["summary"] = summary.to_dicts()
        (Path(write_to) / COMPARISON_FILE).write_text(json.dumps(report, indent=2) + "\n")
    return Stage3Comparison(per_epoch=per_epoch, summary=summary)
