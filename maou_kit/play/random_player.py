"""A uniformly random legal mover: the floor any playing strength is measured from.

It sees no rules beyond legality (no mate in one, no declaration); it never resigns
while it has a legal move. Moves are reproducible from the per-game seed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import cshogi

from maou_kit.selfplay.records import RESIGN, MoveDecision

RANDOM_NAME = "random"


class RandomPlayer:
    """A `maou_kit.selfplay.Player` that picks uniformly among the legal moves."""

    def __init__(self, name: str = RANDOM_NAME):
        self.name = name
        self._rng = random.Random(0)

    def new_game(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def choose_move(
        self, board: cshogi.Board, start_sfen: str, usi_moves: Sequence[str]
    ) -> MoveDecision:
        legal = list(board.legal_moves)
        if not legal:
            return MoveDecision(RESIGN, mate_in=0)
        return MoveDecision(cshogi.move_to_usi(self._rng.choice(legal)))

    def close(self) -> None:
        """Nothing to release; present so every player can be closed alike."""

    def __enter__(self) -> RandomPlayer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
