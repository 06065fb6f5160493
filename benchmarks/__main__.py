"""`python -m benchmarks [--quick] [--only NAME,...] [--device D] [--preset P] [--amp on|off]`

Runs every row module (or the named ones), prints the table, and writes
`benchmarks/results/<YYYY-MM-DD>[-device-preset-amp][-quick].json` (the settings appear in
the name when they are not the CPU defaults): the rows and the machine they ran on.
A module that fails becomes a "not available" row naming the error, and the exit code
is 1; the other rows still run.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import math
import os
import platform
import sys
import time
import traceback
from pathlib import Path

from benchmarks.measure import Options, Row, not_available
from benchmarks.table import format_table

# Row groups in table order: module name under `benchmarks`, each with `measure(quick, options)`.
ROW_MODULES = (
    "target_generation",
    "conversion",
    "loop_overhead",
    "data_path",
    "time_to_threshold",
    "notebook_overhead",
)
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def machine_info() -> dict[str, object]:
    import torch

    info: dict[str, object] = {
        "cpu_count": os.cpu_count(),
        "torch_version": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": platform.processor(),
    }
    if torch.cuda.is_available():
        info["cuda_device"] = torch.cuda.get_device_name(0)
    return info


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke-test sizes (< 3 min on CPU)")
    parser.add_argument("--only", default="", help=f"comma-separated of: {', '.join(ROW_MODULES)}")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--preset", default="small", help="backbone size: tiny, small, large")
    parser.add_argument("--amp", choices=("on", "off"), default="on", help="autocast on CUDA")
    parser.add_argument("--output", type=Path, help="result file (default: results/<date>.json)")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(names) - set(ROW_MODULES))
    if unknown:
        parser.error(f"--only: unknown row module(s) {', '.join(unknown)}")
    args.modules = [name for name in ROW_MODULES if name in names] if names else list(ROW_MODULES)
    return args


def run_module(name: str, quick: bool, options: Options) -> tuple[list[Row], bool]:
    """The module's rows, or one "not available" row naming the error (and False)."""
    try:
        module = importlib.import_module(f"benchmarks.{name}")
        return module.measure(quick, options), True
    except Exception as error:  # one broken row group must not hide the others
        traceback.print_exc(file=sys.stderr)
        return [not_available(name, "", f"{type(error).__name__}: {error}".splitlines()[0])], False


def default_output(quick: bool, options: Options) -> Path:
    stem = datetime.date.today().isoformat()
    if options != Options():  # a run off the CPU defaults must not overwrite the CPU table
        stem += f"-{options.device}-{options.preset}-amp{'on' if options.amp else 'off'}"
    return RESULTS_DIR / f"{stem}{'-quick' if quick else ''}.json"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    options = Options(args.device, args.preset, args.amp == "on")
    rows: list[Row] = []
    all_ran = True
    started = time.perf_counter()
    for name in args.modules:
        module_started = time.perf_counter()
        module_rows, ran = run_module(name, args.quick, options)
        rows += module_rows
        all_ran &= ran
        print(f"[{name}: {time.perf_counter() - module_started:.1f}s]", file=sys.stderr)
    print(format_table(rows))
    output = args.output or default_output(args.quick, options)
    output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "quick": args.quick,
        "options": {"device": options.device, "preset": options.preset, "amp": options.amp},
        "seconds": time.perf_counter() - started,
        "machine": machine_info(),
        "rows": [row.as_dict() for row in rows],
    }
    output.write_text(json.dumps(report, indent=2, default=_json_default) + "\n")
    print(f"written: {output}")
    return 0 if all_ran and all(math.isfinite(row.value) for row in rows) else 1


def _json_default(value: object) -> object:
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
