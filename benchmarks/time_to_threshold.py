"""Wall seconds and epochs for Stage 1 to reach its 0.99 gate and Stage 2 to reach its
gate, `maou-kit learn-model` with the default preset on data_samples, as child processes.

Stage 2 continues from the Stage-1 backbone of the same run directory, as in the
curriculum. A missed gate is reported with the value achieved. Quick mode is a smoke
test: Stage 1 only, one epoch of the `tiny` preset on one torch thread (a tiny model on
two threads of a busy 2-core machine ran 50x slower), reported without a goal.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.cli_runs import DATA_SAMPLES, learn_model_command, stage_result, timed
from benchmarks.measure import Options, Row, not_available


def _row(stage: int, seconds: float, result: dict, goal: str, settings: dict) -> Row:
    met = result.get("threshold_met")
    status = "" if met else (
        f"gate missed: {result['metric_name']} {result['achieved']:.4f} < {result['threshold']}"
    )  # fmt: skip
    if not met and goal != "report":
        goal = f"{goal} and gate met"
    return Row(
        f"stage {stage} time to gate (learn-model wall)", seconds, "s",
        goal=goal, spread="one run", status=status,
        settings={
            **settings, "epochs_trained": result["epochs_trained"],
            "metric": result["metric_name"], "achieved": result["achieved"],
            "threshold": result["threshold"], "threshold_met": met,
            "stage_seconds": result["seconds"],
        },
    )  # fmt: skip


def measure(quick: bool, options: Options | None = None) -> list[Row]:
    options = options or Options()
    threads = None
    if quick:
        options = Options(options.device, "tiny", options.amp)
        threads = 1
    settings = {
        "device": options.device, "preset": options.preset, "amp": options.amp,
        "torch_threads": threads or "default",
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="maou_bench_") as tmp:
        run_dir = Path(tmp) / "run"
        stage1 = ["--stage", "1", "--stage1-data-path", str(DATA_SAMPLES / "stage1.feather")]
        if quick:
            stage1 += ["--stage1-max-epochs", "1"]
        seconds, completed = timed(learn_model_command(options, run_dir, *stage1), threads)
        result = stage_result(run_dir, 1, completed)
        rows = [_row(1, seconds, result, "report" if quick else "<= 60 s", settings)]
        if quick:
            return rows
        if not result["threshold_met"]:
            reason = "stage 1 missed its gate, so stage 2 had no backbone to continue from"
            return [*rows, not_available("stage 2 time to gate", "s", reason, "<= 600 s")]
        stage2 = ["--stage", "2", "--stage2-data-path", str(DATA_SAMPLES / "stage2")]
        seconds, completed = timed(learn_model_command(options, run_dir, *stage2))
        rows.append(_row(2, seconds, stage_result(run_dir, 2, completed), "<= 600 s", settings))
    return rows
