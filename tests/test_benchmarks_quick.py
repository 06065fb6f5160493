"""The benchmarks runner end to end in quick mode: every row group runs and every row
carries a finite number. Speeds are never asserted (the machine may be busy)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_quick_runner_produces_a_finite_number_for_every_row(tmp_path):
    output = tmp_path / "quick.json"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(output.read_text())
    groups = {"targets", "loop", "FLOP", "streaming", "RSS", "time to gate", "notebook"}
    figures = " ".join(row["figure"] for row in report["rows"])
    assert all(group in figures for group in groups), figures
    assert all(math.isfinite(row["value"]) for row in report["rows"]), report["rows"]
    assert report["machine"]["cpu_count"] >= 1 and report["machine"]["torch_version"]
