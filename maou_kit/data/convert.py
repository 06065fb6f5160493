"""Converting record files and folders into one games table, with a report of everything
read, skipped or adjusted (nothing is dropped silently).

Inputs are files or folders (walked recursively, in sorted order; symbolic links to
folders are followed once each, so a link loop cannot walk forever; a link to nothing
is a skipped file with its reason). A file's format comes from its suffix (see
`maou_kit.shogi.records.reader`); other suffixes are reported as skipped. Each file is
read in a child process (`crash_isolated_pool`) when `workers >= 1`, so a crash inside
cshogi's C++ code loses that file only; it is then reported with the signal that
killed its worker. `workers=0` reads in this process (no crash isolation; handy for
debugging). More workers than CPUs are capped (`capped_workers`).

Scale. `convert_records_to_file` keeps memory flat however large the corpus: rows go
to part files beside the output every `PART_ROWS` rows and are joined into the output
at the end by polars' streaming engine, and every skip reason goes to a list file
beside the output (`NAME.skipped.txt`) while the report keeps counts and the first
`REPORT_LIMIT` reasons. One file larger than `MAX_FILE_BYTES` is skipped unread, and a
file that yields more than `MAX_SKIPS_PER_FILE` unusable games or lines keeps only
that many reasons (the count stays exact).

Game ids use each file's path relative to the parent of the input it was found
under ("kifu/a/b.csa#0"), so they stay the same wherever the corpus lives.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np
import polars as pl
from tqdm.auto import tqdm

from maou_kit.data.crash_isolated_pool import TaskFailure, run_isolated
from maou_kit.data.games import FileRows, hcpe_rows, records_rows, rows_table
from maou_kit.data.table_io import os_error_of, temporary_sibling
from maou_kit.schema import RESULT_BLACK_WIN, RESULT_DRAW, RESULT_WHITE_WIN
from maou_kit.shogi.records.game_record import GAME, SkippedGame
from maou_kit.shogi.records.hcpe import check_hcpe, read_hcpe
from maou_kit.shogi.records.reader import HCPE_SUFFIX, RECORD_SUFFIXES, read_records

_RESULT_NAMES = {
    RESULT_BLACK_WIN: "Black wins",
    RESULT_WHITE_WIN: "White wins",
    RESULT_DRAW: "draws",
}


MAX_FILE_BYTES = 256 * 2**20
MAX_SKIPS_PER_FILE = 1_000
REPORT_LIMIT = 20
PART_ROWS = 100_000
CHUNK_FILES = 16  # files a worker reads per message


@dataclass(frozen=True)
class FileTask:
    path: str
    source: str


@dataclass(frozen=True)
class SkippedFile:
    source: str
    reason: str


@dataclass
class FileConversion:
    """What one file gave: its rows and the per-game accounting."""

    rows: FileRows
    games: int
    position_records: int
    results: Counter[int]
    skipped_games: list[SkippedGame]
    skipped_count: int
    notes: list[tuple[str, str]]


@dataclass
class ConversionReport:
    """Counts of files, games and positions, with every skip and adjustment and its reason.

    `skipped_files` and `skipped_games` hold the first `REPORT_LIMIT` of each (all of
    them when `keep_all`); `files_skipped` and `games_skipped` are the exact totals, and
    `skip_list` names the file holding every reason when one was written.
    """

    files_found: int = 0
    files_converted: int = 0
    files_skipped: int = 0
    dangling_links: int = 0
    games: int = 0
    games_skipped: int = 0
    position_records: int = 0
    positions: int = 0
    results: Counter[int] = field(default_factory=Counter)
    skipped_files: list[SkippedFile] = field(default_factory=list)
    skipped_games: list[SkippedGame] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    notes_count: int = 0
    skip_list: Path | None = None
    keep_all: bool = True

    def skip_file(self, item: SkippedFile) -> None:
        self.files_skipped += 1
        if self.keep_all or len(self.skipped_files) < REPORT_LIMIT:
            self.skipped_files.append(item)

    def skip_games(self, items: list[SkippedGame], count: int) -> None:
        self.games_skipped += count
        room = len(items) if self.keep_all else max(0, REPORT_LIMIT - len(self.skipped_games))
        self.skipped_games.extend(items[:room])

    def note(self, items: list[tuple[str, str]]) -> None:
        self.notes_count += len(items)
        room = len(items) if self.keep_all else max(0, REPORT_LIMIT - len(self.notes))
        self.notes.extend(items[:room])

    def lines(self) -> list[str]:
        """The report as printable lines: totals first, then the skips and notes (capped)."""
        results = ", ".join(f"{self.results[code]} {name}" for code, name in _RESULT_NAMES.items())
        no_result = self.games - sum(self.results[code] for code in _RESULT_NAMES)
        links = f" (dangling links: {self.dangling_links})" if self.dangling_links else ""
        lines = [
            f"files: {self.files_found} found, {self.files_converted} converted, "
            f"{self.files_skipped} skipped{links}",
            f"games: {self.games + self.games_skipped} read = {self.games} converted "
            f"({results}, {no_result} no result) + {self.games_skipped} games or records "
            "skipped",
            f"position records (SFEN lists, HCPE): {self.position_records}",
            f"positions (table rows): {self.positions}",
        ]
        sections = (
            ("skipped files", self.skipped_files, self.files_skipped,
             lambda item: f"{item.source}: {item.reason}"),
            ("skipped games", self.skipped_games, self.games_skipped,
             lambda g: f"{g.source}#{g.index}: {g.reason}"),
            ("notes", self.notes, self.notes_count, lambda n: f"{n[0]}: {n[1]}"),
        )  # fmt: skip
        for title, items, total, text in sections:
            if not total:
                continue
            lines.append(
                f"{title}:" if len(items) == total else f"{title} ({total}, first {len(items)}):"
            )
            lines.extend(f"  {text(item)}" for item in items)
            if len(items) < total:
                where = f"; every one is in {self.skip_list}" if self.skip_list else ""
                lines.append(f"  ... {total - len(items)} more{where}")
        return lines


def capped_workers(requested: int) -> tuple[int, str | None]:
    """`requested` limited to the CPUs this process may use, and a line saying so if capped."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    available = max(1, available or 1)
    if requested > available:
        return available, f"--workers {requested}: capped to {available}, the CPUs available"
    return requested, None


def _walk(folder: Path) -> tuple[list[Path], list[Path]]:
    """(files, dangling links) under `folder`, following links to folders once each."""
    files, dangling = [], []
    seen = set()
    for root, folders, names in os.walk(folder, followlinks=True):
        info = os.stat(root)
        if (info.st_dev, info.st_ino) in seen:  # a link back into a walked folder
            folders[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        for name in names + [f for f in folders if os.path.islink(os.path.join(root, f))]:
            path = Path(root, name)
            if path.is_file():
                files.append(path)
            elif path.is_symlink() and not path.exists():
                dangling.append(path)
    return files, dangling


def find_record_files(paths: Sequence[str | Path]) -> list[tuple[Path, str]]:
    """(file, display name) for every file under `paths`; FileNotFoundError for a missing input.

    A dangling symbolic link is listed too (reading it fails with its reason)."""
    found: list[tuple[Path, str]] = []
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f"input path does not exist: {path}")
        if path.is_dir():
            folder_name = path.resolve().name
            files, dangling = _walk(path)
            found.extend(
                (file, f"{folder_name}/{file.relative_to(path).as_posix()}")
                for file in sorted(files + dangling)
            )
        else:
            found.append((path, path.name))
    names = Counter(name for _, name in found)
    duplicates = sorted(name for name, count in names.items() if count > 1)
    if duplicates:
        raise ValueError(
            f"two inputs give the same game-id prefix {duplicates[0]!r}; "
            "pass their common parent folder instead"
        )
    return found


def convert_file(task: FileTask) -> FileConversion:
    """Read one record file into table rows (runs in a worker process); ValueError if unreadable."""
    path = Path(task.path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(
            f"{size / 2**20:.0f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit for one "
            "record file; split it"
        )
    if path.suffix.lower() == HCPE_SUFFIX:
        records = read_hcpe(path)
        usable, skipped = check_hcpe(records, task.source)
        rows = hcpe_rows(records[usable], task.source, np.flatnonzero(usable))
        return FileConversion(
            rows, 0, int(usable.sum()), Counter(), skipped[:MAX_SKIPS_PER_FILE], len(skipped), []
        )
    file_records = read_records(path, task.source)
    skipped = list(file_records.skipped)
    kept = file_records.games
    try:
        rows = records_rows(kept)
    except ValueError:
        # A record refused while making its rows is a skipped game, not a lost file.
        kept = []
        for record in file_records.games:
            try:
                records_rows([record])
            except ValueError as error:
                skipped.append(SkippedGame(record.source, record.index, str(error)))
            else:
                kept.append(record)
        rows = records_rows(kept)
    games = [record for record in kept if record.kind == GAME]
    notes = [(game.game_id, note) for game in games for note in game.notes]
    return FileConversion(
        rows=rows,
        games=len(games),
        position_records=len(kept) - len(games),
        results=Counter(game.result for game in games),
        skipped_games=skipped[:MAX_SKIPS_PER_FILE],
        skipped_count=len(skipped),
        notes=notes,
    )


def _convert_here(task: FileTask) -> FileConversion | TaskFailure:
    try:
        return convert_file(task)
    except Exception as error:  # same reporting as in a worker process
        return TaskFailure(f"{type(error).__name__}: {error}")


def _file_tasks(
    paths: Sequence[str | Path], report: ConversionReport
) -> tuple[list[FileTask], list[SkippedFile]]:
    tasks, skipped = [], []
    for path, source in find_record_files(paths):
        report.files_found += 1
        if path.is_symlink() and not path.exists():
            report.dangling_links += 1
            skipped.append(SkippedFile(source, f"dangling symbolic link to {os.readlink(path)}"))
        elif path.suffix.lower() in RECORD_SUFFIXES:
            tasks.append(FileTask(str(path), source))
        else:
            reason = f"unknown suffix {path.suffix!r} (known: {', '.join(RECORD_SUFFIXES)})"
            skipped.append(SkippedFile(source, reason))
    return tasks, skipped


def convert_files(tasks: list[FileTask]) -> list[FileConversion | TaskFailure]:
    """`convert_file` over a chunk of files (one message each way per chunk, not per file)."""
    return [_convert_here(task) for task in tasks]


def _chunks(tasks: list[FileTask], workers: int) -> list[list[FileTask]]:
    """Consecutive runs of up to `CHUNK_FILES` files, small enough that every worker gets
    several (so a slow chunk cannot leave the others idle at the end)."""
    size = max(1, min(CHUNK_FILES, len(tasks) // (workers * 8)))
    return [tasks[start : start + size] for start in range(0, len(tasks), size)]


def _in_order(
    tasks: list[FileTask], workers: int, progress: bool
) -> Iterator[tuple[FileTask, FileConversion | TaskFailure]]:
    """Every task with its outcome, in task order (a few early finishers wait their turn).

    Workers take chunks of files. A chunk whose worker died (a crash in C++ code) is
    read again one file per worker, so the crash is pinned on its own file and the
    chunk's other files still convert.
    """
    if workers >= 1:
        chunks = _chunks(tasks, workers)
        stream = run_isolated(convert_files, chunks, workers)
    else:
        chunks = [[task] for task in tasks]
        stream = ((i, [_convert_here(t)]) for i, t in enumerate(tasks))
    waiting: dict[int, list[FileConversion | TaskFailure] | TaskFailure] = {}
    next_index = 0
    with tqdm(total=len(tasks), disable=not progress, unit="file", desc="records") as bar:
        for index, outcome in stream:
            waiting[index] = outcome
            bar.update(len(chunks[index]))
            while next_index in waiting:
                outcomes = waiting.pop(next_index)
                chunk = chunks[next_index]
                if isinstance(outcomes, TaskFailure):  # its worker died: one file at a time
                    retried = dict(run_isolated(convert_file, chunk, 1))
                    outcomes = [retried[position] for position in range(len(chunk))]
                yield from zip(chunk, outcomes, strict=True)
                next_index += 1


def _converted(
    paths: Sequence[str | Path], workers: int, progress: bool, report: ConversionReport,
    skip_lines: TextIO | _Discard,
) -> Iterator[FileRows]:  # fmt: skip
    """The rows of every converted file, in order, filling `report` and `skip_lines`."""
    if workers < 0:
        raise ValueError(f"--workers must be 0 or more, got {workers}")
    tasks, skipped = _file_tasks(paths, report)
    for item in skipped:
        report.skip_file(item)
        skip_lines.write(f"{item.source}: {item.reason}\n")
    for task, outcome in _in_order(tasks, workers, progress):
        if isinstance(outcome, TaskFailure):
            report.skip_file(SkippedFile(task.source, outcome.message))
            skip_lines.write(f"{task.source}: {outcome.message}\n")
            continue
        report.files_converted += 1
        report.games += outcome.games
        report.position_records += outcome.position_records
        report.results.update(outcome.results)
        report.skip_games(outcome.skipped_games, outcome.skipped_count)
        for game in outcome.skipped_games:
            skip_lines.write(f"{game.source}#{game.index}: {game.reason}\n")
        if outcome.skipped_count > len(outcome.skipped_games):
            more = outcome.skipped_count - len(outcome.skipped_games)
            skip_lines.write(f"{task.source}: ... {more} more unusable games or lines\n")
        report.note(outcome.notes)
        report.positions += outcome.rows.height
        yield outcome.rows


class _Discard:
    """A skip-list sink that keeps nothing (in-memory conversion keeps every reason)."""

    def write(self, text: str) -> None:
        pass


def convert_records(
    paths: Sequence[str | Path], workers: int = 1, progress: bool = False
) -> tuple[pl.DataFrame, ConversionReport]:
    """Convert every record file under `paths` into one games table in memory, plus the report."""
    report = ConversionReport()
    parts = list(_converted(paths, workers, progress, report, _Discard()))
    return rows_table(parts), report


def convert_records_to_file(
    paths: Sequence[str | Path],
    output: str | Path,
    workers: int = 1,
    compression: str = "lz4",
    progress: bool = False,
) -> ConversionReport:
    """Convert every record file under `paths` into the table `output`, in flat memory.

    The output is replaced only when the conversion finished and gave at least one row;
    the skip list (`NAME.skipped.txt`) is written whenever something was skipped.
    """
    output = Path(output)
    report = ConversionReport(keep_all=False)
    skip_list = output.with_name(output.name + ".skipped.txt")
    output.parent.mkdir(parents=True, exist_ok=True)
    with temporary_sibling(output.with_name(output.name + ".parts")) as parts_dir, \
            temporary_sibling(skip_list) as skip_tmp:  # fmt: skip
        parts_dir.mkdir()
        parts: list[Path] = []
        batch: list[FileRows] = []
        buffered = 0

        def flush() -> None:
            nonlocal buffered
            if batch:
                part = parts_dir / f"{len(parts):05d}.arrow"
                rows_table(batch).write_ipc(part, compression="uncompressed")
                parts.append(part)
                batch.clear()
                buffered = 0

        try:
            with skip_tmp.open("w", encoding="utf-8") as skip_lines:
                for rows in _converted(paths, workers, progress, report, skip_lines):
                    batch.append(rows)
                    buffered += rows.height
                    if buffered >= PART_ROWS:
                        flush()
                flush()
            if report.files_skipped or report.games_skipped:
                skip_tmp.replace(skip_list)
                report.skip_list = skip_list
            else:
                skip_list.unlink(missing_ok=True)  # a list from an earlier run would mislead
            if report.positions:
                with temporary_sibling(output) as tmp:
                    lazy = pl.scan_ipc(parts)
                    if output.suffix == ".parquet":
                        lazy.sink_parquet(tmp, compression="zstd")
                    else:
                        lazy.sink_ipc(tmp, compression=compression)
                    tmp.replace(output)
        except (OSError, pl.exceptions.PolarsError) as error:
            raise os_error_of(error, output) from error
    return report


__all__ = [
    "ConversionReport",
    "FileConversion",
    "FileTask",
    "SkippedFile",
    "capped_workers",
    "convert_file",
    "convert_files",
    "convert_records",
    "convert_records_to_file",
    "find_record_files",
]
