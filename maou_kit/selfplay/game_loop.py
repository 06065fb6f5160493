"""Playing self-play games: the per-ply loop, the rules that end a game, many games in a row.

Termination follows the CSA / JSA rules rather than a search heuristic:
- the side to move has no legal move: it is mated and loses;
- the side to move meets the 27-point entering-king rule (`is_nyugyoku`): it declares
  and wins (also when an engine answers `bestmove win`; a false claim loses);
- a position occurs for the fourth time: draw (sennichite), unless one side gave check
  with every one of its moves since the first occurrence: that side loses. cshogi's
  `is_draw()` already fires at the first repeat, so occurrences are counted here;
- `max_moves` plies were played: draw.
An engine's `bestmove resign` loses, and a move that is not legal loses.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import cshogi

from maou_kit.schema import RESULT_BLACK_WIN, RESULT_DRAW, RESULT_WHITE_WIN
from maou_kit.selfplay.csa_writer import write_csa
from maou_kit.selfplay.openings import opening_length, random_opening_move
from maou_kit.selfplay.records import (
    DECLARE_WIN,
    RESIGN,
    GameRecord,
    GameSummary,
    PlayedMove,
    Player,
    Termination,
)

DEFAULT_MAX_MOVES = 256
DEFAULT_RANDOM_OPENING_PLIES = 8
SENNICHITE_OCCURRENCES = 4


def _win_for(color: int) -> int:
    return RESULT_BLACK_WIN if color == cshogi.BLACK else RESULT_WHITE_WIN


def _repetition_outcome(
    start_turn: int, gave_check: Sequence[bool], first_ply: int
) -> tuple[Termination, int, int | None]:
    """Termination, result and perpetual checker for a repetition first seen at `first_ply`."""
    for color in (cshogi.BLACK, cshogi.WHITE):
        # Move i (0-based) was played by start_turn for even i.
        own_moves = [
            checked
            for i, checked in enumerate(gave_check)
            if i >= first_ply and (start_turn + i) % 2 == color
        ]
        if own_moves and all(own_moves):
            return Termination.PERPETUAL_CHECK, _win_for(cshogi.opponent(color)), color
    return Termination.REPETITION, RESULT_DRAW, None


def play_game(
    player_black: Player,
    player_white: Player,
    seed: int,
    start_sfen: str = cshogi.STARTING_SFEN,
    random_opening_plies: int = DEFAULT_RANDOM_OPENING_PLIES,
    max_moves: int = DEFAULT_MAX_MOVES,
    event: str = "maou_kit selfplay",
) -> GameRecord:
    """Play one game from `start_sfen`; same players, seed and settings give the same game.

    The first `opening_length(rng, random_opening_plies)` plies are random (recorded
    without an evaluation, so readers can tell them apart); players move afterwards.
    """
    if max_moves <= 0:
        raise ValueError(f"max_moves must be positive, got {max_moves}")
    if random_opening_plies < 0:
        raise ValueError(f"random_opening_plies must be >= 0, got {random_opening_plies}")
    rng = random.Random(f"maou_kit-selfplay:{seed}")
    opening_plies = opening_length(rng, random_opening_plies)
    player_black.new_game(rng.getrandbits(63))
    if player_white is not player_black:
        player_white.new_game(rng.getrandbits(63))

    board = cshogi.Board(start_sfen)
    start_sfen = board.sfen()
    start_turn = board.turn
    start_time = datetime.now().astimezone()
    moves: list[PlayedMove] = []
    gave_check: list[bool] = []
    occurrences: dict[int, list[int]] = {board.zobrist_hash(): [0]}
    perpetual_checker = None

    while True:
        mover = board.turn
        if len(board.legal_moves) == 0:
            termination, winner = Termination.MATE, _win_for(cshogi.opponent(mover))
            break
        if len(moves) >= max_moves:
            termination, winner = Termination.MAX_MOVES, RESULT_DRAW
            break
        if board.is_nyugyoku():
            termination, winner = Termination.DECLARATION, _win_for(mover)
            break

        started = time.perf_counter()
        if len(moves) < opening_plies:
            move, decision = random_opening_move(board, rng), None
        else:
            player = player_black if mover == cshogi.BLACK else player_white
            decision = player.choose_move(board.copy(), start_sfen, [m.usi for m in moves])
            if decision.move == RESIGN:
                termination, winner = Termination.RESIGN, _win_for(cshogi.opponent(mover))
                break
            if decision.move == DECLARE_WIN:  # a valid declaration was handled above
                termination = Termination.ILLEGAL_DECLARATION
                winner = _win_for(cshogi.opponent(mover))
                break
            move = board.move_from_usi(decision.move)
            if not move or not board.is_legal(move):
                termination, winner = Termination.ILLEGAL_MOVE, _win_for(cshogi.opponent(mover))
                break
        seconds = time.perf_counter() - started
        moves.append(PlayedMove(cshogi.move_to_usi(move), seconds, decision))
        board.push(move)
        gave_check.append(board.is_check())

        seen_at = occurrences.setdefault(board.zobrist_hash(), [])
        seen_at.append(len(moves))
        if len(seen_at) >= SENNICHITE_OCCURRENCES:
            termination, winner, perpetual_checker = _repetition_outcome(
                start_turn, gave_check, seen_at[0]
            )
            break

    return GameRecord(
        start_sfen=start_sfen,
        moves=moves,
        termination=termination,
        winner=winner,
        black_name=player_black.name,
        white_name=player_white.name,
        event=event,
        start_time=start_time,
        perpetual_checker=perpetual_checker,
    )


def game_seed(run_seed: int, index: int) -> int:
    """Seed of game `index` of a run: games are reproducible one by one."""
    return run_seed * 1_000_003 + index


def csa_file_name(run_seed: int, index: int) -> str:
    return f"selfplay_{run_seed}_{index:05d}.csa"


def play_games(
    player_black: Player,
    player_white: Player,
    n_games: int,
    seed: int = 0,
    *,
    start_sfens: Sequence[str] | None = None,
    random_opening_plies: int = DEFAULT_RANDOM_OPENING_PLIES,
    max_moves: int = DEFAULT_MAX_MOVES,
    output_dir: str | Path | None = None,
    on_game: Callable[[GameSummary], None] | None = None,
) -> list[GameSummary]:
    """Play `n_games`; game i starts from start_sfens[i % len] (the initial position if None).

    With `output_dir`, each game is written as `selfplay_{seed}_{i:05d}.csa` as soon as it
    ends, so an interrupted run keeps its finished games. `on_game` sees every summary
    (a progress bar, a log line). The players are the caller's to close.
    """
    if n_games < 0:
        raise ValueError(f"n_games must be >= 0, got {n_games}")
    if start_sfens is not None and len(start_sfens) == 0:
        raise ValueError("start_sfens is empty")
    directory = Path(output_dir) if output_dir is not None else None
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    summaries = []
    for index in range(n_games):
        this_seed = game_seed(seed, index)
        start_sfen = start_sfens[index % len(start_sfens)] if start_sfens else cshogi.STARTING_SFEN
        record = play_game(
            player_black,
            player_white,
            this_seed,
            start_sfen=start_sfen,
            random_opening_plies=random_opening_plies,
            max_moves=max_moves,
        )
        path = None
        if directory is not None:
            path = directory / csa_file_name(seed, index)
            write_csa(record, path)
        summary = GameSummary(
            index=index,
            seed=this_seed,
            plies=len(record.moves),
            winner=record.winner,
            termination=record.termination,
            path=path,
            record=record,
        )
        summaries.append(summary)
        if on_game is not None:
            on_game(summary)
    return summaries
