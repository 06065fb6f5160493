"""What evaluation scores a network on: inputs -> encoded positions with their answers.

`load_positions(inputs)` accepts what a user has after training:
- record files or folders (any format `convert-records` reads: CSA, KIF, KI2, USI, SFEN
  lists, HCPE), converted in memory;
- a games table (from `convert-records`, or a polars DataFrame in the Python API);
- a Stage 3 table (policy target = the table's move frequencies, value target = the
  mover's mean outcome; such tables hold no game ids, plies or sides, so the bootstrap
  unit falls back to the row and the phase / side breakdowns are unavailable);
- a Stage 2 table (legal-move masks only: for Stage 2 checkpoints);
- a Stage 1 table (the 1,105 reachable-square patterns: for Stage 1 checkpoints).

Stage 1 targets are defined only for single-piece patterns (SPEC section 4: one piece on
an empty board, or one piece in hand); a game position has many pieces that block and
defend each other, and SPEC gives no reachable-square target for it. So a Stage 1
network is scored on a Stage 1 table only (`maou-kit build-stage1`), never on games.

A games row is kept when its position has both kings, a move was played from it and that
move is legal there; every other row is counted under its reason in `skipped`. Rows of
games without a result count for the policy figures but not for the value figures.
`fingerprint` hashes the input files' bytes (or a DataFrame's contents) so a figure can
be traced to exactly the data it came from.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from maou_kit.data.games import read_table
from maou_kit.data.positions import decode_games_positions
from maou_kit.data.table_io import TABLE_SUFFIXES
from maou_kit.schema import (
    BEST_MOVE16,
    BOARD,
    GAME_ID,
    GAME_RESULT,
    HAND,
    HCP,
    LEGAL_MOVES,
    MOVE_LABEL,
    MOVE_LABELS_NUM,
    PLY,
    REACHABLE,
    RESULT_BLACK_WIN,
    RESULT_DRAW,
    RESULT_VALUE,
    RESULT_WHITE_WIN,
)
from maou_kit.shogi.hcp import hcp_problems
from maou_kit.shogi.labels import labels_of_moves
from maou_kit.shogi.legal import legal_moves_mask_from_encoded
from maou_kit.shogi.records.reader import RECORD_SUFFIXES

GAMES, STAGE3, STAGE2, STAGE1 = "games", "stage3", "stage2", "stage1"
_HASH_BLOCK = 1 << 20


@dataclass
class EvalPositions:
    """Encoded positions and everything they are scored against, one row per position.

    `unit` indexes `unit_names`: the game a row came from (the bootstrap resamples these),
    or the row itself when the data has no game ids (`unit_kind` "position").
    `ply` is -1 and `white` is -1 where the data does not say; `outcomes` is the mover's
    outcome (1 win, 0.5 draw, 0 loss; a Stage 3 table's mean outcome); NaN where unknown.
    """

    kind: str  # "games" (records or games table), "stage3", "stage2" or "stage1"
    boards: np.ndarray  # uint8[N, 9, 9]
    hands: np.ndarray  # uint8[N, 14]
    unit: np.ndarray  # int64[N]
    unit_names: list[str]
    unit_kind: str  # "game" or "position"
    ply: np.ndarray  # int64[N], -1 unknown
    white: np.ndarray  # int8[N]: 1 White to move, 0 Black, -1 unknown
    outcomes: np.ndarray  # float32[N]
    legal_masks: np.ndarray | None = None  # uint8[N, 1496]
    move_labels: np.ndarray | None = None  # int64[N] the played (or most played) move
    policy_targets: np.ndarray | None = None  # float32[N, 1496] (Stage 3 tables only)
    reachable: np.ndarray | None = None  # uint8[N, 81] (Stage 1 tables only)
    skipped: dict[str, int] = field(default_factory=dict)
    fingerprint: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.boards)


def _hash_files(files: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.as_posix()):
        digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as handle:
            while block := handle.read(_HASH_BLOCK):
                digest.update(block)
    return digest.hexdigest()


def _hash_frame(frame: pl.DataFrame) -> str:
    """sha256 of the table's contents as uncompressed Arrow IPC (column names, types, values)."""
    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="uncompressed")
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def _files_under(path: Path) -> list[Path]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return [path]


def _table_kind(frame: pl.DataFrame, source: str) -> str:
    columns = set(frame.columns)
    if HCP in columns:
        return GAMES
    if {BOARD, HAND, MOVE_LABEL, RESULT_VALUE} <= columns:
        return STAGE3
    if {BOARD, HAND, LEGAL_MOVES} <= columns:
        return STAGE2
    if {BOARD, HAND, REACHABLE} <= columns:
        return STAGE1
    raise ValueError(
        f"{source}: not a games or stage table (columns: {', '.join(frame.columns[:8])})"
    )


def _mover_outcomes(results: np.ndarray, white: np.ndarray) -> np.ndarray:
    """Mover's outcome from HCPE result codes (0 draw, 1 Black win, 2 White win)."""
    outcomes = np.full(len(results), np.nan, dtype=np.float32)
    outcomes[results == RESULT_DRAW] = 0.5
    black_won, white_won = results == RESULT_BLACK_WIN, results == RESULT_WHITE_WIN
    outcomes[black_won] = np.where(white[black_won], 0.0, 1.0)
    outcomes[white_won] = np.where(white[white_won], 1.0, 0.0)
    return outcomes


def positions_from_games(games: pl.DataFrame) -> EvalPositions:
    """Positions of a games table, each with its played move's label and its legal moves."""
    missing = [c for c in (HCP, BEST_MOVE16, GAME_RESULT, GAME_ID) if c not in games.columns]
    if missing:
        raise ValueError(f"games table lacks column(s) {', '.join(missing)}")
    if games.height == 0:
        raise ValueError("games table has no rows")
    skipped: dict[str, int] = {}
    # Positions without two kings (tsume problems, for instance) are in record files but
    # are no game positions: the network never saw one and cshogi cannot decode them.
    rows = np.frombuffer(b"".join(games[HCP].to_list()), dtype=np.uint8).reshape(-1, 32)
    decodable = np.array([problem is None for problem in hcp_problems(rows)], dtype=bool)
    skipped["position without two kings"] = int((~decodable).sum())
    if not decodable.all():
        games = games.filter(pl.Series(decodable))
        if games.height == 0:
            raise ValueError("no position of the games table has both kings")
    decoded = decode_games_positions(games, progress=False)
    row_position = decoded.row_position
    white = decoded.white[row_position]
    moves = games[BEST_MOVE16].to_numpy().astype(np.int64)
    labels = labels_of_moves(moves, white).astype(np.int64)
    results = games[GAME_RESULT].to_numpy().astype(np.int64)
    keep = moves != 0
    skipped["no move played (position only)"] = int((~keep).sum())
    legal = np.zeros(games.height, dtype=bool)
    playable = keep & (labels >= 0)
    legal[playable] = decoded.masks[row_position[playable], labels[playable]] == 1
    skipped["move not legal in its position"] = int((keep & ~legal).sum())
    keep &= legal
    # Rows of games without a result stay for the policy figures; their outcome is NaN
    # (see _mover_outcomes), which leaves them out of the value figures.
    rows = np.nonzero(keep)[0]
    if rows.size == 0:
        reasons = ", ".join(f"{count} {reason}" for reason, count in skipped.items() if count)
        raise ValueError(f"no position can be scored ({reasons})")
    chosen = row_position[rows]
    unit_names, unit = np.unique(games[GAME_ID].to_numpy()[rows], return_inverse=True)
    ply = games[PLY].fill_null(-1).to_numpy()[rows] if PLY in games.columns else None
    notes = []
    if ply is None or (ply < 0).all():
        notes.append("the data gives no move numbers: the phase breakdown is unavailable")
        ply = np.full(len(rows), -1)
    return EvalPositions(
        kind=GAMES,
        boards=decoded.boards[chosen],
        hands=decoded.hands[chosen],
        unit=unit.astype(np.int64),
        unit_names=[str(name) for name in unit_names],
        unit_kind="game",
        ply=ply.astype(np.int64),
        white=white[rows].astype(np.int8),
        outcomes=_mover_outcomes(results[rows], white[rows]),
        legal_masks=decoded.masks[chosen],
        move_labels=labels[rows],
        skipped=skipped,
        notes=notes,
    )


def _array_column(frame: pl.DataFrame, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    # A copy: polars may hand out read-only memory, which torch.from_numpy warns about.
    return np.array(frame[name].to_numpy().reshape((frame.height, *shape)), dtype=dtype)


def positions_from_stage_table(frame: pl.DataFrame, kind: str) -> EvalPositions:
    """Positions of a Stage 1, 2 or 3 table; every row is its own bootstrap unit."""
    if frame.height == 0:
        raise ValueError(f"{kind} table has no rows")
    count = frame.height
    boards = _array_column(frame, BOARD, (9, 9), np.uint8)
    hands = _array_column(frame, HAND, (14,), np.uint8)
    positions = EvalPositions(
        kind=kind,
        boards=boards,
        hands=hands,
        unit=np.arange(count, dtype=np.int64),
        unit_names=[str(index) for index in range(count)],
        unit_kind="position",
        ply=np.full(count, -1, dtype=np.int64),
        white=np.full(count, -1, dtype=np.int8),
        outcomes=np.full(count, np.nan, dtype=np.float32),
    )
    if kind == STAGE1:
        positions.reachable = _array_column(frame, REACHABLE, (81,), np.uint8)
        return positions
    if LEGAL_MOVES in frame.columns:
        positions.legal_masks = _array_column(frame, LEGAL_MOVES, (MOVE_LABELS_NUM,), np.uint8)
    else:
        positions.legal_masks = legal_moves_mask_from_encoded(boards, hands)
    if kind == STAGE3:
        targets = _array_column(frame, MOVE_LABEL, (MOVE_LABELS_NUM,), np.float32)
        scored = targets.sum(axis=1) > 0
        positions.skipped["empty policy target"] = int((~scored).sum())
        if not scored.all():
            positions = _subset(positions, scored)
            targets = targets[scored]
            frame = frame.filter(pl.Series(scored))
        positions.policy_targets = targets
        positions.move_labels = targets.argmax(axis=1).astype(np.int64)
        positions.outcomes = frame[RESULT_VALUE].cast(pl.Float32).to_numpy().copy()
    positions.notes.append(
        f"{kind} table: no move numbers or sides to move, so no phase or side breakdowns"
    )
    return positions


def _subset(positions: EvalPositions, keep: np.ndarray) -> EvalPositions:
    arrays = {}
    for name in ("boards", "hands", "unit", "ply", "white", "outcomes", "legal_masks",
                 "move_labels", "policy_targets", "reachable"):  # fmt: skip
        value = getattr(positions, name)
        arrays[name] = None if value is None else value[keep]
    _, arrays["unit"] = np.unique(arrays["unit"], return_inverse=True)
    kept_units = np.unique(positions.unit[keep])
    return EvalPositions(
        kind=positions.kind,
        unit_names=[positions.unit_names[index] for index in kept_units],
        unit_kind=positions.unit_kind,
        skipped=positions.skipped,
        fingerprint=positions.fingerprint,
        notes=positions.notes,
        **arrays,
    )


def _read_tables(files: list[Path]) -> tuple[pl.DataFrame, str]:
    frames, kinds = [], set()
    for path in files:
        frame = read_table(path)
        kinds.add(_table_kind(frame, str(path)))
        frames.append(frame)
    if len(kinds) > 1:
        raise ValueError(f"the data mixes table kinds ({', '.join(sorted(kinds))}); pass one kind")
    return pl.concat(frames, how="vertical_relaxed"), kinds.pop()


def load_positions(
    inputs: Sequence[str | Path] | str | Path | pl.DataFrame, workers: int = 1
) -> EvalPositions:
    """The positions of `inputs` (record files/folders, table files/folders, or a DataFrame)."""
    if isinstance(inputs, pl.DataFrame):
        kind = _table_kind(inputs, "the DataFrame")
        positions = (
            positions_from_games(inputs)
            if kind == GAMES
            else positions_from_stage_table(inputs, kind)
        )
        positions.fingerprint = {"source": "DataFrame", "sha256_rows": _hash_frame(inputs)}
        return _with_counts(positions, inputs.height)
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    if not inputs:
        raise ValueError("no data given")
    files = [file for path in map(Path, inputs) for file in _files_under(path)]
    if not files:
        raise ValueError(f"{', '.join(map(str, inputs))}: no files found")
    tables = [file for file in files if file.suffix in TABLE_SUFFIXES]
    records = [file for file in files if file.suffix.lower() in RECORD_SUFFIXES]
    if tables and records:
        raise ValueError(
            f"the data mixes tables ({tables[0]}) with record files ({records[0]}); pass one kind"
        )
    if tables:
        frame, kind = _read_tables(tables)
        positions = (
            positions_from_games(frame)
            if kind == GAMES
            else positions_from_stage_table(frame, kind)
        )
        rows = frame.height
        others = len(files) - len(tables)
        positions.skipped["files that are not tables (ignored)"] = others
        files = tables
    else:
        from maou_kit.data.convert import convert_records

        games, report = convert_records(list(inputs), workers=workers)
        if games.height == 0:
            raise ValueError(
                f"{', '.join(map(str, inputs))}: no game positions in the records "
                f"({'; '.join(report.lines()[:2])})"
            )
        positions = positions_from_games(games)
        positions.skipped.update(
            {
                "record files skipped": len(report.skipped_files),
                "games or records skipped by the reader": len(report.skipped_games),
            }
        )
        rows = games.height
    positions.fingerprint = {
        "source": "files",
        "files": [str(path) for path in files],
        "sha256_files": _hash_files(files),
    }
    return _with_counts(positions, rows)


def _with_counts(positions: EvalPositions, rows: int) -> EvalPositions:
    positions.fingerprint.update(
        {
            "kind": positions.kind,
            "rows_read": rows,
            "positions": len(positions),
            "units": len(positions.unit_names),
            "unit_kind": positions.unit_kind,
            "positions_without_result": int(np.isnan(positions.outcomes).sum()),
        }
    )
    return positions
