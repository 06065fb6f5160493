"""`maou-kit convert-records INPUT... --output PATH [--workers N]`: game records -> games table.

Reads CSA, KIF, KI2, USI, SFEN-list and HCPE files (folders are walked, symbolic links
followed), writes the games table (.feather or .parquet), then prints the counts and
the first skipped files and games with their reasons; every reason is in
`OUTPUT.skipped.txt` beside the table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from maou_kit.cli.table_options import add_compression_option, check_output_path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert-records",
        help="convert game records (CSA/KIF/KI2/USI/SFEN/HCPE) into a games table",
        description=(
            "Read CSA, KIF, KI2, USI, SFEN-list and HCPE files (folders are walked, symbolic "
            "links followed), write one games table and print the counts and the first skipped "
            "files and games with their reasons (all of them go to OUTPUT.skipped.txt)."
        ),
    )
    parser.add_argument(
        "inputs", nargs="+", type=Path, metavar="INPUT", help="record files or folders"
    )
    parser.add_argument(
        "--output", required=True, type=Path, help="games table to write (.feather or .parquet)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="child processes reading files, at most the CPUs available (0: read in this "
        "process, no crash isolation; default %(default)s)",
    )
    add_compression_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from maou_kit.data.convert import capped_workers, convert_records_to_file
    from maou_kit.data.table_io import TABLE_SUFFIXES

    check_output_path(args.output)
    if args.output.suffix not in TABLE_SUFFIXES:
        raise ValueError(
            f"--output {args.output}: suffix must be one of {', '.join(TABLE_SUFFIXES)}"
        )
    if args.workers < 0:
        raise ValueError(f"--workers must be 0 or more, got {args.workers}")
    workers, note = capped_workers(args.workers)
    if note:
        print(note, file=sys.stderr)
    report = convert_records_to_file(
        args.inputs, args.output, workers, args.compression, progress=sys.stderr.isatty()
    )
    print("\n".join(report.lines()))
    if report.positions == 0:
        raise ValueError("no position could be converted; nothing written (reasons above)")
    print(f"wrote {report.positions} rows to {args.output}")
    return 0
