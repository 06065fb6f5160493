"""The Stage-1 notebook run through papermill beside the same run through the CLI.

Both sides train the same thing (same table, preset, epochs, gate, seed) in a fresh
process with the same environment (`CI` removed on both, so neither switches to smoke
mode); the figure is the extra wall time of the notebook path: kernel start, the
config cell, live-curve bookkeeping, the final plot and writing the output notebook.
Quick mode runs one epoch of the `tiny` preset on one torch thread on both sides.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks.cli_runs import (
    DATA_SAMPLES,
    REPO_ROOT,
    learn_model_command,
    stage_result,
    timed,
)
from benchmarks.measure import Options, Row, median_and_spread

NOTEBOOK = REPO_ROOT / "notebooks" / "01_stage1_reachable_squares.ipynb"


def papermill_command(run_dir: Path, output: Path, parameters: dict[str, object]) -> list[str]:
    command = [sys.executable, "-m", "papermill", str(NOTEBOOK), str(output)]
    for name, value in {"RUN_DIR": str(run_dir), **parameters}.items():
        command += ["-p", name, str(value)]
    return command + ["-k", "python3", "--cwd", str(REPO_ROOT), "--no-progress-bar"]


def measure(quick: bool, options: Options | None = None) -> list[Row]:
    options = options or Options()
    preset, threads = ("tiny", 1) if quick else (options.preset, None)
    epochs, threshold = (1, 0.5) if quick else (10, 0.99)
    repetitions = 2 if quick else 3
    data = DATA_SAMPLES / "stage1.feather"
    notebook_parameters = {
        "DATA_PATH": data, "EPOCHS": epochs, "THRESHOLD": threshold, "PRESET": preset,
        "DEVICE": options.device, "SEED": 0, "SMOKE": False,
    }  # fmt: skip
    cli_arguments = [
        "--stage", "1", "--stage1-data-path", str(data), "--stage1-max-epochs", str(epochs),
        "--stage1-threshold", str(threshold), "--seed", "0",
    ]  # fmt: skip
    cli_options = Options(options.device, preset, options.amp)
    seconds: dict[str, list[float]] = {"notebook": [], "cli": []}
    epochs_trained: dict[str, list[int]] = {"notebook": [], "cli": []}
    with tempfile.TemporaryDirectory(prefix="maou_bench_") as tmp:
        for repetition in range(repetitions):
            run_dir = Path(tmp) / f"notebook{repetition}"
            output = Path(tmp) / f"notebook{repetition}.ipynb"
            wall, done = timed(papermill_command(run_dir, output, notebook_parameters), threads)
            seconds["notebook"].append(wall)
            epochs_trained["notebook"].append(stage_result(run_dir, 1, done)["epochs_trained"])
            run_dir = Path(tmp) / f"cli{repetition}"
            wall, done = timed(learn_model_command(cli_options, run_dir, *cli_arguments), threads)
            seconds["cli"].append(wall)
            epochs_trained["cli"].append(stage_result(run_dir, 1, done)["epochs_trained"])
    notebook, notebook_spread = median_and_spread(seconds["notebook"])
    cli, cli_spread = median_and_spread(seconds["cli"])
    return [
        Row(
            "stage-1 notebook via papermill", notebook, "s",
            anchor="same run via learn-model", anchor_value=cli, goal="<= +10 s",
            spread=f"{notebook_spread}; cli {cli_spread}",
            settings={
                "preset": preset, "epochs": epochs, "threshold": threshold,
                "device": options.device, "torch_threads": threads or "default",
                "epochs_trained": epochs_trained, "extra_seconds": notebook - cli,
            },
        )
    ]  # fmt: skip
