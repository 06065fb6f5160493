"""HCPE files: cshogi's 38-byte `HuffmanCodedPosAndEval` records, one position each.

A record holds the position (`hcp`, 32 bytes), the engine score from the side to
move (`eval`), the move played (`bestMove16`, cshogi's 16-bit move) and the game's
result (`gameResult`: 0 draw, 1 Black win, 2 White win). A file whose size is not a
multiple of 38 bytes is truncated or not HCPE at all and is refused whole. Records
are then checked one by one (`check_hcpe`): the position must decode to a valid
position, the move must be legal there (0 = no move is allowed), the result 0..2.
"""

from __future__ import annotations

from pathlib import Path

import cshogi
import numpy as np

from maou_kit.shogi.encoding import hcp_problems
from maou_kit.shogi.records.game_record import SkippedGame
from maou_kit.shogi.sfen import parse_sfen

HCPE_DTYPE = np.dtype(cshogi.HuffmanCodedPosAndEval)
HCPE_RECORD_BYTES = HCPE_DTYPE.itemsize


def read_hcpe(path: str | Path) -> np.ndarray:
    """All records of an HCPE file; ValueError naming the file if its size is not 38*k."""
    path = Path(path)
    size = path.stat().st_size
    if size % HCPE_RECORD_BYTES:
        raise ValueError(
            f"{path}: {size} bytes is not a whole number of {HCPE_RECORD_BYTES}-byte HCPE "
            "records (truncated or not an HCPE file)"
        )
    return np.fromfile(path, dtype=HCPE_DTYPE)


def write_hcpe(path: str | Path, records: np.ndarray) -> None:
    """Write records (dtype `HCPE_DTYPE`) as an HCPE file."""
    np.asarray(records, dtype=HCPE_DTYPE).tofile(Path(path))


def _record_problem(board: cshogi.Board, record: np.void) -> str | None:
    header_problem = hcp_problems(np.ascontiguousarray(record["hcp"])[None])[0]
    if header_problem is not None:
        return f"undecodable position ({header_problem})"
    try:
        board.set_hcp(np.ascontiguousarray(record["hcp"]))
    except RuntimeError as error:
        return f"undecodable position ({error})"
    try:
        parse_sfen(board.sfen())
    except ValueError as error:
        return str(error)
    if int(record["gameResult"]) not in (0, 1, 2):
        return f"gameResult {int(record['gameResult'])} is not 0, 1 or 2"
    move16 = int(record["bestMove16"]) & 0xFFFF
    if move16 and board.move_from_move16(move16) not in board.legal_moves:
        return f"bestMove16 {move16} is not a legal move in {board.sfen()!r}"
    return None


def check_hcpe(records: np.ndarray, source: str) -> tuple[np.ndarray, list[SkippedGame]]:
    """(mask of usable records, one SkippedGame per unusable record with the reason)."""
    board = cshogi.Board()
    usable = np.ones(len(records), dtype=bool)
    skipped = []
    for index, record in enumerate(records):
        problem = _record_problem(board, record)
        if problem is not None:
            usable[index] = False
            skipped.append(SkippedGame(source, index, problem))
    return usable, skipped
