"""The `maou-kit` command: one subcommand per module, argument parsing only.

Each module named in SUBCOMMANDS defines `register(subparsers)`, which adds its
parser and sets `func` to a callable taking the parsed namespace and returning an
exit code. Heavy imports (torch, polars) happen inside those callables so that
`maou-kit --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = (
    "maou_kit.cli.convert_records",
    "maou_kit.cli.build_tables",
    "maou_kit.cli.selfplay",
    "maou_kit.cli.learn_model",
    "maou_kit.cli.evaluate",
    "maou_kit.cli.export_onnx",
    "maou_kit.cli.usi",
    "maou_kit.cli.match",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="maou-kit",
        description="Curriculum training of shogi networks: data tools and the training pipeline.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in SUBCOMMANDS:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, NotADirectoryError) as error:
        # Bad input is reported in one line that names what is wrong; no traceback.
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"maou-kit {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
