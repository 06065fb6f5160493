"""Shared fixtures: the repo root, the shared real-record folder, and random playout positions."""

from __future__ import annotations

import random
from pathlib import Path

import cshogi
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_KIFU = REPO_ROOT.parent / "shared" / "data" / "kifu"


@pytest.fixture(scope="session")
def shared_kifu() -> Path:
    """The folder of real game records next to the repo; skip when it is not there."""
    if not SHARED_KIFU.is_dir():
        pytest.skip(f"real game records not available: {SHARED_KIFU} is absent")
    return SHARED_KIFU


def random_playout_sfens(games: int, max_plies: int, seed: int) -> list[str]:
    """SFENs of every position along seeded uniformly random games (both colours to move)."""
    rng = random.Random(seed)
    board = cshogi.Board()
    sfens = []
    for _ in range(games):
        board.reset()
        for _ in range(rng.randint(max_plies // 2, max_plies)):
            moves = list(board.legal_moves)
            if not moves:
                break
            sfens.append(board.sfen())
            board.push(rng.choice(moves))
    return sfens


@pytest.fixture(scope="session")
def playout_sfens() -> list[str]:
    """About 2,000 positions from random playouts, seeded."""
    return random_playout_sfens(games=30, max_plies=120, seed=20261126)


def games_from_playouts(games: int, plies: int, seed: int, results: list[int] | None = None):
    """A games table (HCPE-like schema) of seeded random games; game i ends with results[i]."""
    import numpy as np
    import polars as pl

    from maou_kit import schema

    rng = random.Random(seed)
    board = cshogi.Board()
    columns: dict[str, list] = {name: [] for name in schema.GAMES_COLUMNS}
    buffer = np.zeros(1, dtype=cshogi.HuffmanCodedPos)
    for game in range(games):
        board.reset()
        result = results[game] if results else rng.choice([0, 1, 2])
        moves_played = []
        for _ in range(plies):
            moves = list(board.legal_moves)
            if not moves:
                break
            move = rng.choice(moves)
            board.to_hcp(buffer)
            moves_played.append((buffer["hcp"][0].tobytes(), cshogi.move16(move)))
            board.push(move)
        for ply, (hcp, move16) in enumerate(moves_played):
            columns[schema.HCP].append(hcp)
            columns[schema.EVAL].append(0)
            columns[schema.BEST_MOVE16].append(move16)
            columns[schema.GAME_RESULT].append(result)
            columns[schema.ID].append(f"g{game}:{ply}")
            columns[schema.RATINGS].append([])
            columns[schema.ENDGAME_STATUS].append("%TORYO")
            columns[schema.MOVES].append(len(moves_played))
            columns[schema.GAME_ID].append(f"g{game}")
            columns[schema.PLY].append(ply)
    return pl.DataFrame(
        columns,
        schema={
            schema.HCP: pl.Binary, schema.EVAL: pl.Int16, schema.BEST_MOVE16: pl.UInt16,
            schema.GAME_RESULT: pl.Int8, schema.ID: pl.Utf8, schema.RATINGS: pl.List(pl.Float32),
            schema.ENDGAME_STATUS: pl.Utf8, schema.MOVES: pl.Int16, schema.GAME_ID: pl.Utf8,
            schema.PLY: pl.Int16,
        },
    )  # fmt: skip
