"""Writing split stage tables to a directory as `train*` / `val*` shards (the layout the loaders read)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from maou_kit.data.table_io import TABLE_SUFFIXES, read_table, temporary_sibling, write_table

_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def write_split(
    table: pl.DataFrame,
    directory: Path,
    split: str,
    shard_rows: int,
    suffix: str,
    compression: str = "lz4",
) -> list[Path]:
    """`write_splits` for one split."""
    return write_splits({split: table}, directory, shard_rows, suffix, compression)


def write_splits(
    tables: dict[str, pl.DataFrame],
    directory: Path,
    shard_rows: int,
    suffix: str,
    compression: str = "lz4",
) -> list[Path]:
    """Write each split as `{split}.{suffix}` or, past `shard_rows`, `{split}-00000.{suffix}`, ...

    All new shards are written into a hidden folder inside `directory` first; only when
    every one is complete do they replace the old shards of those splits (removed, so a
    rebuild never mixes runs). A failure or an interrupt before that leaves the old
    tables as they were and removes the hidden folder.
    """
    if shard_rows <= 0:
        raise ValueError(f"--shard-rows must be positive, got {shard_rows}")
    directory.mkdir(parents=True, exist_ok=True)
    pieces: list[tuple[str, pl.DataFrame]] = []
    for split, table in tables.items():
        if table.height <= shard_rows:
            pieces.append((f"{split}{suffix}", table))
            continue
        pieces += [
            (f"{split}-{index:05d}{suffix}", table.slice(start, shard_rows))
            for index, start in enumerate(range(0, table.height, shard_rows))
        ]
    with temporary_sibling(directory / ".new-tables") as staging:
        staging.mkdir()
        for name, piece in pieces:
            write_table(piece, staging / name, compression)
        with signals_deferred():  # the swap runs to its end once begun
            for split in tables:
                for old in directory.glob(f"{split}*"):
                    if old.suffix in TABLE_SUFFIXES and old.is_file():
                        old.unlink()
            for name, _ in pieces:
                os.replace(staging / name, directory / name)
    return [directory / name for name, _ in pieces]


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends (they are delivered right after)."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def read_games_tables(paths: list[Path]) -> pl.DataFrame:
    """Concatenate games tables given as files or directories of table files."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in TABLE_SUFFIXES)
            if not found:
                raise ValueError(
                    f"{path}: directory holds no {'/'.join(TABLE_SUFFIXES)} games table"
                )
            files += found
        else:
            files.append(path)
    return pl.concat([read_table(file) for file in files], how="vertical_relaxed")
