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

from collections.abc import Iterable

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
    GAMES_COLUMNS,
    HCP,
    ID,
    MOVES,
    PLY,
    RATINGS,
)
from maou_kit.shogi.records.game_record import POSITION, GameRecord
from maou_kit.shogi.sfen import parse_sfen

__all__ = ["GAMES_SCHEMA", "games_table", "hcpe_table", "read_table", "write_table"]

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


def _clip(score: int | None) -> int | None:
    return None if score is None else max(-EVAL_LIMIT, min(EVAL_LIMIT, int(score)))


def _game_rows(record: GameRecord) -> tuple[np.ndarray, list[int]]:
    """(hcp of each row, move16 of each row) for one record, replaying its moves."""
    board = cshogi.Board(parse_sfen(record.start_sfen))
    if record.kind == POSITION:
        hcps = np.empty((1, 32), dtype=np.uint8)
        board.to_hcp(hcps[0])
        return hcps, [0]
    hcps = np.empty((len(record.moves), 32), dtype=np.uint8)
    move16s = []
    for ply, usi in enumerate(record.moves):
        move = board.move_from_usi(usi)
        if move == 0 or move not in board.legal_moves:
            raise ValueError(f"{record.game_id}: move {ply + 1} {usi!r} is not legal")
        board.to_hcp(hcps[ply])
        move16s.append(cshogi.move16(move))
        board.push(move)
    return hcps, move16s


def games_table(records: Iterable[GameRecord]) -> pl.DataFrame:
    """The games table of `records` (one row per move; one per position record)."""
    hcp_blocks, columns = [], {name: [] for name in GAMES_COLUMNS if name != HCP}
    for record in records:
        hcps, move16s = _game_rows(record)
        rows = len(move16s)
        hcp_blocks.append(hcps)
        if record.evals is not None and record.kind != POSITION:
            columns[EVAL].extend(_clip(value) for value in record.evals)
        else:
            columns[EVAL].extend([None] * rows)
        columns[BEST_MOVE16].extend(move16s)
        columns[GAME_RESULT].extend([record.result] * rows)
        columns[ID].extend(f"{record.game_id}:{ply}" for ply in range(rows))
        ratings = list(record.ratings) if record.ratings is not None else []
        columns[RATINGS].extend([ratings] * rows)
        columns[ENDGAME_STATUS].extend([record.endgame_status] * rows)
        columns[MOVES].extend([len(record.moves)] * rows)
        columns[GAME_ID].extend([record.game_id] * rows)
        columns[PLY].extend(range(rows))
    all_hcps = np.concatenate(hcp_blocks) if hcp_blocks else np.empty((0, 32), np.uint8)
    data = {HCP: [row.tobytes() for row in all_hcps], **columns}
    return pl.DataFrame(data, schema=GAMES_SCHEMA)


def hcpe_table(
    records: np.ndarray, game_id: str, indices: np.ndarray | None = None
) -> pl.DataFrame:
    """The games table of HCPE records (their own eval, bestMove16 and gameResult).

    `indices` are the records' positions in their file (default 0..n-1); they go
    into `id` so a row can be traced back to its record. HCPE does not say which
    game a record belongs to or at which ply, so `ply` and `moves` are null and all
    rows of a file share `gameId` (a split by game keeps the file on one side).
    """
    count = len(records)
    indices = np.arange(count) if indices is None else np.asarray(indices)
    hcp_bytes = np.ascontiguousarray(records["hcp"]).tobytes()
    return pl.DataFrame(
        {
            HCP: [hcp_bytes[32 * row : 32 * row + 32] for row in range(count)],
            EVAL: np.clip(records["eval"].astype(np.int32), -EVAL_LIMIT, EVAL_LIMIT),
            BEST_MOVE16: records["bestMove16"].view(np.uint16),
            GAME_RESULT: records["gameResult"].astype(np.int8),
            ID: [f"{game_id}:{index}" for index in indices],
            RATINGS: [[] for _ in range(count)],
            ENDGAME_STATUS: [""] * count,
            MOVES: [None] * count,
            GAME_ID: [game_id] * count,
            PLY: [None] * count,
        },
        schema=GAMES_SCHEMA,
    )
