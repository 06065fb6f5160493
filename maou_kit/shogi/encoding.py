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

from maou_kit.shogi.hcp import decode_hcp, hcp_problems, hcp_rows
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
# Two squares per lookup: index = (first code | second code << 8) + 65536 when White
# moves, value = (first id | second id << 8), little-endian so that a row of values
# viewed as bytes lists the ids square by square.
_PAIR_KEYS = np.arange(1 << 16)
_PAIR_ID_BY_TURN = np.concatenate(
    [
        _PIECE_ID_BY_TURN[(_PAIR_KEYS & 31) + turn]
        | _PIECE_ID_BY_TURN[((_PAIR_KEYS >> 8) & 31) + turn].astype(np.uint16) << 8
        for turn in (0, 32)
    ]
).astype("<u2")
del _PAIR_KEYS

Positions = Sequence[str] | np.ndarray
"""A batch of positions: SFEN strings, or cshogi HCP records ((N,) HuffmanCodedPos or (N, 32) uint8)."""


def board_from_sfen(sfen: str) -> cshogi.Board:
    """A cshogi board for a checked SFEN (ValueError naming the SFEN when it is malformed)."""
    return cshogi.Board(parse_sfen(sfen))


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


_ENCODE_CHUNK = 1024  # positions per pass: temporaries stay small, cached and reused


def encode_pieces(pieces: np.ndarray, white_to_move: np.ndarray) -> np.ndarray:
    """Encode cshogi piece arrays (N, 81) by square into boards (N, 9, 9) in the mover's frame."""
    count = len(pieces)
    white = np.asarray(white_to_move, dtype=bool)
    boards = np.empty((count, 9, 9), dtype=np.uint8)
    for start in range(0, count, _ENCODE_CHUNK):
        stop = min(start + _ENCODE_CHUNK, count)
        chunk, chunk_white = pieces[start:stop], white[start:stop]
        # Squares padded to 82 so that each row is 41 two-square keys for _PAIR_ID_BY_TURN.
        squares = np.zeros((stop - start, 82), dtype=np.uint8)
        squares[:, :81] = chunk
        squares[chunk_white, :81] = chunk[chunk_white, ::-1]  # White: square s reads 80 - s
        keys = np.add(
            squares.view("<u2"), chunk_white.astype(np.intp)[:, None] << 16, dtype=np.intp
        )
        by_square = _PAIR_ID_BY_TURN.take(keys).view(np.uint8)[:, :81]
        # Cell [y][x] holds square x * 9 + y.
        boards[start:stop] = by_square.reshape(stop - start, 9, 9).transpose(0, 2, 1)
    return boards


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
    """Raw fields of a batch of positions, in cshogi's layout.

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


def _decode_hcp_batch(rows: np.ndarray, with_moves: bool) -> DecodedBatch:
    """HCP rows: board and hands decoded as arrays (`decode_hcp`), cshogi only for the rest.

    The loop asks cshogi for what only it knows (does the record decode, its hash, the
    legal moves) and appends to C-level buffers; rows whose array decode is not provably
    cshogi's are read back from cshogi's accessors afterwards.
    """
    for index, problem in enumerate(hcp_problems(rows)):
        if problem is not None:
            raise ValueError(f"HCP record at row {index} does not decode ({problem})")
    decoded = decode_hcp(rows)
    board = cshogi.Board()
    hashes, moves, move_ends = array.array("Q"), array.array("I"), array.array("q")
    set_hcp, zobrist_hash, add_hash = board.set_hcp, board.zobrist_hash, hashes.append
    add_moves, add_end = moves.fromlist, move_ends.append
    try:
        if with_moves:
            for row in rows:
                set_hcp(row)
                add_hash(zobrist_hash())
                add_moves(list(board.legal_moves))  # faster than extending from the iterator
                add_end(len(moves))
        else:
            for row in rows:
                set_hcp(row)
                add_hash(zobrist_hash())
    except RuntimeError as error:  # cshogi: "incorrect Huffman code"
        raise ValueError(f"HCP record at row {len(hashes)} does not decode ({error})") from None
    for index in np.nonzero(~decoded.exact)[0]:
        board.set_hcp(rows[index])
        decoded.pieces[index] = board.pieces
        decoded.hands[index] = board.pieces_in_hand
    return DecodedBatch(
        pieces=decoded.pieces,
        hands=decoded.hands,
        white=decoded.white,
        hashes=np.frombuffer(hashes, dtype=np.uint64),
        moves=np.frombuffer(moves, dtype=np.uint32),
        move_counts=np.diff(np.frombuffer(move_ends, dtype=np.int64), prepend=0),
    )


def decode_batch(positions: Positions, with_moves: bool = False) -> DecodedBatch:
    """Pieces, hands, turn, hash (and legal moves) of every position, as cshogi sees them.

    HCP batches go through `_decode_hcp_batch`. For SFEN batches the loop body only
    calls cshogi and appends to C-level buffers (bytearray, array.array); everything
    else happens afterwards as whole-batch array operations.
    """
    if isinstance(positions, np.ndarray):
        return _decode_hcp_batch(hcp_rows(positions), with_moves)
    pieces, hands, turns = bytearray(), bytearray(), bytearray()
    hashes, moves, counts = array.array("Q"), array.array("I"), array.array("q")
    add_pieces, add_hand, add_turn = pieces.extend, hands.extend, turns.append
    add_hash, add_moves, add_count = hashes.append, moves.extend, counts.append
    for _, board in iterate_boards(positions):
        add_pieces(board.pieces)
        black_hand, white_hand = board.pieces_in_hand
        add_hand(black_hand)
        add_hand(white_hand)
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
        white=np.frombuffer(turns, dtype=np.uint8).astype(bool),
        hashes=np.frombuffer(hashes, dtype=np.uint64),
        moves=np.frombuffer(moves, dtype=np.uint32),
        move_counts=np.frombuffer(counts, dtype=np.int64),
    )


def encode_positions(positions: Positions) -> tuple[np.ndarray, np.ndarray]:
    """Batch form of `encode_position`: (boards uint8[N, 9, 9], hands uint8[N, 14])."""
    batch = decode_batch(positions)
    return batch.boards, batch.encoded_hands
