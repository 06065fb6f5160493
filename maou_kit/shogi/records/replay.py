"""Replaying a game on a `cshogi.Board`: every move checked against the legal-move list,
plus the two board checks that decide disputed endings (repetition and declaration).

A move is accepted only if it is legal (no pawn-drop mate, no leaving the king in
check, forced promotion), as `board.legal_moves` would say. Building that list for
every move is the slowest step of reading a record, so `is_legal_move` asks
`Board.is_legal` and adds the two rules it does not check (it accepts "7g7f+", a
promotion outside the zone, and a pawn, lance or knight moved or dropped where it could
never move again); pawn drops, where a drop mate hides, still go through the list.

The replay keeps the HCP of every position before a move and each move's move16, so
the games table needs no second replay; the positions a repetition check needs are
rebuilt only when a record claims one.
"""

from __future__ import annotations

import enum
import functools

import cshogi
import numpy as np

from maou_kit.shogi.sfen import parse_sfen

# Most records start from a handful of positions (the initial one, the handicaps), so
# the check of a start SFEN is remembered (a refused one raises again each time).
_checked_sfen = functools.lru_cache(maxsize=1024)(parse_sfen)


class IllegalMoveError(ValueError):
    """A record's move that is not legal in the position it is played from."""


class Repetition(enum.Enum):
    NOT_REPEATED = "not repeated"  # the final position did not occur four times
    DRAW = "draw"
    BLACK_CHECKED_THROUGHOUT = "black gave check throughout"  # Black loses
    WHITE_CHECKED_THROUGHOUT = "white gave check throughout"  # White loses


def _position_key(board: cshogi.Board) -> str:
    return board.sfen().rsplit(" ", 1)[0]  # board, side and hands; not the move number


def is_legal_move(board: cshogi.Board, move: int) -> bool:
    """Whether `move` (from `move_from_usi`/`move_from_csa`) is in `board.legal_moves`."""
    if move == 0 or not board.is_legal(move):
        return False
    black = board.turn == cshogi.BLACK
    to = cshogi.move_to(move)
    depth = to % 9 if black else 8 - to % 9  # 0: the mover's last rank
    if cshogi.move_is_drop(move):
        kind = cshogi.move_drop_hand_piece(move)  # 0 pawn, 1 lance, 2 knight, ...
        if kind == 0:  # a pawn drop may be a drop mate: the full list decides
            return move in board.legal_moves
        return not ((kind == 1 and depth == 0) or (kind == 2 and depth <= 1))
    origin = cshogi.move_from(move)
    piece_type = board.piece_type(origin)
    if cshogi.move_is_promotion(move):
        origin_depth = origin % 9 if black else 8 - origin % 9
        return 1 <= piece_type <= 6 and (depth <= 2 or origin_depth <= 2)
    return not ((piece_type in (1, 2) and depth == 0) or (piece_type == 3 and depth <= 1))


class GameReplay:
    """A game being replayed from `start_sfen` (checked first: cshogi aborts on bad SFEN)."""

    def __init__(self, start_sfen: str) -> None:
        self.start_sfen = _checked_sfen(start_sfen)
        self.board = cshogi.Board(self.start_sfen)
        self.start_black_to_move = self.board.turn == cshogi.BLACK
        self.moves: list[str] = []
        self.move16s: list[int] = []
        self._hcps = np.empty((128, 32), dtype=np.uint8)

    @property
    def ply(self) -> int:
        return len(self.moves)

    @property
    def black_to_move(self) -> bool:
        return self.board.turn == cshogi.BLACK

    @property
    def hcps(self) -> np.ndarray:
        """HCP of the position before each move played so far (a view; copy to keep)."""
        return self._hcps[: len(self.moves)]

    def legal_moves(self) -> list[int]:
        return list(self.board.legal_moves)

    def push(self, move: int) -> None:
        """Play a cshogi move already known to be legal."""
        ply = len(self.moves)
        if ply == len(self._hcps):
            self._hcps = np.concatenate([self._hcps, np.empty_like(self._hcps)])
        self.board.to_hcp(self._hcps[ply])
        self.move16s.append(cshogi.move16(move))
        self.board.push(move)
        self.moves.append(cshogi.move_to_usi(move))

    def reserve(self, extra: int) -> np.ndarray:
        """The HCP buffer, with room for `extra` more positions: a reader that plays
        moves itself (`to_hcp` into row `ply`, then `board.push`) writes there and then
        hands the moves to `extend_played`."""
        needed = len(self.moves) + extra
        if needed > len(self._hcps):
            grown = np.empty((max(needed, 2 * len(self._hcps)), 32), dtype=np.uint8)
            grown[: len(self.moves)] = self._hcps[: len(self.moves)]
            self._hcps = grown
        return self._hcps

    def extend_played(self, moves: list[int]) -> None:
        """Record moves a reader played on `board` itself (each checked legal, its HCP
        written into the `reserve` buffer first), as `push` would have."""
        self.moves.extend(map(cshogi.move_to_usi, moves))
        self.move16s.extend(move & 0xFFFF for move in moves)  # what cshogi.move16 gives

    def push_usi(self, usi: str) -> None:
        """Play a USI move, or raise IllegalMoveError saying which move and why."""
        move = self.board.move_from_usi(usi)
        if not is_legal_move(self.board, move):
            raise IllegalMoveError(
                f"move {self.ply + 1} {usi!r} is not legal in {self.board.sfen()!r}"
            )
        self.push(move)

    def _positions(self) -> tuple[list[str], list[bool]]:
        """Key of every position of the game and, per move, whether it gave check."""
        board = cshogi.Board(self.start_sfen)
        keys, in_check_after = [_position_key(board)], []
        for usi in self.moves:
            board.push_usi(usi)
            keys.append(_position_key(board))
            in_check_after.append(bool(board.is_check()))
        return keys, in_check_after

    def repetition(self) -> Repetition:
        """Judge the final position as a fourfold repetition (千日手), with perpetual check.

        Over the span from the first of the last four occurrences to the end, a side
        whose every move gave check loses; otherwise the repetition is a draw.
        """
        keys, in_check_after = self._positions()
        final = keys[-1]
        occurrences = [ply for ply, key in enumerate(keys) if key == final]
        if len(occurrences) < 4:
            return Repetition.NOT_REPEATED
        checked_throughout = {True: True, False: True}  # keyed by "mover is Black"
        for ply in range(occurrences[-4], len(self.moves)):
            mover_is_black = self.start_black_to_move == (ply % 2 == 0)
            if not in_check_after[ply]:
                checked_throughout[mover_is_black] = False
        if checked_throughout[True] and not checked_throughout[False]:
            return Repetition.BLACK_CHECKED_THROUGHOUT
        if checked_throughout[False] and not checked_throughout[True]:
            return Repetition.WHITE_CHECKED_THROUGHOUT
        return Repetition.DRAW

    def declaration_wins(self) -> bool:
        """Whether the side to move may declare a win (入玉宣言) under the CSA 27-point rule."""
        return bool(self.board.is_nyugyoku(cshogi.LAW_27))

    def is_checkmated(self) -> bool:
        """The side to move is in check with no legal move."""
        return bool(self.board.is_check()) and not self.legal_moves()
