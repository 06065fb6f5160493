"""Command-line options shared by every command that writes a table."""

from __future__ import annotations

import argparse
from pathlib import Path

# The same names as `maou_kit.data.table_io.FEATHER_COMPRESSIONS`, spelled out here so
# that building the parser does not import polars.
COMPRESSIONS = ("lz4", "zstd", "uncompressed")


def add_compression_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--compression",
        choices=COMPRESSIONS,
        default="lz4",
        help="feather compression (lz4 as upstream; zstd is about 3x smaller; default %(default)s)",
    )


def check_output_path(path: Path, option: str = "--output", folder: bool = False) -> None:
    """Refuse, before any work, an output the run could never write: a folder where a
    table file goes (or a file where a folder goes), or a file standing in its parents."""
    if folder and path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{option} {path}: is a file, expected a folder")
    if not folder and path.is_dir():
        raise ValueError(f"{option} {path}: is a folder; name a table file (.feather or .parquet)")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise NotADirectoryError(
                    f"{option} {path}: {parent} is a file, not a folder; move it or choose "
                    "another path"
                )
            break
