"""The answers a playing engine gives without consulting the network.

Checked in this order before any policy or search:
- no legal move: the side to move is mated (or stalemated, a loss in shogi): `resign`,
  the only case in which the engine resigns;
- the entering-king declaration is legal (CSA 27-point rule, cshogi's `is_nyugyoku`):
  `win`, which ends the game at once;
- a move that mates at once: play it. Found by trying every legal check (not only
  cshogi's `mate_move_in_1ply`, which can miss some, e.g. discovered checks); a
  pawn-drop mate is never among the legal moves, so it is never chosen.
"""

from __future__ import annotations

import cshogi

from maou_kit.selfplay.records import DECLARE_WIN, RESIGN


def mate_in_one(board: cshogi.Board) -> int | None:
    """A legal move that leaves the opponent in check with no legal reply, else None."""
    quick = board.mate_move_in_1ply()
    if quick and board.is_legal(quick):
        return int(quick)
    for move in board.legal_moves:
        board.push(move)
        mated = board.is_check() and not any(True for _ in board.legal_moves)
        board.pop()
        if mated:
            return int(move)
    return None


def forced_answer(board: cshogi.Board) -> str | None:
    """`resign`, `win` or a mating USI move when the rules decide; None to let the network play."""
    if not any(True for _ in board.legal_moves):
        return RESIGN
    if board.is_nyugyoku():
        return DECLARE_WIN
    mate = mate_in_one(board)
    if mate is not None:
        return cshogi.move_to_usi(mate)
    return None
