"""The games table (HCPE-like, SPEC section 5): one row per position, built from checked
game records or from HCPE records.

| column | type | meaning |
|---|---|---|
| hcp | Binary (32 bytes) | `cshogi.Board.to_hcp` of the position |
| eval | Int16, null if unknown | engine score from the side to move, clipped to +-32767 |
| bestMove16 | UInt16 | `cshogi.move16` of the move played there; 0 when no move (SFEN lists) |
| gameResult | Int8 | 0 draw, 1 Black win, 2 White win, -1 no result |
| id | Utf8 | f"{gameId}:{ply}"; for HCPE f"{file}:{record index in the file}" |
| ratings | List(Float32) | [black, white] (NaN for a missing side); empty when unknown |
| endgameStatus | Utf8 | CSA ending token ("%TORYO", ...); "" when none |
| moves | Int16, null if unknown | length of the game |
| gameId | Utf8 | "<file>#<game index>"; for HCPE the file name (game boundaries unknown) |
| ply | Int16, null if unknown | moves played before the position; null for HCPE |

A game gives one row per move: the position *before* the move, with that move as
`bestMove16` (the final position, with no move played, gives no row). A position
record (SFEN list line) gives one row with `bestMove16` 0.

Tables are written and read by `write_table` / `read_table` (from `table_io`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cshogi
import numpy as np
import polars as pl

from maou_kit.data.table_io import read_table, write_table
from maou_kit.schema import (
    BEST_MOVE16,
    ENDGAME_STATUS,
    EVAL,
    GAME_ID,
    GAME_RESULT,
    HCP,
    ID,
    MOVES,
    PLY,
    RATINGS,
)
from maou_kit.shogi.records.game_record import POSITION, GameRecord
from maou_kit.shogi.sfen import parse_sfen

__all__ = [
    "GAMES_SCHEMA",
    "FileRows",
    "games_table",
    "hcpe_rows",
    "hcpe_table",
    "read_table",
    "records_rows",
    "rows_table",
    "write_table",
]

GAMES_SCHEMA = pl.Schema(
    {
        HCP: pl.Binary,
        EVAL: pl.Int16,
        BEST_MOVE16: pl.UInt16,
        GAME_RESULT: pl.Int8,
        ID: pl.Utf8,
        RATINGS: pl.List(pl.Float32),
        ENDGAME_STATUS: pl.Utf8,
        MOVES: pl.Int16,
        GAME_ID: pl.Utf8,
        PLY: pl.Int16,
    }
)
EVAL_LIMIT = 32767  # symmetric, so negating a clipped score stays in range


@dataclass
class FileRows:
    """The games-table rows of one file in compact, picklable numpy form (no polars), so a
    worker process can build them cheaply and the parent turns many files into one
    DataFrame at once (`rows_table`).

    Per row: `hcps` (n x 32), `move16`, `evals` with `eval_known`, `numbers` (the ply, or
    the HCPE record index) and `row_game` (index into the per-game lists).
    """

    hcps: np.ndarray
    move16: np.ndarray
    evals: np.ndarray
    eval_known: np.ndarray
    numbers: np.ndarray
    row_game: np.ndarray
    game_ids: list[str]
    results: list[int]
    ratings: list[list[float]]
    statuses: list[str]
    lengths: list[int | None]  # None: HCPE (moves and ply unknown)

    @property
    def height(self) -> int:
        return len(self.move16)


def _record_rows(record: GameRecord) -> tuple[np.ndarray, np.ndarray]:
    """(hcp of each row, move16 of each row) for one record: the ones its reader kept, or
    replayed here (every move checked) for a record built by hand."""
    if record.hcps is not None and record.move16s is not None:
        return record.hcps, record.move16s
    board = cshogi.Board(parse_sfen(record.start_sfen))
    if record.kind == POSITION:
        hcps = np.empty((1, 32), dtype=np.uint8)
        board.to_hcp(hcps[0])
        return hcps, np.zeros(1, dtype=np.uint16)
    hcps = np.empty((len(record.moves), 32), dtype=np.uint8)
    move16s = np.empty(len(record.moves), dtype=np.uint16)
    for ply, usi in enumerate(record.moves):
        move = board.move_from_usi(usi)
        if move == 0 or move not in board.legal_moves:
            raise ValueError(f"{record.game_id}: move {ply + 1} {usi!r} is not legal")
        board.to_hcp(hcps[ply])
        move16s[ply] = cshogi.move16(move)
        board.push(move)
    return hcps, move16s


def records_rows(records: Iterable[GameRecord]) -> FileRows:
    """The rows of game records (one per move; one per position record)."""
    hcp_blocks, move_blocks, eval_blocks, known_blocks, games = [], [], [], [], []
    game_ids, results, ratings, statuses, lengths = [], [], [], [], []
    for record in records:
        hcps, move16s = _record_rows(record)
        rows = len(move16s)
        hcp_blocks.append(hcps)
        move_blocks.append(move16s)
        if record.evals is not None and record.kind != POSITION:
            # Column-wise: None marks an unknown score (an object array compares in C).
            scores = np.array(record.evals, dtype=object)
            known = scores != None  # noqa: E711 (element-wise, not identity)
            # Clipped while still Python ints, so no score is too large for the cast.
            values = np.minimum(np.maximum(np.where(known, scores, 0), -EVAL_LIMIT), EVAL_LIMIT)
            eval_blocks.append(values.astype(np.int32))
            known_blocks.append(known.astype(bool))
        else:
            eval_blocks.append(np.zeros(rows, dtype=np.int32))
            known_blocks.append(np.zeros(rows, dtype=bool))
        games.append(rows)
        game_ids.append(record.game_id)
        results.append(record.result)
        ratings.append(list(record.ratings) if record.ratings is not None else [])
        statuses.append(record.endgame_status)
        lengths.append(len(record.moves))
    counts = np.array(games, dtype=np.int64)
    return FileRows(
        hcps=np.concatenate(hcp_blocks) if hcp_blocks else np.empty((0, 32), np.uint8),
        move16=np.concatenate(move_blocks) if move_blocks else np.empty(0, np.uint16),
        evals=np.concatenate(eval_blocks) if eval_blocks else np.empty(0, np.int32),
        eval_known=np.concatenate(known_blocks) if known_blocks else np.empty(0, bool),
        numbers=_ranges(counts),
        row_game=np.repeat(np.arange(len(counts), dtype=np.int64), counts),
        game_ids=game_ids,
        results=results,
        ratings=ratings,
        statuses=statuses,
        lengths=lengths,
    )


def _ranges(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for each count c, concatenated."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


def hcpe_rows(records: np.ndarray, game_id: str, indices: np.ndarray | None = None) -> FileRows:
    """The rows of HCPE records (see `hcpe_table`)."""
    indices = np.arange(len(records)) if indices is None else np.asarray(indices)
    return _hcpe_file_rows(records, game_id, indices)


def _hcpe_file_rows(records: np.ndarray, game_id: str, indices: np.ndarray) -> FileRows:
    # HCPE results are per record, so each record is its own "game" entry in the lists
    # (all with the file's game id).
    count = len(records)
    return FileRows(
        hcps=np.ascontiguousarray(records["hcp"]).reshape(count, 32),
        move16=records["bestMove16"].view(np.uint16).copy(),
        evals=np.clip(records["eval"].astype(np.int32), -EVAL_LIMIT, EVAL_LIMIT),
        eval_known=np.ones(count, dtype=bool),
        numbers=indices.astype(np.int64),
        row_game=np.arange(count, dtype=np.int64),
        game_ids=[game_id] * count,
        results=records["gameResult"].astype(np.int64).tolist(),
        ratings=[[]] * count,
        statuses=[""] * count,
        lengths=[None] * count,
    )


def rows_table(parts: Sequence[FileRows]) -> pl.DataFrame:
    """One games table (GAMES_SCHEMA) from the rows of many files, built column-wise."""
    parts = [part for part in parts if part.height]
    if not parts:
        return pl.DataFrame(schema=GAMES_SCHEMA)
    offsets = np.cumsum([0] + [len(part.game_ids) for part in parts[:-1]])
    row_game = np.concatenate([p.row_game + o for p, o in zip(parts, offsets, strict=True)])
    per_game = pl.DataFrame(
        {
            GAME_ID: [g for part in parts for g in part.game_ids],
            GAME_RESULT: [r for part in parts for r in part.results],
            RATINGS: [r for part in parts for r in part.ratings],
            ENDGAME_STATUS: [s for part in parts for s in part.statuses],
            MOVES: [n for part in parts for n in part.lengths],
        },
        schema={
            GAME_ID: pl.Utf8, GAME_RESULT: pl.Int8, RATINGS: pl.List(pl.Float32),
            ENDGAME_STATUS: pl.Utf8, MOVES: pl.Int16,
        },
    )  # fmt: skip
    hcps = np.concatenate([part.hcps for part in parts])
    flat = np.ascontiguousarray(hcps).tobytes()
    rows = pl.DataFrame(
        {
            HCP: pl.Series([flat[i : i + 32] for i in range(0, len(flat), 32)], dtype=pl.Binary),
            "_eval": np.concatenate([part.evals for part in parts]),
            "_known": np.concatenate([part.eval_known for part in parts]),
            BEST_MOVE16: np.concatenate([part.move16 for part in parts]),
            "_number": np.concatenate([part.numbers for part in parts]),
            "_game": row_game,
        }
    )
    games = per_game[row_game]
    table = pl.concat([rows, games], how="horizontal").select(
        pl.col(HCP),
        pl.when(pl.col("_known")).then(pl.col("_eval")).cast(pl.Int16).alias(EVAL),
        pl.col(BEST_MOVE16).cast(pl.UInt16),
        pl.col(GAME_RESULT),
        pl.concat_str(pl.col(GAME_ID), pl.lit(":"), pl.col("_number").cast(pl.Utf8)).alias(ID),
        pl.col(RATINGS),
        pl.col(ENDGAME_STATUS),
        pl.col(MOVES),
        pl.col(GAME_ID),
        pl.when(pl.col(MOVES).is_not_null()).then(pl.col("_number")).cast(pl.Int16).alias(PLY),
    )
    return table


def games_table(records: Iterable[GameRecord]) -> pl.DataFrame:
    """The games table of `records` (one row per move; one per position record)."""
    return rows_table([records_rows(records)])


def hcpe_table(
    records: np.ndarray, game_id: str, indices: np.ndarray | None = None
) -> pl.DataFrame:
    """The games table of HCPE records (their own eval, bestMove16 and gameResult).

    `indices` are the records' positions in their file (default 0..n-1); they go
    into `id` so a row can be traced back to its record. HCPE does not say which
    game a record belongs to or at which ply, so `ply` and `moves` are null and all
    rows of a file share `gameId` (a split by game keeps the file on one side).
    """
    indices = np.arange(len(records)) if indices is None else np.asarray(indices)
    return rows_table([_hcpe_file_rows(records, game_id, indices)])
