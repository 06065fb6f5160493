"""HuffmanCodedPos (HCP) records, cshogi's 32-byte position format, decoded for whole batches.

The format (Apery's, read by cshogi's `Position::set_hcp`) is a 256-bit stream read from
bit 0 of byte 0 upward: the side to move (1 bit), Black's and White's king squares (7 bits
each), one board code for every other square in cshogi's order 0..80, then one hand code
per piece in hand, in any order, up to the last bit. cshogi walks that stream one bit at a
time per position and hands the result back through Python lists, which costs more than
its move generation; here the board and hands of a whole batch are decoded with array
operations, two squares per step for every position at once.

A row is `exact` when its decode provably matches cshogi's: the king squares are two board
squares, the hand codes are ones cshogi knows and end exactly on bit 256, and no hand count
overflows cshogi's packed hand fields. Every record cshogi writes for a position with both
kings is exact, handicap positions included (cshogi fills the hand section with "box" codes
for the missing pieces, see `_BOX_CODES`). Other rows must be read back from cshogi itself:
its decoder may reject them, overflow a hand count, or read past the 32 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# cshogi piece code -> (code, length) from cshogi's `HuffmanCodedPos::boardCodeTable`; bit i
# of `code` is the i-th bit of the stream. Kings (8, 24) have no code: their squares are in
# the header. Codes 1..14 are Black's P L N S B R G K +P +L +N +S +B +R, 17..30 White's.
_BOARD_CODES = {
    0: (0b0, 1),
    1: (0b1, 4), 2: (0b11, 6), 3: (0b111, 6), 4: (0b1011, 6),
    5: (0b11111, 8), 6: (0b111111, 8), 7: (0b1111, 6),
    9: (0b1001, 4), 10: (0b100011, 6), 11: (0b100111, 6), 12: (0b101011, 6),
    13: (0b10011111, 8), 14: (0b10111111, 8),
    17: (0b101, 4), 18: (0b10011, 6), 19: (0b10111, 6), 20: (0b11011, 6),
    21: (0b1011111, 8), 22: (0b1111111, 8), 23: (0b101111, 6),
    25: (0b1101, 4), 26: (0b110011, 6), 27: (0b110111, 6), 28: (0b111011, 6),
    29: (0b11011111, 8), 30: (0b11111111, 8),
}  # fmt: skip
# colour * 7 + hand index (P L N S G B R, cshogi's hand order) -> (code, length), from
# cshogi's `HuffmanCodedPos::handCodeTable`; then, for handicap positions, the codes cshogi
# writes for a piece that is neither on the board nor in a hand (in the box; cshogi
# PR #19: "black promoted piece" codes, for gold the "white promoted silver" one), which
# its decoder reads and drops. Unlike the board code, not every bit pattern is a hand code.
_HAND_CODES = {
    0: (0b0, 3), 1: (0b1, 5), 2: (0b11, 5), 3: (0b101, 5),
    4: (0b111, 5), 5: (0b11111, 7), 6: (0b111111, 7),
    7: (0b100, 3), 8: (0b10001, 5), 9: (0b10011, 5), 10: (0b10101, 5),
    11: (0b10111, 5), 12: (0b1011111, 7), 13: (0b1111111, 7),
}  # fmt: skip
_BOX_CODES = [
    (0b10, 3), (0b1001, 5), (0b1011, 5), (0b1101, 5), (0b11101, 5), (0b1111, 7), (0b101111, 7),
]  # fmt: skip
_BOX_SYMBOL = 14
_BAD_HAND_CODE = 15
# The most pieces of each kind cshogi's 32-bit hand holds (5 bits for pawns, 3 for L N S G,
# 2 for B R); one more would carry into the next field.
_HAND_CAPACITY = np.array([31, 7, 7, 7, 7, 3, 3] * 2)
_BLACK_KING, _WHITE_KING = 8, 24
_STREAM_BITS = 256
_HEADER_BITS = 15
_WORDS = 33  # 32-bit words starting at every byte of a row zero-padded to 36 bytes
_ROW_BITS = _WORDS * 8  # bit index of a row inside the flat word array: row * 264 + bit
_STEPS = 41  # pairs of squares: 0-1, 2-3, ..., 80-81 (81 is a phantom, always skipped)
_KING_FIRST, _KING_SECOND = 1 << 16, 2 << 16  # pair-table offsets: that square is a king
_CHUNK = 4096  # positions decoded together, so that each step's arrays stay in cache


def _first_symbols(
    codes: list[tuple[int, tuple[int, int]]], missing: int
) -> tuple[np.ndarray, np.ndarray]:
    """(symbol, length) of the code that starts each 8-bit window; `missing`, 0 where none does."""
    windows = np.arange(256)
    symbols = np.full(256, missing, dtype=np.int64)
    lengths = np.zeros(256, dtype=np.int64)
    for symbol, (code, length) in codes:
        starts_here = (windows & ((1 << length) - 1)) == code
        if (starts_here & (symbols != missing)).any():
            raise AssertionError(f"HCP code of {symbol} is a prefix of another code")
        symbols[starts_here], lengths[starts_here] = symbol, length
    return symbols, lengths


_BOARD_SYMBOL, _BOARD_LENGTH = _first_symbols(list(_BOARD_CODES.items()), missing=-1)
if (_BOARD_SYMBOL < 0).any():
    raise AssertionError("HCP board code does not cover every bit pattern")
_HAND_SYMBOL, _HAND_LENGTH = _first_symbols(
    [*_HAND_CODES.items(), *((_BOX_SYMBOL, code) for code in _BOX_CODES)], missing=_BAD_HAND_CODE
)


def _build_pair_table() -> np.ndarray:
    """Two squares per lookup: index = 16-bit window + king flags, value = codes | bits << 16.

    The low 16 bits hold first code | second code << 8, so that a row of them viewed as
    little-endian bytes is the board; bits 16+ hold how many stream bits both codes take.
    A king square reads no bits and gets Black's king code (White's is set afterwards).
    """
    window = np.arange(1 << 16)
    entries = []
    for flags in range(4):
        first_king, second_king = bool(flags & 1), bool(flags & 2)
        first = np.full_like(window, _BLACK_KING) if first_king else _BOARD_SYMBOL[window & 255]
        first_length = 0 if first_king else _BOARD_LENGTH[window & 255]
        rest = (window >> first_length) & 255
        second = np.full_like(window, _BLACK_KING) if second_king else _BOARD_SYMBOL[rest]
        second_length = 0 if second_king else _BOARD_LENGTH[rest]
        entries.append(first | second << 8 | (first_length + second_length) << 16)
    return np.concatenate(entries).astype(np.uint32)


_PAIR_ENTRIES = _build_pair_table()


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


def king_squares(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Black's, White's) king square fields (0..127) of (N, 32) HCP rows."""
    header = rows[:, 0].astype(np.intp) | rows[:, 1].astype(np.intp) << 8
    return (header >> 1) & 127, (header >> 8) & 127


def hcp_problems(rows: np.ndarray) -> list[str | None]:
    """Per HCP row, why cshogi must not decode it (None when the header is sound).

    cshogi's decoder writes the two king squares (7-bit fields after the turn bit)
    into its board without a bounds check: a value of 81 or more corrupts memory and
    can kill the process, so such rows are refused before cshogi sees them.
    """
    black_king, white_king = king_squares(rows)
    problems: list[str | None] = [None] * len(rows)
    unsound = (black_king >= 81) | (white_king >= 81) | (black_king == white_king)
    for index in np.nonzero(unsound)[0]:
        problems[index] = (
            f"king squares {black_king[index]} and {white_king[index]} are not two board squares"
        )
    return problems


@dataclass
class HcpPositions:
    """Board and hands of a batch of HCP records, laid out as cshogi's accessors give them."""

    pieces: np.ndarray  # uint8[N, 81] cshogi piece codes by square (`Board.pieces`)
    hands: np.ndarray  # uint8[N, 2, 7] Black's then White's hand (`Board.pieces_in_hand`)
    white: np.ndarray  # bool[N] White to move
    exact: np.ndarray  # bool[N] the decode matches cshogi's; other rows hold garbage


def _words(rows: np.ndarray) -> np.ndarray:
    """int64[(n + 3) * 33]: the 32 bits starting at each byte of each row, rows flattened.

    Three zero rows at the end keep a runaway decode of the last rows inside the array.
    """
    padded = np.zeros((len(rows) + 3, 36), dtype=np.uint8)
    padded[: len(rows), :32] = rows
    unaligned = np.ndarray((len(padded), _WORDS), dtype="<u4", buffer=padded, strides=(36, 1))
    return unaligned.astype(np.int64).reshape(-1)


def _decode_boards(words: np.ndarray, black_king: np.ndarray, white_king: np.ndarray):
    """(pair entries uint32[41, n], end bit of the board codes int64[n]) of n rows."""
    count = len(black_king)
    row = np.arange(count)
    # Per step, the table offset that marks a king on the first or second square of the pair.
    flags = np.zeros((_STEPS, count), dtype=np.intp)
    flags[black_king >> 1, row] = np.where(black_king & 1, _KING_SECOND, _KING_FIRST)
    flags[white_king >> 1, row] += np.where(white_king & 1, _KING_SECOND, _KING_FIRST)
    flags[_STEPS - 1] += _KING_SECOND  # the phantom square 81
    bit = row * _ROW_BITS + _HEADER_BITS
    entries = np.empty((_STEPS, count), dtype=np.uint32)
    word_index, window = np.empty(count, dtype=np.intp), np.empty(count, dtype=np.int64)
    shift, length = np.empty(count, dtype=np.intp), np.empty(count, dtype=np.uint32)
    for step in range(_STEPS):
        np.right_shift(bit, 3, out=word_index)
        words.take(word_index, out=window)
        np.bitwise_and(bit, 7, out=shift)
        np.right_shift(window, shift, out=window)
        np.bitwise_and(window, 0xFFFF, out=window)
        np.add(window, flags[step], out=window)
        _PAIR_ENTRIES.take(window, out=entries[step])
        np.right_shift(entries[step], 16, out=length)
        np.add(bit, length, out=bit)
    return entries, bit - row * _ROW_BITS


def _decode_hands(words: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hand counts int64[n, 14], whether each row's hand codes end exactly on bit 256).

    `start` is where each row's hand codes begin (257 for a board that ran past the end).
    """
    count = len(start)
    ends_exactly = start == _STREAM_BITS
    active = np.nonzero(start < _STREAM_BITS)[0]
    bit = active * _ROW_BITS + start[active]
    owners, symbols = [], []
    while active.size:
        window = (words[bit >> 3] >> (bit & 7)) & 255
        symbol = _HAND_SYMBOL[window]
        bit = bit + _HAND_LENGTH[window]
        owners.append(active)
        symbols.append(symbol)
        position = bit - active * _ROW_BITS
        done = (symbol == _BAD_HAND_CODE) | (position >= _STREAM_BITS)
        ends_exactly[active[done & (symbol != _BAD_HAND_CODE) & (position == _STREAM_BITS)]] = True
        active, bit = active[~done], bit[~done]
    if not owners:
        return np.zeros((count, 14), dtype=np.int64), ends_exactly
    # Columns 14 (box) and 15 (bad code) of the count are dropped.
    keys = np.concatenate(owners) * 16 + np.concatenate(symbols)
    return np.bincount(keys, minlength=count * 16).reshape(count, 16)[:, :14], ends_exactly


def decode_hcp(rows: np.ndarray) -> HcpPositions:
    """Decode (N, 32) uint8 HCP rows (see `hcp_rows`) into cshogi's piece codes and hands.

    Works through `_CHUNK` rows at a time so that every temporary stays small and cached.
    """
    count = len(rows)
    black_king, white_king = king_squares(rows)
    sound_kings = (black_king < 81) & (white_king < 81) & (black_king != white_king)
    # Rows with unusable king squares decode as if the kings stood on 0 and 1 (not exact).
    black_king = np.where(sound_kings, black_king, 0)
    white_king = np.where(sound_kings, white_king, 1)
    # 82 bytes a row: one pair entry (two squares, the last one the phantom) per 2 bytes.
    squares = np.empty((count, 2 * _STEPS), dtype=np.uint8)
    hands = np.empty((count, 14), dtype=np.uint8)
    exact = sound_kings.copy()
    for start in range(0, count, _CHUNK):
        stop = min(start + _CHUNK, count)
        words = _words(rows[start:stop])
        entries, board_end = _decode_boards(words, black_king[start:stop], white_king[start:stop])
        squares[start:stop].view("<u2")[:] = entries.T  # keeps the codes, drops the length
        board_end[board_end > _STREAM_BITS] = _STREAM_BITS + 1
        counts, hands_end_exactly = _decode_hands(words, board_end)
        hands[start:stop] = counts
        exact[start:stop] &= hands_end_exactly & (counts <= _HAND_CAPACITY).all(axis=1)
    pieces = squares[:, :81]
    pieces[np.arange(count), white_king] = _WHITE_KING
    return HcpPositions(
        pieces=pieces,
        hands=hands.reshape(count, 2, 7),
        white=(rows[:, 0] & 1).astype(bool),
        exact=exact,
    )
