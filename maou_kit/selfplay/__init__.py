"""Self-play game generation: players, the game loop and CSA output.

    from maou_kit.selfplay import SimplePlayer, UsiEnginePlayer, SearchLimit, play_games

    with UsiEnginePlayer("/usr/games/fairy-stockfish", SearchLimit(nodes=3000)) as engine:
        summaries = play_games(engine, engine, n_games=10, seed=1, output_dir="selfplay")

Players: `SimplePlayer` (built in, pure Python) and `UsiEnginePlayer` (any USI engine via
cshogi). Games: `play_game` / `play_games` return `GameRecord` / `GameSummary`;
`write_csa` / `game_to_csa` write floodgate-style CSA V2.2 that cshogi parses back.
"""

from maou_kit.selfplay.csa_writer import endgame_line, game_to_csa, write_csa
from maou_kit.selfplay.engine_lookup import find_engine, resolve_engine
from maou_kit.selfplay.game_loop import csa_file_name, game_seed, play_game, play_games
from maou_kit.selfplay.openings import parse_start_position, read_start_sfens
from maou_kit.selfplay.records import (
    MATE_SCORE,
    GameRecord,
    GameSummary,
    MoveDecision,
    PlayedMove,
    Player,
    Termination,
)
from maou_kit.selfplay.simple_player import SimplePlayer
from maou_kit.selfplay.usi_engine import (
    DEFAULT_NODES,
    SearchLimit,
    UsiEngineError,
    UsiEnginePlayer,
)

__all__ = [
    "DEFAULT_NODES",
    "MATE_SCORE",
    "GameRecord",
    "GameSummary",
    "MoveDecision",
    "PlayedMove",
    "Player",
    "SearchLimit",
    "SimplePlayer",
    "Termination",
    "UsiEngineError",
    "UsiEnginePlayer",
    "csa_file_name",
    "endgame_line",
    "find_engine",
    "game_seed",
    "game_to_csa",
    "parse_start_position",
    "play_game",
    "play_games",
    "read_start_sfens",
    "resolve_engine",
    "write_csa",
]
