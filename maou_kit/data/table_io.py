"""Reading and writing the kit's tables (Arrow IPC `.feather` by default, or `.parquet`).

Every read goes through `read_table`, so a zero-byte, truncated or mistyped file
fails in one line that names the file and the problem instead of deep inside a
training loop.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

TABLE_SUFFIXES = (".feather", ".parquet")


def _check_suffix(path: Path) -> None:
    if path.suffix not in TABLE_SUFFIXES:
        raise ValueError(
            f"{path}: unsupported table suffix {path.suffix!r} (use one of {', '.join(TABLE_SUFFIXES)})"
        )


FEATHER_COMPRESSIONS = ("lz4", "zstd", "uncompressed")


def write_table(df: pl.DataFrame, path: str | Path, compression: str = "lz4") -> Path:
    """Write `df` to `path` (.feather as Arrow IPC, LZ4 by default like upstream; .parquet as zstd).

    The file is written under a temporary name (hidden, unique to this process) and
    renamed, so a reader never sees a half-written table; the temporary file is removed
    when the write fails or is interrupted (disk full, Ctrl-C, SIGTERM).
    """
    path = Path(path)
    _check_suffix(path)
    if compression not in FEATHER_COMPRESSIONS:
        raise ValueError(
            f"unknown compression {compression!r}; use one of {', '.join(FEATHER_COMPRESSIONS)}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with temporary_sibling(path) as tmp:
        try:
            if path.suffix == ".feather":
                df.write_ipc(tmp, compression=compression)
            else:
                df.write_parquet(tmp, compression="zstd")
        except (OSError, pl.exceptions.PolarsError) as error:
            raise os_error_of(error, path) from error
        tmp.replace(path)
    return path


_OS_ERROR_NUMBER = re.compile(r"os error (\d+)")


def os_error_of(error: Exception, path: Path) -> Exception:
    """The error as an OSError naming `path` and its errno (polars raises OSError without
    either, or a ComputeError whose text ends in "(os error 28)"); other errors unchanged."""
    if isinstance(error, OSError) and error.errno is not None and error.filename is not None:
        return error
    match = _OS_ERROR_NUMBER.search(str(error))
    if match is None:
        return error
    number = int(match.group(1))
    return OSError(number, os.strerror(number), str(path))


@contextmanager
def temporary_sibling(path: Path) -> Iterator[Path]:
    """A hidden temporary name beside `path` (`.NAME.PID.tmp`), removed on the way out
    unless it was renamed into place; the pid keeps two processes' writes apart."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
    finally:
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


def scan_table(path: str | Path) -> pl.LazyFrame:
    """Lazily open a table (no rows read yet); same checks as `read_table` for the file itself."""
    path = _existing_table(path)
    try:
        if path.suffix == ".feather":
            return pl.scan_ipc(path)
        return pl.scan_parquet(path)
    except Exception as error:  # polars raises several error types for broken files
        raise ValueError(f"{path}: cannot open table ({first_error_line(error)})") from error


def read_table(
    path: str | Path,
    columns: Iterable[str] | None = None,
    required: Iterable[str] = (),
) -> pl.DataFrame:
    """Read a table, checking it is non-empty, readable and holds the `required` columns."""
    path = _existing_table(path)
    try:
        if path.suffix == ".feather":
            df = pl.read_ipc(path, columns=list(columns) if columns else None)
        else:
            df = pl.read_parquet(path, columns=list(columns) if columns else None)
    except Exception as error:
        raise ValueError(f"{path}: cannot read table ({first_error_line(error)})") from error
    missing = [name for name in required if name not in df.columns]
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {', '.join(missing)}; has {', '.join(df.columns)}"
        )
    return df


def table_columns(path: str | Path) -> list[str]:
    """Column names of a table without reading its rows."""
    return list(scan_table(path).collect_schema().names())


def _existing_table(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, expected a {'/'.join(TABLE_SUFFIXES)} file")
    _check_suffix(path)
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: zero-byte table file")
    return path


def first_error_line(error: BaseException) -> str:
    """The first line of an error's message (polars errors run to many lines)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
