"""USI `go` parameters and how long one move may think.

`go` may carry btime/wtime (ms left), binc/winc (increment), byoyomi (ms per move
after the main time), movetime, nodes, depth, infinite, ponder and mate (the last is
accepted and searched like a normal move). The budget for a move is a slice of the
remaining main time (1/MOVES_TO_GO of it) plus the increment and the byoyomi, never
more than what is actually left, less a safety margin for the process and pipe
overhead so that a GUI with a strict clock never sees a late move. `infinite` and
`ponder` have no budget: the search runs until `stop` (or `ponderhit`, which starts
the normal budget from that moment).
"""

from __future__ import annotations

from dataclasses import dataclass

import cshogi

MOVES_TO_GO = 30
SAFETY_MARGIN_MS = 150
MIN_BUDGET_MS = 10
_INT_FIELDS = ("btime", "wtime", "binc", "winc", "byoyomi", "movetime", "nodes", "depth", "mate")


@dataclass(frozen=True)
class GoCommand:
    """The parameters of one `go` command (times in milliseconds; None when absent)."""

    btime: int | None = None
    wtime: int | None = None
    binc: int | None = None
    winc: int | None = None
    byoyomi: int | None = None
    movetime: int | None = None
    nodes: int | None = None
    depth: int | None = None
    mate: int | None = None
    infinite: bool = False
    ponder: bool = False

    def budget_s(self, turn: int) -> float | None:
        """Seconds the side to move (`turn`, cshogi colour) may think; None = no time limit."""
        if self.infinite or self.ponder:
            return None
        if self.movetime is not None:
            return _with_margin(self.movetime)
        remaining = self.btime if turn == cshogi.BLACK else self.wtime
        increment = self.binc if turn == cshogi.BLACK else self.winc
        if remaining is None and increment is None and self.byoyomi is None:
            return None
        remaining, increment, byoyomi = remaining or 0, increment or 0, self.byoyomi or 0
        wanted = remaining / MOVES_TO_GO + increment + byoyomi
        return _with_margin(min(wanted, remaining + byoyomi))

    def after_ponderhit(self) -> GoCommand:
        """The same limits as a normal search (the clock starts at `ponderhit`)."""
        return GoCommand(**{name: getattr(self, name) for name in _INT_FIELDS})


def _with_margin(milliseconds: float) -> float:
    margin = min(SAFETY_MARGIN_MS, milliseconds * 0.2)
    return max(milliseconds - margin, MIN_BUDGET_MS) / 1000.0


def parse_go(tokens: list[str]) -> GoCommand:
    """`go ...` tokens (without `go`) -> GoCommand; ValueError on a malformed number."""
    values: dict[str, int | bool] = {}
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in ("infinite", "ponder"):
            values[token] = True
            index += 1
        elif token in _INT_FIELDS:
            if index + 1 >= len(tokens):
                raise ValueError(f"go: {token} needs a value")
            word = tokens[index + 1]
            if token == "mate" and word == "infinite":
                values[token] = 0  # `go mate infinite`: no distance given
            else:
                try:
                    values[token] = int(word)
                except ValueError as error:
                    raise ValueError(f"go: {token} {word!r} is not an integer") from error
            index += 2
        else:
            index += 1  # unknown words (searchmoves, future extensions) are skipped
    return GoCommand(**values)
