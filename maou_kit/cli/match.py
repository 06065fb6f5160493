"""`maou-kit match`: play N games between two engines and report W/D/L, Elo, LOS.

Argument parsing and progress printing only; the match is played by `maou_kit.play`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

DEFAULT_GAMES = 16


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "match",
        help="play a match between two engines (CSA files, W/D/L, Elo, LOS)",
        description=(
            "Play N games between two engines over a fixed set of openings, each opening "
            "once with each colour; write every game as CSA and a match.json; report wins, "
            "draws and losses from engine 1's view, the score, the Elo difference with a 95% "
            "interval, the likelihood of superiority (LOS) and the draw rate. "
            "SPEC: net:CHECKPOINT (the kit's network in-process), net-usi:CHECKPOINT (the "
            "same as a `maou-kit usi` subprocess), builtin[:TEMPERATURE_CP], random, "
            "fairy-stockfish, or any USI engine name/path."
        ),
    )
    parser.add_argument("--engine1", required=True, metavar="SPEC", help="the engine judged")
    parser.add_argument("--engine2", required=True, metavar="SPEC", help="its opponent")
    parser.add_argument(
        "--games", type=int, default=DEFAULT_GAMES, help="number of games (default %(default)s)"
    )
    parser.add_argument(
        "--openings",
        default="builtin",
        help="'builtin' (8 common openings) or a file of start positions, one per line "
        "(SFEN, startpos, or 'position ... moves ...'); when there are fewer than games/2, "
        "distinct variations (4 seeded random plies after a listed opening) are added so "
        "each pair of games has its own (default %(default)s)",
    )
    for number in (1, 2):
        limit = parser.add_mutually_exclusive_group()
        limit.add_argument(
            f"--nodes{number}",
            type=int,
            metavar="N",
            help=f"engine {number}: USI `go nodes N` (default 3000), or PUCT playouts for a "
            "net (default: policy only)",
        )
        limit.add_argument(
            f"--movetime{number}",
            type=int,
            metavar="MS",
            help=f"engine {number}: milliseconds per move (USI `go movetime`; a net searches "
            "until then)",
        )
    parser.add_argument(
        "--output",
        type=Path,
        help="folder for the CSA files and match.json (default match_YYYYmmdd_HHMMSS)",
    )
    parser.add_argument(
        "--max-moves", type=int, default=256, help="draw after this many plies (default 256)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the players' randomness (default 0)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads for a net (default 1)"
    )
    parser.add_argument("--quiet", action="store_true", help="no line per game")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys
    from contextlib import ExitStack

    import torch

    from maou_kit.play.match import MATCH_FILE, MatchSetup, play_match
    from maou_kit.play.match_openings import extend_openings, load_openings
    from maou_kit.play.players import EngineSettings, make_player
    from maou_kit.selfplay.usi_engine import UsiEngineError

    if args.threads < 1:
        raise ValueError(f"--threads must be >= 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    output = args.output or Path(time.strftime("match_%Y%m%d_%H%M%S"))
    listed = load_openings(args.openings)
    # One opening per pair of games: deterministic engines would otherwise repeat games.
    openings = tuple(extend_openings(listed, (args.games + 1) // 2, args.seed))
    settings = {
        "engine1": {"spec": args.engine1, "nodes": args.nodes1, "movetime_ms": args.movetime1},
        "engine2": {"spec": args.engine2, "nodes": args.nodes2, "movetime_ms": args.movetime2},
        "openings": args.openings,
    }
    setup = MatchSetup(args.games, openings, args.seed, args.max_moves, settings)
    with ExitStack() as stack:
        players = []
        for number, spec, nodes, movetime in (
            (1, args.engine1, args.nodes1, args.movetime1),
            (2, args.engine2, args.nodes2, args.movetime2),
        ):
            try:
                player = make_player(spec, EngineSettings(nodes, movetime), f"--engine{number}")
            except UsiEngineError as error:
                raise ValueError(f"--engine{number}: {error}") from error
            stack.callback(player.close)
            players.append(player)
        player1, player2 = players
        print(
            f"match: {player1.name} vs {player2.name}, {args.games} games, "
            f"{len(openings)} openings, output {output}",
            flush=True,
        )
        started = time.perf_counter()

        def report(game, result) -> None:
            if args.quiet:
                return
            minutes = (time.perf_counter() - started) / 60
            print(
                f"game {game.index + 1}/{args.games} [{game.opening}, engine1 {game.engine1_color}]"
                f" {game.result} by {game.termination} in {game.plies} plies | "
                f"{result.stats.describe()} | {len(result.games) / minutes:.1f} games/min",
                flush=True,
            )

        try:
            result = play_match(player1, player2, setup, output_dir=output, on_game=report)
        except UsiEngineError as error:
            print(
                f"maou-kit match: error: {error}; finished games are in {output / MATCH_FILE}",
                file=sys.stderr,
            )
            return 1
        except KeyboardInterrupt:
            print(f"\ninterrupted; finished games are in {output / MATCH_FILE}", file=sys.stderr)
            return 130
    seconds = time.perf_counter() - started
    print(f"engine1 {player1.name} vs engine2 {player2.name}: {result.stats.describe()}")
    print(
        f"{len(result.games)} games in {seconds:.1f} s "
        f"({len(result.games) * 60 / seconds:.1f} games/min); results in {output / MATCH_FILE}"
    )
    return 0
