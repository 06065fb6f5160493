"""Running `maou-kit learn-model` (and papermill) as timed child processes.

Both the CLI and the notebook side get the same environment: progress bars off and
the `CI` variable removed, since CI switches notebooks into smoke mode and a
comparison must not run different work on its two sides.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.measure import Options
from maou_kit.train.run_layout import RESULT_FILE

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_SAMPLES = REPO_ROOT / "data_samples"
# `maou-kit` through this interpreter, whether or not the console script is on PATH
MAOU_KIT = [sys.executable, "-c", "import sys; from maou_kit.cli import main; sys.exit(main())"]


def child_environment(threads: int | None = None) -> dict[str, str]:
    """This environment without CI, progress bars off; `threads` caps torch's intra-op threads."""
    environment = {key: value for key, value in os.environ.items() if key != "CI"}
    if threads is not None:
        environment["OMP_NUM_THREADS"] = str(threads)
    environment["TQDM_DISABLE"] = "1"
    # papermill's kernel: this interpreter's own python3 kernelspec (shipped with ipykernel)
    environment["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    return environment


def timed(
    command: list[str], threads: int | None = None
) -> tuple[float, subprocess.CompletedProcess]:
    """Wall seconds of `command` run from the repository root, and its completed process."""
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=child_environment(threads), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    return time.perf_counter() - started, completed


def learn_model_command(options: Options, run_dir: Path, *arguments: str) -> list[str]:
    command = [
        *MAOU_KIT, "learn-model", "--model-dir", str(run_dir),
        "--device", options.device, "--preset", options.preset, *arguments,
    ]  # fmt: skip
    if not options.amp:
        command.append("--no-mixed-precision")
    return command


def stage_result(run_dir: Path, stage: int, completed: subprocess.CompletedProcess) -> dict:
    """The stage's entry of `run_dir/result.json`; RuntimeError with the child's stderr if none."""
    path = run_dir / RESULT_FILE
    stages = json.loads(path.read_text())["stages"] if path.is_file() else {}
    if str(stage) not in stages:
        raise RuntimeError(
            f"learn-model --stage {stage} left no stage-{stage} result (exit {completed.returncode}): "
            f"{completed.stderr.strip()[-500:]}"
        )
    return stages[str(stage)]
