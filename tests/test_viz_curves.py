"""Locks down the training-curve figures and reading runs back: the gate panel draws
the gate metric, its all-zero baseline and the threshold; Stage 3 gets loss, top-1
and Brier panels; metrics.jsonl lines of different stages read into one frame;
the Stage-3 comparison summarises each labelled run; `show` writes a PNG."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from maou_kit.viz.curves import (
    plot_gate_curves,
    plot_policy_value_curves,
    plot_run_curves,
    plot_runs,
)
from maou_kit.viz.display import show
from maou_kit.viz.runs import compare_stage3_runs, read_metrics, read_runs_metrics, result_table


def gate_rows(stage: int, values: list[float]) -> list[dict]:
    return [
        {
            "stage": stage,
            "epoch": epoch,
            "train_loss": 1.0 / epoch,
            "eval_loss": 1.2 / epoch,
            "accuracy": value,
            "f1": value / 2,
            "exact_match": value / 4,
            "baseline_accuracy": 0.9,
            "baseline_f1": 0.0,
            "baseline_exact_match": 0.0,
        }  # fmt: skip
        for epoch, value in enumerate(values, start=1)
    ]


def stage3_rows(val_losses: list[float]) -> list[dict]:
    return [
        {
            "stage": 3,
            "epoch": epoch,
            "train_loss": loss + 0.5,
            "val_loss": loss,
            "val_top1_accuracy": 0.1 * epoch,
            "val_legal_top1_accuracy": 0.2 * epoch,
            "train_top1_accuracy": 0.15 * epoch,
            "val_value_brier": 0.25 - 0.01 * epoch,
        }  # fmt: skip
        for epoch, loss in enumerate(val_losses, start=1)
    ]


def write_run(run_dir: Path, rows: list[dict]) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return run_dir


def _line(ax, label: str):
    return next(line for line in ax.lines if line.get_label() == label)


def test_gate_panel_draws_gate_metric_baseline_and_threshold():
    figure = plot_gate_curves(pl.DataFrame(gate_rows(1, [0.92, 0.97])), "accuracy", 0.99)
    gate_axis = figure.axes[0]
    assert list(_line(gate_axis, "accuracy (gate)").get_ydata()) == [0.92, 0.97]
    assert list(_line(gate_axis, "accuracy, all-zero").get_ydata()) == [0.9, 0.9]
    assert list(_line(gate_axis, "threshold 0.99").get_ydata()) == [0.99, 0.99]
    assert {"f1", "exact_match"} <= {line.get_label() for line in gate_axis.lines}


def test_gate_metric_other_than_accuracy_is_the_highlighted_line():
    figure = plot_gate_curves(pl.DataFrame(gate_rows(2, [0.5])), "f1", 0.95, stage=2)
    assert (
        _line(figure.axes[0], "f1 (gate)").get_linewidth()
        > _line(figure.axes[0], "accuracy").get_linewidth()
    )
    assert figure.axes[0].get_title() == "Stage 2: f1 gate"


def test_policy_value_figure_has_loss_top1_and_brier_panels():
    figure = plot_policy_value_curves(pl.DataFrame(stage3_rows([5.0, 4.0])))
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["Stage 3: loss", "Stage 3: top-1 accuracy", "Stage 3: value Brier"]
    assert list(_line(figure.axes[2], "val_value_brier").get_ydata()) == pytest.approx([0.24, 0.23])


def test_run_curves_has_one_row_per_stage_present():
    frame = pl.DataFrame(
        gate_rows(1, [0.9]) + gate_rows(2, [0.9]) + stage3_rows([5.0]), infer_schema_length=None
    )
    figure = plot_run_curves(frame, {1: ("accuracy", 0.99), 2: ("f1", 0.95)})
    visible = [ax for ax in figure.axes if ax.get_visible() and ax.axison]
    assert len(visible) == 2 + 2 + 3


def test_run_curves_before_the_first_epoch_says_so():
    figure = plot_run_curves(pl.DataFrame(schema={"stage": pl.Int64, "epoch": pl.Int64}), {})
    assert figure.axes[0].texts[0].get_text() == "waiting for the first epoch"


def test_plot_runs_draws_one_line_per_run_on_every_panel():
    frame = pl.concat(
        [
            pl.DataFrame(stage3_rows([5.0, 4.0])).with_columns(run=pl.lit(name))
            for name in ("a", "b")
        ]
    )
    figure = plot_runs(frame, ["val_loss", "val_top1_accuracy"])
    assert [[line.get_label() for line in ax.lines] for ax in figure.axes] == [
        ["a", "b"],
        ["a", "b"],
    ]


def test_plot_runs_names_a_missing_metric():
    with pytest.raises(ValueError, match="no column.*val_nope"):
        plot_runs(pl.DataFrame(stage3_rows([5.0])).with_columns(run=pl.lit("a")), ["val_nope"])


def test_metrics_of_gated_and_policy_stages_read_into_one_frame(tmp_path):
    run = write_run(tmp_path, gate_rows(1, [0.9]) + stage3_rows([5.0]))
    frame = read_metrics(run)
    assert frame["stage"].to_list() == [1, 3]
    assert frame["val_loss"].to_list() == [None, 5.0] and frame["f1"].to_list() == [0.45, None]


def test_metrics_of_a_run_without_epochs_is_an_empty_frame(tmp_path):
    assert read_metrics(tmp_path).height == 0


def test_runs_metrics_are_labelled(tmp_path):
    frame = read_runs_metrics(
        {
            "x": write_run(tmp_path / "x", stage3_rows([5.0])),
            "y": write_run(tmp_path / "y", stage3_rows([4.0])),
        }
    )
    assert frame["run"].to_list() == ["x", "y"]


def test_stage3_comparison_summarises_best_and_last_epoch_and_writes_json(tmp_path):
    runs = {
        "backbone": write_run(tmp_path / "a", gate_rows(1, [0.9]) + stage3_rows([5.0, 4.0, 4.5])),
        "scratch": write_run(tmp_path / "b", stage3_rows([6.0, 5.5, 5.2])),
    }
    comparison = compare_stage3_runs(runs, write_to=tmp_path)
    rows = {row["run"]: row for row in comparison.summary.to_dicts()}
    assert (rows["backbone"]["best_val_loss"], rows["backbone"]["best_epoch"]) == (4.0, 2)
    assert (rows["scratch"]["last_val_loss"], rows["scratch"]["epochs"]) == (5.2, 3)
    written = json.loads((tmp_path / "comparison.json").read_text())
    assert [row["run"] for row in written["summary"]] == ["backbone", "scratch"]


def test_stage3_comparison_names_a_run_without_stage3(tmp_path):
    runs = {
        "gated only": write_run(tmp_path / "a", gate_rows(1, [0.9])),
        "b": write_run(tmp_path / "b", stage3_rows([5.0])),
    }
    with pytest.raises(ValueError, match="gated only"):
        compare_stage3_runs(runs)


def test_result_table_has_one_row_per_stage_and_the_run_status(tmp_path):
    stage = {
        "stage": 1, "metric_name": "accuracy", "achieved": 0.99, "threshold": 0.99,
        "baseline": 0.9, "threshold_met": True, "epochs_trained": 3, "best_epoch": 3,
        "final_loss": 0.1, "seconds": 1.0, "backbone_started_from": None,
    }  # fmt: skip
    (tmp_path / "result.json").write_text(
        json.dumps({"status": "completed", "stages": {"1": stage}})
    )
    table = result_table(tmp_path)
    assert table.select("stage", "status", "backbone_started_from").row(0) == (
        1,
        "completed",
        "scratch",
    )


def test_show_writes_the_figure_as_png(tmp_path):
    figure = plot_policy_value_curves(pl.DataFrame(stage3_rows([5.0])))
    show(figure, save_as=tmp_path / "deep" / "curves.png")
    assert (tmp_path / "deep" / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
