"""A small PUCT tree search over the network's policy priors and value head.

AlphaZero-style: each playout descends by `argmax Q + c_puct * P * sqrt(N_parent + 1) / (1 + N)`,
evaluates the new leaf with the network and backs its value up the path, flipping it
at every ply (values are expected scores in [0, 1] for the side to move). Unvisited
moves take the parent's own value minus a first-play-urgency reduction, so the search
widens only when the best-looking moves disappoint.

Leaves are evaluated in batches: up to `batch_size` paths are descended before one
network call, each path adding a virtual loss (a visit worth 0) to its edges so that the
next descent of the same batch avoids it; a path that reaches a leaf already waiting
in the batch ends the batch early. Terminal leaves need no network: no legal move is a
loss, a legal entering-king declaration and an available mate in one are wins, a
repetition is a draw (a win or loss when cshogi reports perpetual check).

The search stops at `max_playouts` or as soon as `should_stop()` is true (time, `stop`).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cshogi
import numpy as np

from maou_kit.play.net_evaluator import Evaluation, NetEvaluator

DEFAULT_C_PUCT = 1.5
DEFAULT_BATCH_SIZE = 16
FPU_REDUCTION = 0.2
# A playout bound for searches that end by time or `stop` only.
UNBOUNDED_PLAYOUTS = 10**9
# cshogi's Board.is_draw() codes -> the side to move's result.
_REPETITION_VALUE = {
    cshogi.REPETITION_DRAW: 0.5,
    cshogi.REPETITION_WIN: 1.0,
    cshogi.REPETITION_LOSE: 0.0,
}


@dataclass(eq=False)
class Node:
    """A position in the tree; edge statistics live in the parent, indexed like `moves`."""

    moves: np.ndarray
    priors: np.ndarray
    value: float  # the network's (or the rules') expected score for the side to move
    terminal: bool = False
    child_n: np.ndarray = field(init=False)
    child_w: np.ndarray = field(init=False)  # summed values from this node's mover's view
    children: list[Node | None] = field(init=False)

    def __post_init__(self) -> None:
        self.child_n = np.zeros(len(self.moves), dtype=np.float64)
        self.child_w = np.zeros(len(self.moves), dtype=np.float64)
        self.children = [None] * len(self.moves)

    @classmethod
    def from_evaluation(cls, evaluation: Evaluation) -> Node:
        return cls(evaluation.moves, evaluation.priors(), evaluation.value)

    @classmethod
    def terminal_node(cls, value: float) -> Node:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0), value, terminal=True)

    def select(self, c_puct: float) -> int:
        visited = self.child_n > 0
        first_play = max(self.value - FPU_REDUCTION, 0.0)
        q = np.where(visited, self.child_w / np.maximum(self.child_n, 1), first_play)
        u = c_puct * self.priors * math.sqrt(self.child_n.sum() + 1) / (1 + self.child_n)
        return int(np.argmax(q + u))


@dataclass(frozen=True)
class SearchResult:
    """The chosen root move, its statistics and the principal variation (cshogi moves)."""

    move: int
    value: float  # the mover's expected score after `move` (Q of its edge, or the prior value)
    playouts: int
    max_depth: int
    pv: tuple[int, ...]
    root_moves: np.ndarray
    root_visits: np.ndarray


@dataclass(frozen=True)
class SearchProgress:
    """What an `info` line reports during a search."""

    playouts: int
    max_depth: int
    value: float
    pv: tuple[int, ...]
    elapsed_s: float


def terminal_value(board: cshogi.Board) -> float | None:
    """The side to move's result when the rules end the game here (or a mate in one), else None."""
    repetition = _REPETITION_VALUE.get(board.is_draw())
    if repetition is not None:
        return repetition
    if not any(True for _ in board.legal_moves):
        return 0.0
    if board.is_nyugyoku() or board.mate_move_in_1ply():
        return 1.0
    return None


class PuctSearch:
    """Batched PUCT over one `NetEvaluator`; one `search` call per move."""

    def __init__(
        self,
        evaluator: NetEvaluator,
        c_puct: float = DEFAULT_C_PUCT,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ):
        if batch_size < 1:
            raise ValueError(f"batch size must be >= 1, got {batch_size}")
        self.evaluator = evaluator
        self.c_puct = c_puct
        self.batch_size = batch_size

    def search(
        self,
        board: cshogi.Board,
        max_playouts: int,
        should_stop: Callable[[], bool] = lambda: False,
        on_progress: Callable[[SearchProgress], None] | None = None,
        progress_every_s: float = 0.5,
        temperature: float = 0.0,
        rng: random.Random | None = None,
    ) -> SearchResult:
        """Search from `board` (left unchanged); the root must have a legal move."""
        board = board.copy()
        started = time.perf_counter()
        root = Node.from_evaluation(self.evaluator.evaluate([board])[0])
        if len(root.moves) == 0:
            raise ValueError(f"no legal move to search in {board.sfen()}")
        playouts = max_depth = 0
        next_report = started + progress_every_s
        # A single legal move needs no search.
        while len(root.moves) > 1 and playouts < max_playouts and not should_stop():
            done, depth = self._one_batch(
                board, root, min(self.batch_size, max_playouts - playouts)
            )
            playouts += done
            max_depth = max(max_depth, depth)
            if on_progress is not None and time.perf_counter() >= next_report:
                next_report = time.perf_counter() + progress_every_s
                on_progress(self._progress(root, playouts, max_depth, started))
        index = self._choose(root, temperature, rng)
        return SearchResult(
            move=int(root.moves[index]),
            value=self._edge_value(root, index),
            playouts=playouts,
            max_depth=max_depth,
            pv=self._pv(root, index),
            root_moves=root.moves,
            root_visits=root.child_n.copy(),
        )

    def _one_batch(self, board: cshogi.Board, root: Node, size: int) -> tuple[int, int]:
        """Descend up to `size` paths, evaluate their new leaves at once, back everything up."""
        pending: list[tuple[list[tuple[Node, int]], cshogi.Board]] = []
        waiting: set[tuple[int, int]] = set()
        finished = max_depth = 0
        for _ in range(size):
            path: list[tuple[Node, int]] = []
            node = root
            while True:
                index = node.select(self.c_puct)
                path.append((node, index))
                node.child_n[index] += 1  # virtual loss: a visit that adds nothing to W
                board.push(int(node.moves[index]))
                child = node.children[index]
                if child is None or child.terminal:
                    break
                node = child
            max_depth = max(max_depth, len(path))
            parent, index = path[-1]
            leaf = parent.children[index]
            if leaf is None:
                value = terminal_value(board)
                if value is not None:
                    leaf = parent.children[index] = Node.terminal_node(value)
            if leaf is not None:  # terminal: its value is known
                self._backup(path, leaf.value)
                finished += 1
            elif (id(parent), index) in waiting:
                for node_on_path, edge in path:  # collision: undo the virtual loss
                    node_on_path.child_n[edge] -= 1
                for _ in path:
                    board.pop()
                break
            else:
                waiting.add((id(parent), index))
                pending.append((path, board.copy()))
            for _ in path:
                board.pop()
        if pending:
            evaluations = self.evaluator.evaluate([leaf_board for _, leaf_board in pending])
            for (path, _), evaluation in zip(pending, evaluations, strict=True):
                parent, index = path[-1]
                parent.children[index] = Node.from_evaluation(evaluation)
                self._backup(path, evaluation.value)
                finished += 1
        return finished, max_depth

    @staticmethod
    def _backup(path: list[tuple[Node, int]], leaf_value: float) -> None:
        """Add the leaf's value to every edge of the path, each from its chooser's view."""
        value = 1.0 - leaf_value  # the leaf's mover is the last chooser's opponent
        for node, index in reversed(path):
            node.child_w[index] += value  # the visit itself was counted as virtual loss
            value = 1.0 - value

    @staticmethod
    def _edge_value(node: Node, index: int) -> float:
        if node.child_n[index] > 0:
            return float(node.child_w[index] / node.child_n[index])
        child = node.children[index]
        return 1.0 - child.value if child is not None else node.value

    def _choose(self, root: Node, temperature: float, rng: random.Random | None) -> int:
        visits = root.child_n
        if visits.sum() == 0:
            return int(np.argmax(root.priors))
        if temperature > 0:
            weights = (visits / visits.max()) ** (1.0 / temperature)
            return (rng or random.Random()).choices(range(len(visits)), weights=weights)[0]
        # Most visits; the prior breaks ties.
        return int(np.lexsort((root.priors, visits))[-1])

    @staticmethod
    def _pv(root: Node, first: int) -> tuple[int, ...]:
        line = [int(root.moves[first])]
        node = root.children[first]
        while node is not None and not node.terminal and node.child_n.sum() > 0:
            index = int(np.argmax(node.child_n))
            line.append(int(node.moves[index]))
            node = node.children[index]
        return tuple(line)

    def _progress(
        self, root: Node, playouts: int, max_depth: int, started: float
    ) -> SearchProgress:
        index = self._choose(root, 0.0, None)  # the move a stop would play now
        return SearchProgress(
            playouts=playouts,
            max_depth=max_depth,
            value=self._edge_value(root, index),
            pv=self._pv(root, index),
            elapsed_s=time.perf_counter() - started,
        )
