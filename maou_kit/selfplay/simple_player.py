"""The built-in player: keeps `maou-kit selfplay` working where no USI engine is installed.

Pure Python on cshogi. It plays a mate in one when there is one; otherwise it scores
every legal move by material after the move minus the most the opponent could capture
in reply (so it takes free pieces and rarely leaves its own hanging), marks moves that
allow a mate in one as lost, and samples from a softmax over those scores. The sampling
temperature (in centipawns) gives variety; the per-game seed makes games reproducible.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import cshogi

from maou_kit.selfplay.records import MATE_SCORE, RESIGN, MoveDecision

# Centipawn values by cshogi piece type (index 1..14: FU KY KE GI KA HI KI OU TO NY NK NG UM RY).
PIECE_VALUES = (0, 100, 300, 350, 500, 800, 950, 550, 0, 550, 550, 550, 550, 1050, 1250)
# Hand pieces by cshogi hand index (FU KY KE GI KI KA HI).
HAND_VALUES = (100, 300, 350, 500, 550, 800, 950)
PROMOTION_OFFSET = 8  # promoted type = type + 8 for FU..HI
UNPROMOTED = tuple(t - PROMOTION_OFFSET if t > cshogi.KING else t for t in range(15))
# A capture moves a piece from the opponent's board into the capturer's hand.
CAPTURE_GAIN = tuple(PIECE_VALUES[t] + PIECE_VALUES[UNPROMOTED[t]] for t in range(15))
WHITE_PIECE_OFFSET = 16
DEFAULT_TEMPERATURE_CP = 100.0
BUILTIN_NAME = "maou_kit-builtin"


def material_balance(board: cshogi.Board) -> int:
    """Board plus hand material of the side to move minus the opponent's, in centipawns."""
    black_minus_white = 0
    for piece in board.pieces:
        if piece:
            value = PIECE_VALUES[piece % WHITE_PIECE_OFFSET]
            black_minus_white += -value if piece > WHITE_PIECE_OFFSET else value
    black_hand, white_hand = board.pieces_in_hand
    for value, black_count, white_count in zip(HAND_VALUES, black_hand, white_hand, strict=True):
        black_minus_white += value * (black_count - white_count)
    return black_minus_white if board.turn == cshogi.BLACK else -black_minus_white


def move_gain(move: int) -> int:
    """Material the mover gains by `move` itself: the capture plus any promotion."""
    gain = CAPTURE_GAIN[cshogi.move_cap(move)]
    if cshogi.move_is_promotion(move):
        moved = cshogi.move_from_piece_type(move)
        gain += PIECE_VALUES[moved + PROMOTION_OFFSET] - PIECE_VALUES[moved]
    return gain


def best_capture_gain(board: cshogi.Board) -> int:
    """The most material the side to move can win with one capture (0 when none)."""
    best = 0
    for move in board.legal_moves:
        captured = cshogi.move_cap(move)
        if captured and CAPTURE_GAIN[captured] > best:
            best = CAPTURE_GAIN[captured]
    return best


def score_moves(board: cshogi.Board) -> list[tuple[int, int]]:
    """(move, score for the mover) for every legal move, a two-ply material estimate."""
    balance = material_balance(board)
    scored = []
    for move in board.legal_moves:
        board.push(move)
        if board.mate_move_in_1ply():
            score = -MATE_SCORE
        else:
            score = balance + move_gain(move) - best_capture_gain(board)
        board.pop()
        scored.append((move, score))
    return scored


def softmax_choice(
    scored: Sequence[tuple[int, int]], temperature_cp: float, rng: random.Random
) -> tuple[int, int]:
    """Sample one (move, score); temperature 0 picks uniformly among the best."""
    best_score = max(score for _, score in scored)
    if temperature_cp <= 0:
        return rng.choice([item for item in scored if item[1] == best_score])
    weights = [math.exp((score - best_score) / temperature_cp) for _, score in scored]
    return rng.choices(scored, weights=weights, k=1)[0]


class SimplePlayer:
    """Mate-in-one, else a softmax over two-ply material scores; deterministic per seed."""

    def __init__(self, temperature_cp: float = DEFAULT_TEMPERATURE_CP, name: str | None = None):
        if temperature_cp < 0 or not math.isfinite(temperature_cp):
            raise ValueError(f"temperature must be a finite number >= 0, got {temperature_cp}")
        self.temperature_cp = temperature_cp
        self.name = name or f"{BUILTIN_NAME} (T={temperature_cp:g})"
        self._rng = random.Random(0)

    def new_game(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def choose_move(
        self, board: cshogi.Board, start_sfen: str, usi_moves: Sequence[str]
    ) -> MoveDecision:
        mate = board.mate_move_in_1ply()
        if mate:
            usi = cshogi.move_to_usi(mate)
            return MoveDecision(usi, mate_in=1, pv=(usi,))
        scored = score_moves(board)
        if not scored:
            return MoveDecision(RESIGN, mate_in=0)
        move, score = softmax_choice(scored, self.temperature_cp, self._rng)
        usi = cshogi.move_to_usi(move)
        if score == -MATE_SCORE:
            return MoveDecision(usi, mate_in=-2, pv=(usi,))
        return MoveDecision(usi, score_cp=score, pv=(usi,))

    def close(self) -> None:
        """Nothing to release; present so every player can be closed alike."""

    def __enter__(self) -> SimplePlayer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
