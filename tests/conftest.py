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
