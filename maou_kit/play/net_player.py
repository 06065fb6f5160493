"""The kit's network as a player: forced answers first, then the policy or a PUCT search.

One decision procedure serves both the USI engine (`maou-kit usi`) and in-process
matches (`maou-kit match --engine1 net:...`), so what is measured in a match is what a
GUI gets. Policy-only (playouts 0) plays the legal move with the highest policy logit
(or samples the legal-move softmax at `temperature` > 0); with playouts > 0 a
`PuctSearch` picks the most visited move.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cshogi
import numpy as np

from maou_kit.play.forced_moves import forced_answer
from maou_kit.play.net_evaluator import Evaluation, NetEvaluator, value_to_cp
from maou_kit.play.puct import DEFAULT_BATCH_SIZE, PuctSearch, SearchProgress
from maou_kit.selfplay.records import DECLARE_WIN, RESIGN, MoveDecision


@dataclass(frozen=True)
class Thought:
    """A decision with the search statistics an `info` line reports."""

    decision: MoveDecision
    nodes: int
    depth: int


def policy_move(evaluation: Evaluation, temperature: float, rng: random.Random) -> str:
    """The policy's legal move: the highest logit, or a sample at `temperature` > 0."""
    if temperature > 0:
        priors = evaluation.priors(temperature)
        index = rng.choices(range(len(priors)), weights=priors.tolist())[0]
    else:
        index = int(np.argmax(evaluation.logits))
    return cshogi.move_to_usi(int(evaluation.moves[index]))


class NetPlayer:
    """A `maou_kit.selfplay.Player` backed by a `NetEvaluator`."""

    def __init__(
        self,
        evaluator: NetEvaluator,
        playouts: int = 0,
        batch_size: int = DEFAULT_BATCH_SIZE,
        temperature: float = 0.0,
        seed: int = 0,
        name: str | None = None,
        movetime_ms: int | None = None,
    ):
        if playouts < 0:
            raise ValueError(f"playouts must be >= 0, got {playouts}")
        if temperature < 0 or not np.isfinite(temperature):
            raise ValueError(f"temperature must be a finite number >= 0, got {temperature}")
        if movetime_ms is not None and movetime_ms <= 0:
            raise ValueError(f"movetime must be positive, got {movetime_ms} ms")
        self.movetime_ms = movetime_ms
        self.evaluator = evaluator
        self.playouts = playouts
        self.temperature = temperature
        self.search = PuctSearch(evaluator, batch_size=batch_size)
        mode = f"playouts {playouts}" if playouts else "policy"
        if movetime_ms is not None:
            mode += f", {movetime_ms} ms"
        self.name = name or f"{evaluator.name} ({mode})"
        self._rng = random.Random(seed)

    def new_game(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def think(
        self,
        board: cshogi.Board,
        playouts: int | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        on_progress: Callable[[SearchProgress], None] | None = None,
    ) -> Thought:
        """The move for `board` (unchanged); `playouts` overrides the player's own count."""
        forced = forced_answer(board)
        if forced == RESIGN:
            return Thought(MoveDecision(RESIGN, mate_in=0), 0, 0)
        if forced == DECLARE_WIN:
            return Thought(MoveDecision(DECLARE_WIN, mate_in=1), 0, 0)
        if forced is not None:
            return Thought(MoveDecision(forced, mate_in=1, pv=(forced,)), 1, 1)
        playouts = self.playouts if playouts is None else playouts
        if playouts > 0:
            result = self.search.search(
                board,
                playouts,
                should_stop=should_stop,
                on_progress=on_progress,
                temperature=self.temperature,
                rng=self._rng,
            )
            pv = tuple(cshogi.move_to_usi(move) for move in result.pv)
            decision = MoveDecision(pv[0], score_cp=value_to_cp(result.value), pv=pv)
            return Thought(decision, result.playouts, result.max_depth)
        evaluation = self.evaluator.evaluate([board])[0]
        usi = policy_move(evaluation, self.temperature, self._rng)
        return Thought(MoveDecision(usi, score_cp=value_to_cp(evaluation.value), pv=(usi,)), 1, 1)

    def choose_move(
        self, board: cshogi.Board, start_sfen: str, usi_moves: Sequence[str]
    ) -> MoveDecision:
        """In a match: the player's playouts, cut at `movetime_ms` when one is set."""
        if self.movetime_ms is None:
            return self.think(board).decision
        deadline = time.perf_counter() + self.movetime_ms / 1000
        return self.think(board, should_stop=lambda: time.perf_counter() >= deadline).decision

    def close(self) -> None:
        """Nothing to release; present so every player can be closed alike."""

    def __enter__(self) -> NetPlayer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
