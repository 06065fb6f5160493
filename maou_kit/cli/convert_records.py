"""`maou-kit convert-records INPUT... --output PATH [--workers N]`: game records -> games table.

Reads CSA, KIF, KI2, USI, SFEN-list and HCPE files (folders are walked), writes the
games table (.feather or .parquet) and prints the counts and every skipped file or
game with its reason.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from maou_kit.cli.table_options import add_compression_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert-records",
        help="convert game records (CSA/KIF/KI2/USI/SFEN/HCPE) into a games table",
        description=(
            "Read CSA, KIF, KI2, USI, SFEN-list and HCPE files (folders are walked), write "
            "one games table and print the counts and every skipped file or game with its reason."
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
        help="child processes reading files (0: read in this process, no crash isolation)",
    )
    add_compression_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from maou_kit.data.convert import convert_records
    from maou_kit.data.table_io import TABLE_SUFFIXES, write_table

    if args.output.suffix not in TABLE_SUFFIXES:
        raise ValueError(
            f"--output {args.output}: suffix must be one of {', '.join(TABLE_SUFFIXES)}"
        )
    if args.workers < 0:
        raise ValueError(f"--workers must be 0 or more, got {args.workers}")

    table, report = convert_records(args.inputs, workers=args.workers, progress=sys.stderr.isatty())
    print("\n".join(report.lines()))
    if table.height == 0:
        raise ValueError("no position could be converted; nothing written (reasons above)")
    write_table(table, args.output, args.compression)
    print(f"wrote {table.height} rows to {args.output}")
    return 0
