"""`benchmarks/gpu.sh` without a GPU: its plumbing on CPU (`DEVICE=cpu PRESET=tiny QUICK=1`)
writes one finite result file per step, a missing CUDA device stops it before any step,
a failing step makes the exit status 1 while the later steps still run, and a spent time
budget skips the steps left."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPT = REPO_ROOT / "benchmarks" / "gpu.sh"

pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("timeout") is None,
    reason="gpu.sh needs bash and coreutils' timeout",
)


def _run(results: Path, **variables: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ, "PYTHON": sys.executable, "RESULTS": str(results), "TQDM_DISABLE": "1",
        **variables,
    }  # fmt: skip
    return subprocess.run(
        ["bash", str(SCRIPT)], cwd=REPO_ROOT, env=environment, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip


def test_cpu_plumbing_writes_one_finite_result_file_per_step(tmp_path):
    completed = _run(tmp_path, DEVICE="cpu", PRESET="tiny", QUICK="1")
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    # names without their date, which may roll over while the script runs
    reports = {
        path.name.split("-", 3)[3]: json.loads(path.read_text()) for path in tmp_path.glob("*.json")
    }
    steps = [
        "ampon-loop_overhead",
        "ampon-time_to_threshold",
        "ampon-data_path",
        "ampoff-loop_overhead",
    ]
    assert sorted(reports) == sorted(f"cpu-tiny-{step}-quick.json" for step in steps)
    for name, report in reports.items():
        assert report["rows"] and all(math.isfinite(row["value"]) for row in report["rows"]), name
        assert report["options"]["amp"] == ("ampon" in name), name


def test_no_cuda_device_stops_the_script_before_any_step(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    completed = _run(tmp_path, DEVICE="cuda")
    assert completed.returncode == 1
    assert "torch sees no CUDA device" in completed.stderr
    assert "== amp" not in completed.stdout and not list(tmp_path.iterdir())


def test_a_failing_step_fails_the_script_after_the_other_steps_ran(tmp_path):
    completed = _run(tmp_path, DEVICE="cpu", PRESET="no-such-preset", QUICK="1")
    assert completed.returncode == 1
    assert "!! loop_overhead (amp on) exited 1" in completed.stdout
    assert completed.stdout.count("== amp") == 4


def test_steps_past_the_time_budget_are_skipped_and_fail_the_script(tmp_path):
    completed = _run(tmp_path, DEVICE="cpu", PRESET="tiny", QUICK="1", BUDGET="0")
    assert completed.returncode == 1
    assert completed.stdout.count("skipped: ") == 4 and "== amp" not in completed.stdout
    assert not list(tmp_path.iterdir())
