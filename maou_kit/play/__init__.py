"""Letting the network play: a USI engine, an in-process player, PUCT search, matches with Elo.

    from maou_kit.play import NetEvaluator, NetPlayer, RandomPlayer, MatchSetup, play_match
    from maou_kit.play import builtin_openings

    net = NetPlayer(NetEvaluator.from_checkpoint("runs/x"))  # policy only; playouts=N searches
    setup = MatchSetup(n_games=16, openings=tuple(builtin_openings()))
    result = play_match(net, RandomPlayer(), setup, output_dir="match")
    print(result.stats.describe())

Files: net_evaluator (network on boards, legal-move priors), forced_moves (resign /
declare / mate in one), puct (batched search), net_player (the decision procedure),
time_control (USI `go` budgets), usi_server (the protocol), random_player, players
(engine specs), match_openings, match_stats (Elo, LOS), match (the runner).
"""

from maou_kit.play.forced_moves import forced_answer, mate_in_one
from maou_kit.play.match import MatchGame, MatchResult, MatchSetup, play_match
from maou_kit.play.match_openings import Opening, builtin_openings, load_openings
from maou_kit.play.match_stats import MatchStats, match_stats
from maou_kit.play.net_evaluator import Evaluation, NetEvaluator, value_to_cp
from maou_kit.play.net_player import NetPlayer, Thought, policy_move
from maou_kit.play.players import EngineSettings, make_player
from maou_kit.play.puct import PuctSearch, SearchResult
from maou_kit.play.random_player import RandomPlayer
from maou_kit.play.time_control import GoCommand, parse_go
from maou_kit.play.usi_server import UsiServer

__all__ = [
    "EngineSettings",
    "Evaluation",
    "GoCommand",
    "MatchGame",
    "MatchResult",
    "MatchSetup",
    "MatchStats",
    "NetEvaluator",
    "NetPlayer",
    "Opening",
    "PuctSearch",
    "RandomPlayer",
    "SearchResult",
    "Thought",
    "UsiServer",
    "builtin_openings",
    "forced_answer",
    "load_openings",
    "make_player",
    "match_stats",
    "mate_in_one",
    "parse_go",
    "play_match",
    "policy_move",
    "value_to_cp",
]
