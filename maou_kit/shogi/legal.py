"""Move labels of positions and legal-move masks (SPEC sections 3-4), single and batched.

Full legality comes from cshogi's generator (check evasion, pins, no two pawns on a
file, no drop-pawn mate, forced promotion); this module only maps moves to labels.
"""

from __future__ import annotations

import re

import cshogi
import numpy as np

from maou_kit.schema import MOVE_LABELS_NUM
from maou_kit.shogi.encoding import (
    DecodedBatch,
    Positions,
    board_from_sfen,
    decode_batch,
    iterate_boards,
)
from maou_kit.shogi.labels import MOVE16_LOOKUP, labels_of_moves
from maou_kit.shogi.sfen import sfen_from_encoded

_USI_MOVE = re.compile(r"^(?:[1-9][a-i][1-9][a-i]\+?|[PLNSGBR]\*[1-9][a-i])$")


def _legal_moves(board: cshogi.Board) -> np.ndarray:
    return np.fromiter(board.legal_moves, dtype=np.int64)


def move_label(sfen: str, usi_move: str) -> int:
    """Label (0..1495) of a legal USI move in the position; ValueError for an illegal one."""
    board = board_from_sfen(sfen)
    if not isinstance(usi_move, str) or not _USI_MOVE.match(usi_move):
        raise ValueError(f"invalid USI move {usi_move!r}")
    move = board.move_from_usi(usi_move)
    if not move or not board.is_legal(move):
        raise ValueError(f"move {usi_move} is not legal in {board.sfen()}")
    return int(labels_of_moves(np.array([move]), board.turn == cshogi.WHITE)[0])


def label_to_usi(sfen: str, label: int) -> str:
    """The legal USI move that has `label` in the position; ValueError if none has it."""
    if not isinstance(label, (int, np.integer)) or not 0 <= int(label) < MOVE_LABELS_NUM:
        raise ValueError(f"label {label!r} is out of range 0..{MOVE_LABELS_NUM - 1}")
    board = board_from_sfen(sfen)
    moves = _legal_moves(board)
    labels = labels_of_moves(moves, board.turn == cshogi.WHITE)
    found = np.nonzero(labels == int(label))[0]
    if found.size == 0:
        raise ValueError(f"label {label} is not a legal move in {board.sfen()}")
    return cshogi.move_to_usi(int(moves[found[0]]))


def legal_moves_mask(sfen: str) -> np.ndarray:
    """uint8[1496] with 1 at the label of every legal move of the position."""
    board = board_from_sfen(sfen)
    mask = np.zeros(MOVE_LABELS_NUM, dtype=np.uint8)
    mask[labels_of_moves(_legal_moves(board), board.turn == cshogi.WHITE)] = 1
    return mask


_MASK_CHUNK = 2048  # positions per pass: the per-move temporaries stay small, cached, reused


def masks_from_moves(batch: DecodedBatch) -> np.ndarray:
    """uint8[N, 1496] legal-move masks from a batch decoded with its legal moves."""
    count = len(batch.white)
    masks = np.zeros((count, MOVE_LABELS_NUM), dtype=np.uint8)
    cells_of_masks = masks.reshape(-1)
    move_ends = np.cumsum(batch.move_counts)
    white_bit = batch.white.astype(np.uint32) << 15
    for start in range(0, count, _MASK_CHUNK):
        stop = min(start + _MASK_CHUNK, count)
        counts = batch.move_counts[start:stop]
        first_move = move_ends[start - 1] if start else 0
        # `labels_of_moves` inlined on 32-bit codes: 15-bit move code | White-to-move bit.
        codes = batch.moves[first_move : move_ends[stop - 1]] & 0x7FFF
        codes |= np.repeat(white_bit[start:stop], counts)
        row_starts = np.arange(start, stop, dtype=np.intp) * MOVE_LABELS_NUM
        cells = np.repeat(row_starts, counts)
        cells += MOVE16_LOOKUP.take(codes)
        cells_of_masks[cells] = 1
    return masks


def stage2_targets(positions: Positions) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Decode, encode and mask a batch in one pass.

    Returns (boards uint8[N, 9, 9], hands uint8[N, 14], masks uint8[N, 1496],
    position hashes uint64[N]).
    """
    batch = decode_batch(positions, with_moves=True)
    return batch.boards, batch.encoded_hands, masks_from_moves(batch), batch.hashes


def legal_moves_masks(positions: Positions) -> np.ndarray:
    """Batch form of `legal_moves_mask`: uint8[N, 1496]."""
    return stage2_targets(positions)[2]


def move_labels(positions: Positions, usi_moves: list[str]) -> np.ndarray:
    """Batch form of `move_label`: int16[N] labels of one legal move per position."""
    if len(usi_moves) != len(positions):
        raise ValueError(f"{len(positions)} positions but {len(usi_moves)} moves")
    moves = np.zeros(len(usi_moves), dtype=np.int64)
    white = np.zeros(len(usi_moves), dtype=bool)
    for index, board in iterate_boards(positions):
        usi = usi_moves[index]
        move = board.move_from_usi(usi) if isinstance(usi, str) and _USI_MOVE.match(usi) else 0
        if not move or not board.is_legal(move):
            raise ValueError(f"position {index}: move {usi!r} is not legal in {board.sfen()}")
        moves[index] = move
        white[index] = board.turn == cshogi.WHITE
    return labels_of_moves(moves, white)


def legal_moves_mask_from_encoded(boards: np.ndarray, hands: np.ndarray) -> np.ndarray:
    """Legal-move masks of encoded positions (N, 9, 9) + (N, 14), via their mover-as-Black SFEN."""
    sfens = [sfen_from_encoded(board, hand) for board, hand in zip(boards, hands, strict=True)]
    return legal_moves_masks(sfens)
