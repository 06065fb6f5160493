"""Replaying a game on a `cshogi.Board`: every move checked against the legal-move list,
plus the two board checks that decide disputed endings (repetition and declaration).

A move is accepted only if it is in `board.legal_moves` (full legality: no pawn-drop
mate, no leaving the king in check, forced promotion). `Board.is_legal` alone is not
enough: it accepts "7g7f+", a promotion outside the promotion zone.
"""

from __future__ import annotations

import enum

import cshogi

from maou_kit.shogi.sfen import parse_sfen


class IllegalMoveError(ValueError):
    """A record's move that is not legal in the position it is played from."""


class Repetition(enum.Enum):
    NOT_REPEATED = "not repeated"  # the final position did not occur four times
    DRAW = "draw"
    BLACK_CHECKED_THROUGHOUT = "black gave check throughout"  # Black loses
    WHITE_CHECKED_THROUGHOUT = "white gave check throughout"  # White loses


def _position_key(board: cshogi.Board) -> str:
    return board.sfen().rsplit(" ", 1)[0]  # board, side and hands; not the move number


class GameReplay:
    """A game being replayed from `start_sfen` (checked first: cshogi aborts on bad SFEN)."""

    def __init__(self, start_sfen: str) -> None:
        self.start_sfen = parse_sfen(start_sfen)
        self.board = cshogi.Board(self.start_sfen)
        self.start_black_to_move = self.board.turn == cshogi.BLACK
        self.moves: list[str] = []
        self._keys = [_position_key(self.board)]
        self._in_check_after: list[bool] = []

    @property
    def ply(self) -> int:
        return len(self.moves)

    @property
    def black_to_move(self) -> bool:
        return self.board.turn == cshogi.BLACK

    def legal_moves(self) -> list[int]:
        return list(self.board.legal_moves)

    def push(self, move: int) -> None:
        """Play a cshogi move already taken from `legal_moves()`."""
        self.board.push(move)
        self.moves.append(cshogi.move_to_usi(move))
        self._keys.append(_position_key(self.board))
        self._in_check_after.append(bool(self.board.is_check()))

    def push_usi(self, usi: str) -> None:
        """Play a USI move, or raise IllegalMoveError saying which move and why."""
        move = self.board.move_from_usi(usi)
        if move == 0 or move not in self.legal_moves():
            raise IllegalMoveError(
                f"move {self.ply + 1} {usi!r} is not legal in {self.board.sfen()!r}"
            )
        self.push(move)

    def repetition(self) -> Repetition:
        """Judge the final position as a fourfold repetition (千日手), with perpetual check.

        Over the span from the first of the last four occurrences to the end, a side
        whose every move gave check loses; otherwise the repetition is a draw.
        """
        final = self._keys[-1]
        occurrences = [ply for ply, key in enumerate(self._keys) if key == final]
        if len(occurrences) < 4:
            return Repetition.NOT_REPEATED
        checked_throughout = {True: True, False: True}  # keyed by "mover is Black"
        for ply in range(occurrences[-4], len(self.moves)):
            mover_is_black = self.start_black_to_move == (ply % 2 == 0)
            if not self._in_check_after[ply]:
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
