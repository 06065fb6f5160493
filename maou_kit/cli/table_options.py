"""Command-line options shared by every command that writes a table."""

from __future__ import annotations

import argparse

# The same names as `maou_kit.data.table_io.FEATHER_COMPRESSIONS`, spelled out here so
# that building the parser does not import polars.
COMPRESSIONS = ("lz4", "zstd", "uncompressed")


def add_compression_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--compression",
        choices=COMPRESSIONS,
        default="lz4",
        help="feather compression (lz4 as upstream; zstd is about 3x smaller)",
    )
