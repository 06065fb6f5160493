"""Wins, draws and losses to a score, an Elo difference with its 95% interval, LOS and draw rate.

Reused from `cshogi.elo`: the `Elo` class's trinomial mean score and its standard
error (each game scores 1, 1/2 or 0), its likelihood of superiority (normal
approximation on wins versus losses, draws ignored) and `elo_diff` (score -> Elo).
Not reused: `Elo.error_margin`, which returns one symmetric margin and fails when
the interval reaches a score of 0 or 1; here the interval is the score's normal
interval mapped through `elo_diff` endpoint by endpoint (asymmetric in Elo, as it
should be), open-ended (None) where it reaches 0 or 1. When every game had the same
result the sample spread is zero and the normal interval would be a point; the
Wilson score interval is used then (e.g. 10 wins of 10: Elo above +166). cshogi divides by zero for
zero games or zero decisive games; those cases are handled here (no games: all None;
no decisive game: LOS 0.5). A score of 0 or 1 has no finite Elo: `elo` is None.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist

from cshogi.elo import Elo, elo_diff

CONFIDENCE = 0.95


@dataclass(frozen=True)
class MatchStats:
    """Match figures from the first player's view; None where a figure is undefined or unbounded."""

    wins: int
    draws: int
    losses: int
    games: int
    score: float | None  # (wins + draws / 2) / games
    draw_rate: float | None
    elo: float | None
    elo_low: float | None  # 95% interval; None = unbounded on that side
    elo_high: float | None
    los: float | None  # likelihood of superiority in [0, 1]

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """One line: W-D-L, score, Elo [interval], LOS, draw rate."""
        if not self.games:
            return "no games"
        elo = "n/a" if self.elo is None else f"{self.elo:+.0f}"
        low = "-inf" if self.elo_low is None else f"{self.elo_low:+.0f}"
        high = "+inf" if self.elo_high is None else f"{self.elo_high:+.0f}"
        return (
            f"W-D-L {self.wins}-{self.draws}-{self.losses}  score {self.score:.1%}  "
            f"Elo {elo} [{low}, {high}]  LOS {self.los:.1%}  draws {self.draw_rate:.1%}"
        )


def _elo_or_none(score: float) -> float | None:
    return elo_diff(score) + 0.0 if 0.0 < score < 1.0 else None  # + 0.0: no "-0"


def _wilson_interval(score: float, games: int, z: float) -> tuple[float, float]:
    """Wilson score interval: used when every game had the same result (zero sample spread)."""
    denominator = 1 + z * z / games
    centre = (score + z * z / (2 * games)) / denominator
    half = z * math.sqrt(score * (1 - score) / games + z * z / (4 * games * games)) / denominator
    # At a score of exactly 0 or 1 that end is exactly 0 or 1 (rounding would make it finite).
    low = 0.0 if score == 0 else max(centre - half, 0.0)
    high = 1.0 if score == 1 else min(centre + half, 1.0)
    return low, high


def match_stats(wins: int, draws: int, losses: int) -> MatchStats:
    """The figures of a W/D/L record (counts must be >= 0)."""
    if min(wins, draws, losses) < 0:
        raise ValueError(f"negative counts: wins {wins}, draws {draws}, losses {losses}")
    games = wins + draws + losses
    if games == 0:
        return MatchStats(0, 0, 0, 0, None, None, None, None, None, None)
    rating = Elo(wins, losses, draws)
    z = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)
    if rating.stdev > 0:
        low_score, high_score = rating.mu - z * rating.stdev, rating.mu + z * rating.stdev
    else:
        low_score, high_score = _wilson_interval(rating.mu, games, z)
    elo_low = _elo_or_none(low_score) if low_score > 0 else None
    elo_high = _elo_or_none(high_score) if high_score < 1 else None
    los = rating.los() / 100 if wins + losses else 0.5
    return MatchStats(
        wins=wins,
        draws=draws,
        losses=losses,
        games=games,
        score=rating.mu,
        draw_rate=draws / games,
        elo=_elo_or_none(rating.mu),
        elo_low=elo_low,
        elo_high=elo_high,
        los=los,
    )
