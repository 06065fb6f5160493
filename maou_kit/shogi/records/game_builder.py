"""Turning what a parser read into a checked `GameRecord`, or a `SkippedGame` with the reason.

Every parser (CSA, KIF, KI2, USI) feeds a `GameBuilder`: the start position, the
moves (replayed and checked one by one), engine scores, names, ratings and the ending
the record claims. `finish()` then decides the result:

- An illegal move skips the game, unless the record itself ends the game by an
  illegal move (%ILLEGAL_MOVE, %±ILLEGAL_ACTION, KIF 反則負け/反則勝ち): then the game
  is kept, cut before the illegal move, and the cut is noted.
- A claimed repetition is checked on the board: a fourfold repetition during which
  one side gave check with every move is a loss for that side (%OUTE_SENNICHITE),
  another fourfold repetition a draw (%SENNICHITE); a claim the board does not
  support gives no result. Old floodgate logs judged some perpetual checks as
  draws; the board check corrects them.
- A win declaration (%KACHI) is checked with the CSA 27-point rule; a declaration
  that fails it loses.
- With no ending: a game that reached the header's `Max_Moves` is a draw, a game
  whose side to move is checkmated is a win for the other side, anything else has
  no result.
Every such adjustment is recorded in `GameRecord.notes`.
"""

from __future__ import annotations

import math

import numpy as np

from maou_kit.schema import RESULT_BLACK_WIN, RESULT_DRAW, RESULT_NONE, RESULT_WHITE_WIN
from maou_kit.shogi.records.endings import (
    ILLEGAL_ENDINGS,
    REPETITION_ENDINGS,
    Ending,
    result_of_status,
)
from maou_kit.shogi.records.game_record import GAME, GameRecord, SkippedGame
from maou_kit.shogi.records.replay import GameReplay, IllegalMoveError, Repetition


def _winner(black_wins: bool) -> int:
    return RESULT_BLACK_WIN if black_wins else RESULT_WHITE_WIN


def adjudicate(
    ending: Ending | None, replay: GameReplay, max_moves: int | None = None
) -> tuple[int, str, list[str]]:
    """(result, endgame status, notes) for a replayed game and the ending its record claims."""
    black_to_move = replay.black_to_move
    if ending is None:
        if max_moves and replay.ply >= max_moves:
            return RESULT_DRAW, "%MAX_MOVES", [f"no ending recorded; reached Max_Moves {max_moves}"]
        if replay.is_checkmated():
            note = "no ending recorded; the side to move is checkmated"
            return _winner(not black_to_move), "%TSUMI", [note]
        return RESULT_NONE, "", []
    status = ending.status
    if status in REPETITION_ENDINGS:
        verdict = replay.repetition()
        if verdict is Repetition.NOT_REPEATED:
            note = f"record claims {status} but the final position did not occur four times"
            return RESULT_NONE, status, [note]
        judged = {
            Repetition.DRAW: (RESULT_DRAW, "%SENNICHITE"),
            Repetition.BLACK_CHECKED_THROUGHOUT: (RESULT_WHITE_WIN, "%OUTE_SENNICHITE"),
            Repetition.WHITE_CHECKED_THROUGHOUT: (RESULT_BLACK_WIN, "%OUTE_SENNICHITE"),
        }[verdict]
        stated = ending.stated_result
        notes = []
        if judged[1] != status or (stated is not None and stated != judged[0]):
            notes.append(f"record claims {status}; the board shows {verdict.value}")
        return judged[0], judged[1], notes
    if status == "%KACHI":
        if replay.declaration_wins():
            return _winner(black_to_move), status, []
        note = "win declaration fails the 27-point rule; the declarer loses"
        return _winner(not black_to_move), status, [note]
    if ending.stated_result is not None:
        return ending.stated_result, status, []
    return result_of_status(status, black_to_move), status, []


class GameBuilder:
    """Collects one game from a parser; `finish()` returns the record or the skip reason."""

    def __init__(self, source: str, index: int) -> None:
        self.source = source
        self.index = index
        self.names = ["", ""]
        self.ratings: list[float | None] = [None, None]
        self.max_moves: int | None = None
        self.ending: Ending | None = None
        self.fallback_ending: Ending | None = None  # used only when no ending token was read
        self.replay: GameReplay | None = None
        self.evals: list[int | None] = []
        self.error: str | None = None
        self.illegal: str | None = None

    def fail(self, reason: str) -> None:
        """Mark the game unusable (the first reason is kept)."""
        if self.error is None:
            self.error = reason

    def start(self, sfen: str) -> None:
        try:
            self.replay = GameReplay(sfen)
        except ValueError as error:
            self.fail(f"start position: {error}")

    @property
    def accepting_moves(self) -> bool:
        """True while moves can still be replayed (started, no error, no illegal move yet)."""
        return self.replay is not None and self.error is None and self.illegal is None

    def play_usi(self, usi: str) -> None:
        """Replay one USI move; an illegal one stops the replay and is remembered."""
        if not self.accepting_moves:
            return
        try:
            self.replay.push_usi(usi)
        except IllegalMoveError as error:
            self.illegal = str(error)
            return
        self.evals.append(None)

    def play_checked(self, move: int) -> None:
        """Replay a cshogi move the parser took from the legal-move list."""
        self.replay.push(move)
        self.evals.append(None)

    def mark_illegal(self, reason: str) -> None:
        """A move the parser could not match to any legal move."""
        if self.illegal is None:
            self.illegal = reason

    def set_last_eval_black_view(self, score: int) -> None:
        """Attach a score given from Black's point of view to the last move (first one wins)."""
        if not self.evals or self.evals[-1] is not None or self.illegal is not None:
            return
        last_mover_is_black = self.replay.start_black_to_move == ((len(self.evals) - 1) % 2 == 0)
        self.evals[-1] = score if last_mover_is_black else -score

    def finish(self) -> GameRecord | SkippedGame:
        if self.error is not None:
            return SkippedGame(self.source, self.index, self.error)
        if self.replay is None:
            return SkippedGame(self.source, self.index, "no start position")
        ending = self.ending or self.fallback_ending
        notes = []
        if self.illegal is not None:
            if ending is None or ending.status not in ILLEGAL_ENDINGS:
                return SkippedGame(self.source, self.index, f"illegal move: {self.illegal}")
            notes.append(f"game ends by an illegal move; cut before it: {self.illegal}")
        result, status, verdict_notes = adjudicate(ending, self.replay, self.max_moves)
        notes.extend(verdict_notes)
        known_ratings = [rating for rating in self.ratings if rating is not None]
        ratings = None
        if known_ratings:
            black, white = (math.nan if rating is None else rating for rating in self.ratings)
            ratings = (black, white)
        return GameRecord(
            source=self.source,
            index=self.index,
            start_sfen=self.replay.start_sfen,
            moves=tuple(self.replay.moves),
            evals=tuple(self.evals) if any(value is not None for value in self.evals) else None,
            result=result,
            endgame_status=status,
            ratings=ratings,
            names=(self.names[0], self.names[1]),
            kind=GAME,
            notes=tuple(notes),
            hcps=self.replay.hcps.copy(),
            move16s=np.array(self.replay.move16s, dtype=np.uint16),
        )
