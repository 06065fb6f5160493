"""What a self-play game is made of: a player's decision, a played move, the finished game.

Also the `Player` protocol every move source implements (the built-in player, a USI
engine, a scripted test player). Results use the HCPE `gameResult` codes from
`maou_kit.schema` (0 draw, 1 Black win, 2 White win), the same numbers cshogi's CSA
parser reports as `parser.win`, so a written file round-trips without a mapping table.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import cshogi

# Floodgate / cshogi convention: a forced mate is written as +-100000 in the '** comment.
MATE_SCORE = 100_000
RESIGN = "resign"
DECLARE_WIN = "win"


class Termination(enum.StrEnum):
    """Why a game ended (kept in the record; the CSA `%` line is derived from it)."""

    MATE = "mate"  # the side to move has no legal move
    RESIGN = "resign"  # an engine answered `bestmove resign`
    DECLARATION = "declaration"  # entering-king declaration win (27-point rule)
    ILLEGAL_DECLARATION = "illegal_declaration"  # `bestmove win` when the rule is not met
    ILLEGAL_MOVE = "illegal_move"  # a player answered a move that is not legal
    REPETITION = "repetition"  # fourth occurrence of a position, no perpetual check
    PERPETUAL_CHECK = "perpetual_check"  # repetition where one side checked every move
    MAX_MOVES = "max_moves"  # the ply limit was reached


@dataclass(frozen=True)
class MoveDecision:
    """A player's answer for one position, scores from the mover's point of view."""

    move: str  # USI move, or RESIGN / DECLARE_WIN
    score_cp: int | None = None
    mate_in: int | None = None  # signed plies to mate: > 0 the mover mates, < 0 is mated
    pv: tuple[str, ...] = ()  # USI moves starting with `move` (may be empty)

    @property
    def score(self) -> int | None:
        """One integer score for the mover: centipawns, or +-MATE_SCORE for a mate."""
        if self.mate_in is not None:
            return MATE_SCORE if self.mate_in > 0 else -MATE_SCORE
        return self.score_cp


@dataclass(frozen=True)
class PlayedMove:
    """One ply of a game: the move, who chose it and how long it took."""

    usi: str
    seconds: float
    decision: MoveDecision | None  # None for a random opening move (no evaluation)


@dataclass
class GameRecord:
    """A finished game, everything `write_csa` needs."""

    start_sfen: str
    moves: list[PlayedMove]
    termination: Termination
    winner: int  # schema.RESULT_DRAW / RESULT_BLACK_WIN / RESULT_WHITE_WIN
    black_name: str
    white_name: str
    event: str = "maou_kit selfplay"
    start_time: datetime = field(default_factory=datetime.now)
    # The side that checked on every move of a perpetual-check cycle (0 Black, 1 White).
    perpetual_checker: int | None = None

    @property
    def usi_moves(self) -> list[str]:
        return [move.usi for move in self.moves]


@dataclass(frozen=True)
class GameSummary:
    """What `play_games` reports per game: outcome, where it was written, the record."""

    index: int
    seed: int
    plies: int
    winner: int
    termination: Termination
    path: Path | None
    record: GameRecord


@runtime_checkable
class Player(Protocol):
    """A move source. The game loop calls `new_game` once per game and per distinct player."""

    name: str

    def new_game(self, seed: int) -> None:
        """Reset per-game state; `seed` makes any randomness reproducible."""

    def choose_move(
        self, board: cshogi.Board, start_sfen: str, usi_moves: Sequence[str]
    ) -> MoveDecision:
        """Answer for `board` (a copy the player may modify), reached by `usi_moves`."""
        ...

    def close(self) -> None:
        """Release processes or other resources; safe to call twice."""
