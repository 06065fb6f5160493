"""`maou-kit build-stage1|build-stage2|build-stage3`: stage tables from patterns or games tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from maou_kit.cli.table_options import add_compression_option, check_output_path


def _add_split_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "games",
        nargs="+",
        type=Path,
        help="games table(s) from convert-records (.feather/.parquet), or directories of them",
    )
    parser.add_argument(
        "--output", type=Path, required=True, help="directory for train*/val* tables"
    )
    parser.add_argument(
        "--test-ratio",
        type=float,
        default=0.2,
        help="fraction of the games put in validation, in [0, 1); 0 = everything in "
        "training (default %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the game-level split (default %(default)s)"
    )
    parser.add_argument(
        "--shard-rows",
        type=int,
        default=200_000,
        help="rows per output file, > 0; larger splits become train-00000, ... "
        "(default %(default)s)",
    )
    _add_output_options(parser)


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("feather", "parquet"),
        default="feather",
        help="table format of the output files (default %(default)s)",
    )
    add_compression_option(parser)


def register(subparsers: argparse._SubParsersAction) -> None:
    stage1 = subparsers.add_parser(
        "build-stage1", help="write the 1,105 stage-1 reachable-square patterns"
    )
    stage1.add_argument(
        "--output", type=Path, required=True, help="table file (.feather or .parquet)"
    )
    add_compression_option(stage1)
    stage1.set_defaults(func=run_stage1)

    stage2 = subparsers.add_parser(
        "build-stage2",
        help="unique positions with legal-move masks, split by game",
        description=(
            "Read games tables (from convert-records), split the games into training and "
            "validation (--test-ratio, --seed), and write OUTPUT/train* and OUTPUT/val*: each "
            "unique position once with its 1496-wide legal-move mask. Validation keeps only "
            "positions not in training. Old tables in OUTPUT are replaced only once the new "
            "ones are complete."
        ),
    )
    _add_split_options(stage2)
    stage2.set_defaults(func=run_stage2)

    stage3 = subparsers.add_parser(
        "build-stage3",
        help="positions aggregated with move frequencies and outcomes, split by game",
        description=(
            "Read games tables (from convert-records), split the games into training and "
            "validation (--test-ratio, --seed), and write OUTPUT/train* and OUTPUT/val*: each "
            "position once per side with the frequencies of the moves played there "
            "(moveLabel), the mover's mean outcome in [0, 1] (resultValue) and the legal-move "
            "mask. Old tables in OUTPUT are replaced only once the new ones are complete."
        ),
    )
    _add_split_options(stage3)
    stage3.add_argument(
        "--with-win-rate",
        action="store_true",
        help="add the smoothed per-move win rate column moveWinRate",
    )
    stage3.set_defaults(func=run_stage3)


def run_stage1(args: argparse.Namespace) -> int:
    from maou_kit.data.table_io import write_table
    from maou_kit.shogi import stage1_patterns

    check_output_path(args.output)
    table = stage1_patterns()
    write_table(table, args.output, args.compression)
    print(f"wrote {table.height} stage-1 patterns to {args.output}")
    return 0


def _check_split_args(args: argparse.Namespace) -> None:
    if not 0.0 <= args.test_ratio < 1.0:
        raise ValueError(f"--test-ratio must be in [0, 1), got {args.test_ratio}")
    if args.shard_rows <= 0:
        raise ValueError(f"--shard-rows must be positive, got {args.shard_rows}")
    check_output_path(args.output, folder=True)
    for path in args.games:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such games table")


def _write(tables, args: argparse.Namespace) -> None:
    from maou_kit.data.stage_writer import write_splits

    suffix = "." + args.format
    splits = {"train": tables.train, "val": tables.val}
    for path in write_splits(splits, args.output, args.shard_rows, suffix, args.compression):
        print(f"wrote {path}")
    for line in tables.report.lines():
        print(line)


def run_stage2(args: argparse.Namespace) -> int:
    from maou_kit.data.stage_tables import build_stage2_tables
    from maou_kit.data.stage_writer import read_games_tables

    _check_split_args(args)
    games = read_games_tables(args.games)
    _write(
        build_stage2_tables(games, args.test_ratio, args.seed, progress=sys.stderr.isatty()), args
    )
    return 0


def run_stage3(args: argparse.Namespace) -> int:
    from maou_kit.data.stage_tables import build_stage3_tables
    from maou_kit.data.stage_writer import read_games_tables

    _check_split_args(args)
    games = read_games_tables(args.games)
    tables = build_stage3_tables(
        games, args.test_ratio, args.seed, args.with_win_rate, progress=sys.stderr.isatty()
    )
    _write(tables, args)
    return 0
