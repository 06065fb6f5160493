"""Converting record files and folders into one games table, with a report of everything
read, skipped or adjusted (nothing is dropped silently).

Inputs are files or folders (walked recursively, in sorted order). A file's format
comes from its suffix (see `maou_kit.shogi.records.reader`); other suffixes are
reported as skipped. Each file is read in a child process (`crash_isolated_pool`)
when `workers >= 1`, so a crash inside cshogi's C++ code loses that file only; it
is then reported with the signal that killed its worker. `workers=0` reads in this
process (no crash isolation; handy for debugging).

Game ids use each file's path relative to the parent of the input it was found
under ("kifu/a/b.csa#0"), so they stay the same wherever the corpus lives.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from tqdm.auto import tqdm

from maou_kit.data.crash_isolated_pool import TaskFailure, run_isolated
from maou_kit.data.games import GAMES_SCHEMA, games_table, hcpe_table
from maou_kit.schema import RESULT_BLACK_WIN, RESULT_DRAW, RESULT_WHITE_WIN
from maou_kit.shogi.records.game_record import GAME, SkippedGame
from maou_kit.shogi.records.hcpe import check_hcpe, read_hcpe
from maou_kit.shogi.records.reader import HCPE_SUFFIX, RECORD_SUFFIXES, read_records

_RESULT_NAMES = {
    RESULT_BLACK_WIN: "Black wins",
    RESULT_WHITE_WIN: "White wins",
    RESULT_DRAW: "draws",
}


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
    """What one file gave: its table rows and the per-game accounting."""

    table: pl.DataFrame
    games: int
    position_records: int
    results: Counter[int]
    skipped_games: list[SkippedGame]
    notes: list[tuple[str, str]]


@dataclass
class ConversionReport:
    """Counts of files, games and positions, with every skip and adjustment and its reason."""

    files_found: int = 0
    files_converted: int = 0
    games: int = 0
    position_records: int = 0
    positions: int = 0
    results: Counter[int] = field(default_factory=Counter)
    skipped_files: list[SkippedFile] = field(default_factory=list)
    skipped_games: list[SkippedGame] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as printable lines: totals first, then each skip and note."""
        results = ", ".join(f"{self.results[code]} {name}" for code, name in _RESULT_NAMES.items())
        no_result = self.games - sum(self.results[code] for code in _RESULT_NAMES)
        lines = [
            f"files: {self.files_found} found, {self.files_converted} converted, "
            f"{len(self.skipped_files)} skipped",
            f"games: {self.games} converted ({results}, {no_result} no result), "
            f"{len(self.skipped_games)} games or records skipped",
            f"position records (SFEN lists, HCPE): {self.position_records}",
            f"positions (table rows): {self.positions}",
        ]
        if self.skipped_files:
            lines.append("skipped files:")
            lines.extend(f"  {item.source}: {item.reason}" for item in self.skipped_files)
        if self.skipped_games:
            lines.append("skipped games:")
            lines.extend(f"  {g.source}#{g.index}: {g.reason}" for g in self.skipped_games)
        if self.notes:
            lines.append("notes:")
            lines.extend(f"  {game_id}: {note}" for game_id, note in self.notes)
        return lines


def find_record_files(paths: Sequence[str | Path]) -> list[tuple[Path, str]]:
    """(file, display name) for every file under `paths`; FileNotFoundError for a missing input."""
    found: list[tuple[Path, str]] = []
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f"input path does not exist: {path}")
        if path.is_dir():
            folder_name = path.resolve().name
            found.extend(
                (file, f"{folder_name}/{file.relative_to(path).as_posix()}")
                for file in sorted(path.rglob("*"))
                if file.is_file()
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
    if path.suffix.lower() == HCPE_SUFFIX:
        records = read_hcpe(path)
        usable, skipped = check_hcpe(records, task.source)
        table = hcpe_table(records[usable], task.source, np.flatnonzero(usable))
        return FileConversion(table, 0, int(usable.sum()), Counter(), skipped, [])
    file_records = read_records(path, task.source)
    games = [record for record in file_records.games if record.kind == GAME]
    notes = [(game.game_id, note) for game in games for note in game.notes]
    return FileConversion(
        table=games_table(file_records.games),
        games=len(games),
        position_records=len(file_records.games) - len(games),
        results=Counter(game.result for game in games),
        skipped_games=file_records.skipped,
        notes=notes,
    )


def _convert_here(task: FileTask) -> FileConversion | TaskFailure:
    try:
        return convert_file(task)
    except Exception as error:  # same reporting as in a worker process
        return TaskFailure(f"{type(error).__name__}: {error}")


def convert_records(
    paths: Sequence[str | Path], workers: int = 1, progress: bool = False
) -> tuple[pl.DataFrame, ConversionReport]:
    """Convert every record file under `paths` into one games table, plus the report."""
    if workers < 0:
        raise ValueError(f"--workers must be 0 or more, got {workers}")
    report = ConversionReport()
    tasks = []
    for path, source in find_record_files(paths):
        report.files_found += 1
        if path.suffix.lower() in RECORD_SUFFIXES:
            tasks.append(FileTask(str(path), source))
        else:
            reason = f"unknown suffix {path.suffix!r} (known: {', '.join(RECORD_SUFFIXES)})"
            report.skipped_files.append(SkippedFile(source, reason))
    if workers >= 1:
        outcomes_in_completion_order = run_isolated(convert_file, tasks, workers)
    else:
        outcomes_in_completion_order = ((i, _convert_here(t)) for i, t in enumerate(tasks))
    outcomes = {}
    with tqdm(total=len(tasks), disable=not progress, unit="file", desc="records") as bar:
        for index, outcome in outcomes_in_completion_order:
            outcomes[index] = outcome
            bar.update()
    tables = []
    for index, task in enumerate(tasks):
        outcome = outcomes[index]
        if isinstance(outcome, TaskFailure):
            report.skipped_files.append(SkippedFile(task.source, outcome.message))
            continue
        report.files_converted += 1
        report.games += outcome.games
        report.position_records += outcome.position_records
        report.results.update(outcome.results)
        report.skipped_games.extend(outcome.skipped_games)
        report.notes.extend(outcome.notes)
        tables.append(outcome.table)
    table = pl.concat(tables) if tables else pl.DataFrame(schema=GAMES_SCHEMA)
    report.positions = table.height
    return table, report


__all__ = [
    "ConversionReport",
    "FileConversion",
    "FileTask",
    "SkippedFile",
    "convert_file",
    "convert_records",
    "find_record_files",
]
