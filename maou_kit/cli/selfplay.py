"""`maou-kit selfplay`: generate CSA game records by self-play (USI engine or built-in player).

Argument parsing and reporting only; the games are played by `maou_kit.selfplay`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from maou_kit.cli.table_options import check_output_path

DEFAULT_GAMES = 10
DEFAULT_SEED = 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "selfplay",
        help="generate CSA game records by self-play",
        description=(
            "Play games between two copies of one player and write each as a CSA V2.2 file "
            "(floodgate-style '** score/PV comments). The player is a USI engine "
            "(fairy-stockfish by default when installed) or the built-in simple player."
        ),
    )
    parser.add_argument("--output", type=Path, required=True, help="folder for the .csa files")
    parser.add_argument(
        "--games", type=int, default=DEFAULT_GAMES, help="number of games (default %(default)s)"
    )
    parser.add_argument(
        "--engine",
        default="auto",
        help="auto (fairy-stockfish if installed, else builtin), builtin, or a USI engine "
        "name/path (searched on PATH, /usr/games, /usr/local/games)",
    )
    limit = parser.add_mutually_exclusive_group()
    limit.add_argument("--nodes", type=int, help="engine search limit in nodes (default 3000)")
    limit.add_argument("--depth", type=int, help="engine search limit in plies")
    limit.add_argument("--movetime-ms", type=int, help="engine search limit in milliseconds")
    parser.add_argument(
        "--engine-option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="USI setoption for the engine (repeatable), e.g. Hash=64",
    )
    parser.add_argument(
        "--random-opening-plies",
        type=int,
        default=8,
        help="at most this many uniformly random opening plies per game (each game draws "
        "between half of it and all of it; default 8)",
    )
    parser.add_argument(
        "--max-moves",
        type=int,
        default=256,
        help="draw after this many plies (default %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help="run seed; game i is reproducible from it (default %(default)s)",
    )
    parser.add_argument(
        "--start-sfens",
        type=Path,
        help="text file of start positions (SFEN, 'startpos' or 'position ... moves ...' per "
        "line); game i starts from line i modulo their number",
    )
    parser.add_argument(
        "--temperature",
        type=float,
        default=100.0,
        help="built-in player: softmax temperature in centipawns, 0 = always the best score "
        "(default %(default)s)",
    )
    parser.set_defaults(func=run)


def _check_arguments(args: argparse.Namespace) -> None:
    if args.games < 0:
        raise ValueError(f"--games must be >= 0, got {args.games}")
    if args.max_moves <= 0:
        raise ValueError(f"--max-moves must be positive, got {args.max_moves}")
    if args.random_opening_plies < 0:
        raise ValueError(f"--random-opening-plies must be >= 0, got {args.random_opening_plies}")
    for option in ("nodes", "depth", "movetime_ms"):
        value = getattr(args, option)
        if value is not None and value <= 0:
            raise ValueError(f"--{option.replace('_', '-')} must be positive, got {value}")
    if not args.temperature >= 0:  # also refuses nan
        raise ValueError(f"--temperature must be >= 0, got {args.temperature}")
    check_output_path(args.output, folder=True)


def _engine_options(pairs: list[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name.strip():
            raise ValueError(f"--engine-option expects NAME=VALUE, got {pair!r}")
        options[name.strip()] = value.strip()
    return options


def _make_player(args: argparse.Namespace):
    """The player and a one-line description of it for the report."""
    from maou_kit.selfplay import (
        DEFAULT_NODES,
        SearchLimit,
        SimplePlayer,
        UsiEngineError,
        UsiEnginePlayer,
        resolve_engine,
    )

    engine_path = resolve_engine(args.engine)
    if engine_path is None:
        if args.engine_option:
            raise ValueError(
                "--engine-option needs a USI engine, but the builtin player was chosen"
            )
        player = SimplePlayer(temperature_cp=args.temperature)
        chosen = "auto: no fairy-stockfish found" if args.engine == "auto" else "requested"
        ignored = any(v is not None for v in (args.nodes, args.depth, args.movetime_ms))
        note = "; search limit ignored" if ignored else ""
        description = f"builtin simple player ({chosen}), temperature {args.temperature:g} cp"
        return player, description + note
    if args.nodes is None and args.depth is None and args.movetime_ms is None:
        limit = SearchLimit(nodes=DEFAULT_NODES)
    else:
        limit = SearchLimit(nodes=args.nodes, depth=args.depth, movetime_ms=args.movetime_ms)
    try:
        player = UsiEnginePlayer(engine_path, limit, options=_engine_options(args.engine_option))
    except UsiEngineError as error:
        raise ValueError(f"--engine {engine_path}: {error}") from error
    return player, f"USI engine {player.engine_name} at {engine_path}, {limit.describe()}"


def run(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from maou_kit.selfplay import play_games, read_start_sfens

    _check_arguments(args)
    start_sfens = read_start_sfens(args.start_sfens) if args.start_sfens else None
    player, description = _make_player(args)
    plies_so_far = 0

    def advance(summary) -> None:
        nonlocal plies_so_far
        plies_so_far += summary.plies
        progress.update(1)
        progress.set_postfix(plies=plies_so_far)

    # closes the engine process also on errors, Ctrl-C and `kill` (`main` turns SIGTERM
    # into an exception like Ctrl-C)
    with player:
        print(f"selfplay: {description}", flush=True)
        started = time.perf_counter()
        with tqdm(total=args.games, unit="game", disable=not sys.stderr.isatty()) as progress:
            summaries = play_games(
                player,
                player,
                args.games,
                seed=args.seed,
                start_sfens=start_sfens,
                random_opening_plies=args.random_opening_plies,
                max_moves=args.max_moves,
                output_dir=args.output,
                on_game=advance,
            )
    elapsed = time.perf_counter() - started
    _print_report(summaries, elapsed, args.output)
    return 0


def _print_report(summaries: list, elapsed: float, output: Path) -> None:
    from maou_kit.schema import RESULT_BLACK_WIN, RESULT_DRAW, RESULT_WHITE_WIN

    plies = sum(summary.plies for summary in summaries)
    results = Counter(summary.winner for summary in summaries)
    terminations = Counter(summary.termination.value for summary in summaries)
    per_game = plies / len(summaries) if summaries else 0.0
    per_minute = plies / elapsed * 60 if elapsed > 0 else 0.0
    print(f"games {len(summaries)}, plies {plies} ({per_game:.1f} per game)")
    print(f"time {elapsed:.1f} s, {per_minute:.0f} positions per minute")
    print(
        f"results: black {results[RESULT_BLACK_WIN]}, white {results[RESULT_WHITE_WIN]}, "
        f"draw {results[RESULT_DRAW]}"
    )
    if terminations:
        print("endings: " + ", ".join(f"{name} {count}" for name, count in terminations.items()))
    print(f"written to {output}")
