"""The notebook layer: parameter checking, live training curves, board heatmaps and widgets.

Notebooks import this package as `from maou_kit import viz` and call only its
functions, so everything a notebook shows can also be produced from a script or
a test. Names are imported on first use (PEP 562): importing `maou_kit.viz`
pulls in neither matplotlib, ipywidgets nor torch, so `import maou_kit` works on a
machine without a display.

| module | owns |
|---|---|
| `parameters` | the notebooks' parameter tables, type checks, path lookup, error wording |
| `notebook_config` | parameters -> a validated `LearnConfig` (+ smoke mode) per notebook |
| `smoke` | the tiny settings and row subsets of a smoke run |
| `runs` | reading a run's `metrics.jsonl` / `result.json` back with polars |
| `curves` | training-curve figures (gate metric vs threshold, Stage 3, run comparisons) |
| `board` | boards drawn with matplotlib, label/square heatmaps, cshogi SVG grids |
| `corpus` | corpus loading and statistics for the data notebook |
| `display` | showing figures in a kernel and saving them as PNG |
| `live` | running training with a live-updating figure and progress bar |
| `controls` | `StageControls`: learning rate / batch / threshold / epochs + Run |
| `predictions` | loading a stage's model from a run's checkpoints, predicting one position |
| `explorer` | `PredictionExplorer`: step through positions, prediction vs truth |
| `evaluation_setup` | the evaluation notebook's parameters, models (smoke: trained tiny ones), data |
| `evaluation` | evaluation table, reliability / phase / leakage figures, match with a live score |
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    # notebook_config
    "NotebookSetup": "maou_kit.viz.notebook_config",
    "CurriculumSetup": "maou_kit.viz.notebook_config",
    "DataSetup": "maou_kit.viz.notebook_config",
    "stage_setup": "maou_kit.viz.notebook_config",
    "curriculum_setup": "maou_kit.viz.notebook_config",
    "data_setup": "maou_kit.viz.notebook_config",
    "smoke_requested": "maou_kit.viz.smoke",
    # runs
    "read_metrics": "maou_kit.viz.runs",
    "read_result": "maou_kit.viz.runs",
    "read_runs_metrics": "maou_kit.viz.runs",
    "result_table": "maou_kit.viz.runs",
    "read_results": "maou_kit.viz.runs",
    "compare_stage3_runs": "maou_kit.viz.runs",
    # curves
    "plot_gate_curves": "maou_kit.viz.curves",
    "plot_policy_value_curves": "maou_kit.viz.curves",
    "plot_run_curves": "maou_kit.viz.curves",
    "plot_runs": "maou_kit.viz.curves",
    # board
    "destination_grid": "maou_kit.viz.board",
    "plot_board_heatmap": "maou_kit.viz.board",
    "plot_prediction": "maou_kit.viz.board",
    "boards_html": "maou_kit.viz.board",
    "sfens_from_hcp": "maou_kit.viz.board",
    # corpus
    "Corpus": "maou_kit.viz.corpus",
    "CorpusStatistics": "maou_kit.viz.corpus",
    "load_corpus": "maou_kit.viz.corpus",
    "corpus_statistics": "maou_kit.viz.corpus",
    "plot_corpus_statistics": "maou_kit.viz.corpus",
    "plot_stage_example": "maou_kit.viz.corpus",
    "write_data_result": "maou_kit.viz.corpus",
    # display
    "show": "maou_kit.viz.display",
    "show_html": "maou_kit.viz.display",
    "show_markdown": "maou_kit.viz.display",
    "figure_png": "maou_kit.viz.display",
    # live
    "RunOutcome": "maou_kit.viz.live",
    "run_training": "maou_kit.viz.live",
    # widgets and predictions
    "StageControls": "maou_kit.viz.controls",
    "StagePredictor": "maou_kit.viz.predictions",
    "load_stage_predictor": "maou_kit.viz.predictions",
    "PredictionExplorer": "maou_kit.viz.explorer",
    "prediction_explorer": "maou_kit.viz.explorer",
    # evaluation notebook
    "EvaluationSetup": "maou_kit.viz.evaluation_setup",
    "EvaluationModel": "maou_kit.viz.evaluation_setup",
    "evaluation_setup": "maou_kit.viz.evaluation_setup",
    "evaluation_models": "maou_kit.viz.evaluation_setup",
    "evaluate_models": "maou_kit.viz.evaluation",
    "evaluation_table": "maou_kit.viz.evaluation",
    "plot_reliability": "maou_kit.viz.evaluation",
    "plot_phase_accuracy": "maou_kit.viz.evaluation",
    "plot_leakage": "maou_kit.viz.evaluation",
    "LiveMatchScore": "maou_kit.viz.evaluation",
    "play_evaluation_match": "maou_kit.viz.evaluation",
    "write_evaluation_result": "maou_kit.viz.evaluation",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'maou_kit.viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
