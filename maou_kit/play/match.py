"""Playing a match between two players and keeping its score: games, CSA files, match.json.

Game i uses opening (i // 2) mod len(openings), engine 1 taking Black in even games and
White in odd ones, so each opening is played once with each colour. Every game goes
through `maou_kit.selfplay.play_game` (no random opening plies) and so ends by the
same rules as self-play (mate, resignation, entering-king declaration, sennichite and
perpetual check, illegal move, move limit); each is written as CSA V2.2 by
`write_csa` as soon as it ends, and `match.json` is rewritten after every game, so an
interrupted match keeps a consistent record of the games it finished.

Reused from cshogi: `cshogi.elo` (see match_stats.py). Not reused: `cshogi.cli.main`,
cshogi's match runner: it drives two USI subprocesses only (the network in-process,
the built-in and the random player are not USI engines), ends games by its own rules
(it does not score perpetual check or entering-king declarations as this kit's
self-play does) and writes CSA without the kit's `'**` comments; the kit's game loop
keeps one definition of how a game ends for self-play and matches.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from maou_kit.play.match_openings import Opening, schedule
from maou_kit.play.match_stats import MatchStats, match_stats
from maou_kit.schema import RESULT_BLACK_WIN, RESULT_DRAW
from maou_kit.selfplay.csa_writer import write_csa
from maou_kit.selfplay.game_loop import DEFAULT_MAX_MOVES, game_seed, play_game
from maou_kit.selfplay.records import Player

MATCH_FILE = "match.json"
EVENT = "maou_kit match"
WIN, DRAW, LOSS = "win", "draw", "loss"


@dataclass(frozen=True)
class MatchGame:
    """One finished game, from engine 1's view."""

    index: int
    opening: str
    engine1_color: str  # "black" or "white"
    result: str  # WIN / DRAW / LOSS for engine 1
    termination: str
    plies: int
    seconds: float
    csa: str | None  # file name inside the output folder


@dataclass
class MatchResult:
    """The games played so far and their figures."""

    games: list[MatchGame]

    def counts(self, color: str | None = None) -> tuple[int, int, int]:
        """(wins, draws, losses) of engine 1, all games or those where it played `color`."""
        results = Counter(g.result for g in self.games if color in (None, g.engine1_color))
        return results[WIN], results[DRAW], results[LOSS]

    @property
    def stats(self) -> MatchStats:
        return match_stats(*self.counts())


def engine1_result(winner: int, engine1_black: bool) -> str:
    if winner == RESULT_DRAW:
        return DRAW
    return WIN if (winner == RESULT_BLACK_WIN) == engine1_black else LOSS


def match_file_name(index: int) -> str:
    return f"match_{index:05d}.csa"


@dataclass(frozen=True)
class MatchSetup:
    """What a match is asked to be; `settings` (specs, limits) go into match.json as given."""

    n_games: int
    openings: tuple[Opening, ...]
    seed: int = 0
    max_moves: int = DEFAULT_MAX_MOVES
    settings: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.n_games < 1:
            raise ValueError(f"--games must be >= 1, got {self.n_games}")
        if self.max_moves < 1:
            raise ValueError(f"--max-moves must be >= 1, got {self.max_moves}")
        if not self.openings:
            raise ValueError("--openings: a match needs at least one opening")


def play_match(
    player1: Player,
    player2: Player,
    setup: MatchSetup,
    output_dir: str | Path | None = None,
    on_game: Callable[[MatchGame, MatchResult], None] | None = None,
) -> MatchResult:
    """Play the match; with `output_dir`, CSA files and match.json are written there.

    The players are the caller's to close.
    """
    if player1 is player2:
        raise ValueError("a match needs two distinct player objects")
    directory = Path(output_dir) if output_dir is not None else None
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    result = MatchResult([])
    started = time.perf_counter()
    games = schedule(setup.n_games, len(setup.openings))
    for index, (opening_index, engine1_black) in enumerate(games):
        opening = setup.openings[opening_index]
        black, white = (player1, player2) if engine1_black else (player2, player1)
        game_started = time.perf_counter()
        record = play_game(
            black,
            white,
            game_seed(setup.seed, index),
            start_sfen=opening.sfen,
            random_opening_plies=0,
            max_moves=setup.max_moves,
            event=EVENT,
        )
        csa_name = None
        if directory is not None:
            csa_name = match_file_name(index)
            write_csa(record, directory / csa_name)
        game = MatchGame(
            index=index,
            opening=opening.name,
            engine1_color="black" if engine1_black else "white",
            result=engine1_result(record.winner, engine1_black),
            termination=record.termination.value,
            plies=len(record.moves),
            seconds=round(time.perf_counter() - game_started, 3),
            csa=csa_name,
        )
        result.games.append(game)
        if directory is not None:
            summary = match_summary(
                result, player1.name, player2.name, setup, time.perf_counter() - started
            )
            write_json(summary, directory / MATCH_FILE)
        if on_game is not None:
            on_game(game, result)
    return result


def match_summary(
    result: MatchResult, engine1: str, engine2: str, setup: MatchSetup, seconds: float
) -> dict:
    """Everything match.json holds: settings, figures (engine 1's view), every game."""
    played = len(result.games)
    by_color = {}
    for color in ("black", "white"):
        wins, draws, losses = result.counts(color)
        by_color[color] = {"wins": wins, "draws": draws, "losses": losses}
    return {
        "engine1": engine1,
        "engine2": engine2,
        "settings": setup.settings,
        "games_requested": setup.n_games,
        "games_played": played,
        "seed": setup.seed,
        "max_moves": setup.max_moves,
        "openings": [asdict(opening) for opening in setup.openings],
        "results": result.stats.to_dict(),
        "engine1_by_color": by_color,
        "terminations": dict(Counter(game.termination for game in result.games)),
        "mean_plies": sum(g.plies for g in result.games) / played if played else None,
        "seconds": round(seconds, 3),
        "games_per_minute": round(played * 60 / seconds, 3) if seconds > 0 else None,
        "games": [asdict(game) for game in result.games],
    }


def write_json(summary: dict, path: Path) -> None:
    """Write atomically: an interrupted match never leaves half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
