"""Writing split stage tables to a directory as `train*` / `val*` shards (the layout the loaders read)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from maou_kit.data.table_io import TABLE_SUFFIXES, read_table, write_table


def write_split(
    table: pl.DataFrame,
    directory: Path,
    split: str,
    shard_rows: int,
    suffix: str,
    compression: str = "lz4",
) -> list[Path]:
    """Write `table` as `{split}.{suffix}` or, past `shard_rows`, `{split}-00000.{suffix}`, ...

    Old shards of the same split are removed first so a rebuild never mixes runs.
    """
    if shard_rows <= 0:
        raise ValueError(f"--shard-rows must be positive, got {shard_rows}")
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob(f"{split}*"):
        if old.suffix in TABLE_SUFFIXES:
            old.unlink()
    if table.height <= shard_rows:
        return [write_table(table, directory / f"{split}{suffix}", compression)]
    return [
        write_table(
            table.slice(start, shard_rows), directory / f"{split}-{index:05d}{suffix}", compression
        )
        for index, start in enumerate(range(0, table.height, shard_rows))
    ]


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
