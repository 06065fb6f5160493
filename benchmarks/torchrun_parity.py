"""The README's curriculum on data_samples, in one process and under torchrun: same gates?

    python -m benchmarks.torchrun_parity [--processes 2] [--seed 0] [--stage all]
                                         [--out runs/torchrun_parity] [--device cpu]

Runs `maou-kit learn-model` with its defaults (only the data paths, the seed and
the device given) once as one process and once as `torchrun --standalone
--nproc-per-node P`, then prints each stage's gate metric (Stage 3: best validation
loss and top-1), epochs and seconds side by side. Exit status 1 when any run fails
or misses a gate. Not part of the timed suite (`python -m benchmarks`): on a 2-core
CPU the whole curriculum takes about an hour per run.

What it checks: a stage's measured default batch size is the global batch under
torchrun (each process takes batch/P rows, `maou_kit.data.loader`), so both runs
take the same optimizer steps and should pass the same gates, with Stage 3 figures
within run-to-run noise (the processes' gradients are summed in another order).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.cli_runs import DATA_SAMPLES, MAOU_KIT, timed
from maou_kit.train.run_layout import RESULT_FILE


def _command(processes: int, run_dir: Path, args: argparse.Namespace) -> list[str]:
    options = [
        "learn-model", "--stage", args.stage, "--seed", str(args.seed), "--device", args.device,
        "--stage1-data-path", str(DATA_SAMPLES / "stage1.feather"),
        "--stage2-data-path", str(DATA_SAMPLES / "stage2"),
        "--stage3-data-path", str(DATA_SAMPLES / "stage3"),
        "--model-dir", str(run_dir),
    ]  # fmt: skip
    if processes == 1:
        return [*MAOU_KIT, *options]
    return [
        sys.executable, "-m", "torch.distributed.run", "--standalone",
        f"--nproc-per-node={processes}", "-m", "maou_kit.cli", *options,
    ]  # fmt: skip


def _figures(run_dir: Path) -> dict[str, dict]:
    path = run_dir / RESULT_FILE
    return json.loads(path.read_text())["stages"] if path.is_file() else {}


def _cell(entry: dict | None) -> str:
    if entry is None:
        return "-"
    if entry.get("threshold") is None:  # Stage 3
        top1 = entry.get("metrics", {}).get("top1_accuracy", float("nan"))
        text = f"val_loss {entry['achieved']:.4f} top1 {top1:.3f}"
    else:
        text = f"{entry['metric_name']} {entry['achieved']:.4f} met={entry['threshold_met']}"
    return f"{text}, {entry['epochs_trained']} ep, {entry['seconds']:.0f}s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--stage", default="all")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("runs/torchrun_parity"))
    args = parser.parse_args(argv)
    failed = False
    results = {}
    for processes in (1, args.processes):
        run_dir = args.out.resolve() / f"p{processes}_seed{args.seed}"
        # The same cores for both: P threads in one process, one thread in each of P.
        threads = args.processes if processes == 1 else 1
        seconds, done = timed(_command(processes, run_dir, args), threads=threads)
        print(f"{processes} process(es): exit {done.returncode} in {seconds:.0f}s ({run_dir})")
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            failed = True
        results[processes] = _figures(run_dir)
    print(f"{'stage':<6} {'1 process':<48} {args.processes} processes")
    for stage in sorted(set(results[1]) | set(results[args.processes])):
        one, many = results[1].get(stage), results[args.processes].get(stage)
        print(f"{stage:<6} {_cell(one):<48} {_cell(many)}")
        failed |= any(entry is None or entry.get("threshold_met") is False for entry in (one, many))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
