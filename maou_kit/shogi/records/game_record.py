"""What reading a game record yields: `GameRecord` (one checked game or position) and
`SkippedGame` (a game that could not be used, with the reason), plus `FileRecords`,
everything read from one file.

Conventions every reader follows:

- `moves` are USI strings, each one legal in the position it was played from (checked
  by replaying the game on a `cshogi.Board`).
- `evals[i]` is the engine score attached to move `i`, converted to the HCPE convention:
  the score of the position *before* move `i`, from the point of view of the side to
  move there (the side playing move `i`). `None` where the record gives no score.
- `result` uses the HCPE codes of `maou_kit.schema` (0 draw, 1 Black win, 2 White win)
  plus `RESULT_NONE` (-1) when the record does not establish a winner.
- `endgame_status` is a CSA `%` token ("%TORYO", "%SENNICHITE", ...) whatever the
  source format (KIF 投了 becomes "%TORYO"); "" when the record has no ending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

GAME = "game"
POSITION = "position"


@dataclass(frozen=True)
class GameRecord:
    """One game (or, with `kind == "position"`, one bare position) read from a file.

    A game yields one table row per move (the position before it); a position yields
    one row with no move. `source` is the file's display name (relative to the input
    root), `index` the game's index within that file.
    """

    source: str
    index: int
    start_sfen: str
    moves: tuple[str, ...]
    evals: tuple[int | None, ...] | None
    result: int
    endgame_status: str
    ratings: tuple[float, float] | None = None
    names: tuple[str, str] = ("", "")
    kind: Literal["game", "position"] = GAME
    notes: tuple[str, ...] = field(default=())
    # The HCP of the position before each move (n x 32 uint8) and each move's move16, as
    # the reader's replay produced them, so the games table need not replay the game
    # again; None for records built by hand (the table replays those).
    hcps: np.ndarray | None = field(default=None, compare=False, repr=False)
    move16s: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def game_id(self) -> str:
        """Stable id of the game: file display name and game index, e.g. "a/b.csa#0"."""
        return f"{self.source}#{self.index}"


@dataclass(frozen=True)
class SkippedGame:
    """A game (or HCPE record, or SFEN line) left out, and why."""

    source: str
    index: int
    reason: str


@dataclass
class FileRecords:
    """Everything read from one file: usable games and the ones that were skipped."""

    games: list[GameRecord] = field(default_factory=list)
    skipped: list[SkippedGame] = field(default_factory=list)
