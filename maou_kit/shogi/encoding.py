"""Position encoding in the mover's frame (SPEC section 2), single and batched.

`board` is uint8[9, 9] indexed [rank][file] (row 0 = rank a, column 0 = file 1)
holding piece ids 0..28: 1..14 the mover's FU KY KE GI KI KA HI OU TO NKY NKE NGI
UMA RYU, 15..28 the opponent's. For White to move the board is rotated 180 degrees
and colours are swapped. `hand` is uint8[14]: mover's FU..HI counts, then the
opponent's.
"""

from __future__ import annotations

import array
from collections.abc import Sequence
from dataclasses import dataclass

import cshogi
import numpy as np

from maou_kit.shogi.sfen import parse_sfen

# cshogi piece codes: 1..14 Black P L N S B R G K +P +L +N +S +B +R, 17..30 White.
# Our ids order the kinds FU KY KE GI KI KA HI OU TO NKY NKE NGI UMA RYU.
_KIND_ID = {
    1: 1,
    2: 2,
    3: 3,
    4: 4,
    5: 6,
    6: 7,
    7: 5,
    8: 8,
    9: 9,
    10: 10,
    11: 11,
    12: 12,
    13: 13,
    14: 14,
}
# Index: cshogi piece code (0..31) + 32 when White moves -> encoded id.
_PIECE_ID_BY_TURN = np.zeros(64, dtype=np.uint8)
for _code, _kind in _KIND_ID.items():
    _PIECE_ID_BY_TURN[_code] = _kind  # Black's piece, Black to move
    _PIECE_ID_BY_TURN[_code + 16] = _kind + 14  # White's piece, Black to move
    _PIECE_ID_BY_TURN[32 + _code] = _kind + 14  # Black's piece, White to move
    _PIECE_ID_BY_TURN[32 + _code + 16] = _kind  # White's piece, White to move
del _code, _kind
# Board cell [y][x] (flattened y * 9 + x) reads cshogi square x * 9 + y for Black to
# move and the 180-degree rotated square 80 - (x * 9 + y) for White.
_CELL_Y, _CELL_X = np.divmod(np.arange(81), 9)
_SQUARE_OF_CELL = np.stack([_CELL_X * 9 + _CELL_Y, 80 - (_CELL_X * 9 + _CELL_Y)])

Positions = Sequence[str] | np.ndarray
"""A batch of positions: SFEN strings, or cshogi HCP records ((N,) HuffmanCodedPos or (N, 32) uint8)."""


def board_from_sfen(sfen: str) -> cshogi.Board:
    """A cshogi board for a checked SFEN (ValueError naming the SFEN when it is malformed)."""
    return cshogi.Board(parse_sfen(sfen))


def hcp_rows(positions: np.ndarray) -> np.ndarray:
    """View HCP records as (N, 32) uint8 rows, whatever their numpy dtype."""
    array = np.ascontiguousarray(positions)
    if array.dtype.names and "hcp" in array.dtype.names:
        array = np.ascontiguousarray(array["hcp"])
    if array.dtype != np.uint8 or array.ndim != 2 or array.shape[1] != 32:
        raise ValueError(
            f"HCP batch must be (N, 32) uint8 or HuffmanCodedPos records, got {array.dtype} {array.shape}"
        )
    return array


_SEVEN_BIT_WEIGHTS = 1 << np.arange(7)


def hcp_problems(rows: np.ndarray) -> list[str | None]:
    """Per HCP row, why cshogi must not decode it (None when the header is sound).

    cshogi's decoder writes the two king squares (7-bit fields after the turn bit)
    into its board without a bounds check: a value of 81 or more corrupts memory and
    can kill the process, so such rows are refused before cshogi sees them.
    """
    bits = np.unpackbits(rows[:, :2], axis=1, bitorder="little").astype(np.int64)
    black_king = bits[:, 1:8] @ _SEVEN_BIT_WEIGHTS
    white_king = bits[:, 8:15] @ _SEVEN_BIT_WEIGHTS
    problems: list[str | None] = [None] * len(rows)
    for index in np.nonzero((black_king >= 81) | (white_king >= 81) | (black_king == white_king))[
        0
    ]:
        problems[index] = (
            f"king squares {black_king[index]} and {white_king[index]} are not two board squares"
        )
    return problems


def iterate_boards(positions: Positions):
    """Yield (index, board) for a batch, reusing one cshogi board.

    HCP records that do not decode raise ValueError naming the row.
    """
    board = cshogi.Board()
    if isinstance(positions, np.ndarray):
        rows = hcp_rows(positions)
        for index, problem in enumerate(hcp_problems(rows)):
            if problem is not None:
                raise ValueError(f"HCP record at row {index} does not decode ({problem})")
        for index, row in enumerate(rows):
            try:
                board.set_hcp(row)
            except RuntimeError as error:  # cshogi: "incorrect Huffman code"
                raise ValueError(f"HCP record at row {index} does not decode ({error})") from None
            yield index, board
    else:
        for index, sfen in enumerate(positions):
            try:
                board.set_sfen(parse_sfen(sfen))
            except ValueError as error:
                raise ValueError(f"position {index}: {error}") from None
            yield index, board


def encode_pieces(pieces: np.ndarray, white_to_move: np.ndarray) -> np.ndarray:
    """Encode cshogi piece arrays (N, 81) by square into boards (N, 9, 9) in the mover's frame."""
    white = np.asarray(white_to_move, dtype=np.intp)
    rows = np.arange(len(white))[:, None]
    codes = pieces[rows, _SQUARE_OF_CELL[white]].astype(np.intp)
    return _PIECE_ID_BY_TURN[codes + (white[:, None] << 5)].reshape(-1, 9, 9)


def encode_hands(hands: np.ndarray, white_to_move: np.ndarray) -> np.ndarray:
    """Encode cshogi hand counts (N, 2, 7) (Black, White) into mover-first (N, 14) uint8."""
    white = np.asarray(white_to_move, dtype=bool)
    ordered = np.where(white[:, None, None], hands[:, ::-1, :], hands)
    return ordered.reshape(-1, 14).astype(np.uint8)


def encode_board(board: cshogi.Board) -> tuple[np.ndarray, np.ndarray]:
    """Encode the position of a cshogi board."""
    white = np.array([board.turn == cshogi.WHITE])
    pieces = np.asarray(board.pieces, dtype=np.intp)[None]
    hands = np.asarray(board.pieces_in_hand, dtype=np.uint8)[None]
    return encode_pieces(pieces, white)[0], encode_hands(hands, white)[0]


def encode_position(sfen: str) -> tuple[np.ndarray, np.ndarray]:
    """(board uint8[9, 9], hand uint8[14]) of an SFEN, in the mover's frame."""
    return encode_board(board_from_sfen(sfen))


@dataclass
class DecodedBatch:
    """Raw fields of a batch of positions, copied out of cshogi in one loop.

    `moves` holds every legal move of every position back to back (uint32), with
    `move_counts` moves per position; it is empty unless legal moves were asked for.
    """

    pieces: np.ndarray  # uint8[N, 81] cshogi piece codes by square
    hands: np.ndarray  # uint8[N, 2, 7] Black's then White's hand
    white: np.ndarray  # bool[N] White to move
    hashes: np.ndarray  # uint64[N] cshogi zobrist hash
    moves: np.ndarray  # uint32[M]
    move_counts: np.ndarray  # int64[N]

    @property
    def boards(self) -> np.ndarray:
        return encode_pieces(self.pieces, self.white)

    @property
    def encoded_hands(self) -> np.ndarray:
        return encode_hands(self.hands, self.white)


def decode_batch(positions: Positions, with_moves: bool = False) -> DecodedBatch:
    """Copy pieces, hands, turn, hash (and legal moves) of every position out of cshogi.

    The loop body only calls cshogi and appends to C-level buffers (bytearray,
    array.array); everything else happens afterwards as whole-batch array
    operations. This keeps target generation near cshogi's own enumeration speed.
    """
    pieces, hands, turns = bytearray(), bytearray(), bytearray()
    hashes, moves, counts = array.array("Q"), array.array("I"), array.array("q")
    add_pieces, add_hand, add_turn = pieces.extend, hands.extend, turns.append
    add_hash, add_moves, add_count = hashes.append, moves.extend, counts.append
    # An HCP record's first bit is the side to move, so HCP batches read it as one array.
    white = (
        (hcp_rows(positions)[:, 0] & 1).astype(bool) if isinstance(positions, np.ndarray) else None
    )
    for _, board in iterate_boards(positions):
        add_pieces(board.pieces)
        black_hand, white_hand = board.pieces_in_hand
        add_hand(black_hand)
        add_hand(white_hand)
        if white is None:
            add_turn(board.turn)
        add_hash(board.zobrist_hash())
        if with_moves:
            before = len(moves)
            add_moves(board.legal_moves)
            add_count(len(moves) - before)
    count = len(hashes)
    return DecodedBatch(
        pieces=np.frombuffer(pieces, dtype=np.uint8).reshape(count, 81),
        hands=np.frombuffer(hands, dtype=np.uint8).reshape(count, 2, 7),
        white=white if white is not None else np.frombuffer(turns, dtype=np.uint8).astype(bool),
        hashes=np.frombuffer(hashes, dtype=np.uint64),
        moves=np.frombuffer(moves, dtype=np.uint32),
        move_counts=np.frombuffer(counts, dtype=np.int64),
    )


def encode_positions(positions: Positions) -> tuple[np.ndarray, np.ndarray]:
    """Batch form of `encode_position`: (boards uint8[N, 9, 9], hands uint8[N, 14])."""
    batch = decode_batch(positions)
    return batch.boards, batch.encoded_hands
