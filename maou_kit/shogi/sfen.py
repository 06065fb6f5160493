"""Strict SFEN checking and building, so bad input fails with a ValueError, never a crash.

cshogi aborts the whole process (C++ `std::runtime_error`) on a malformed SFEN, so
every SFEN the kit hands to cshogi is checked here first: shape, piece letters,
counts, pawns/lances/knights that could never move, and two pawns on a file.
"""

from __future__ import annotations

import re

import numpy as np

_PIECE_LETTERS = "PLNSGBRK"
_PROMOTABLE = "PLNSBR"
# Total of each kind in a set (board, promoted or not, plus hands).
_TOTALS = {"P": 18, "L": 4, "N": 4, "S": 4, "G": 4, "B": 2, "R": 2, "K": 2}
_HAND_RE = re.compile(r"(\d*)([PLNSGBRplnsgbr])")
_HAND_ORDER = "RBGSNLP"  # SFEN's conventional hand order

# Encoded piece ids (SPEC section 2) -> SFEN letters for the mover (upper case = Black).
_ID_TO_SFEN = (
    "",
    "P",
    "L",
    "N",
    "S",
    "G",
    "B",
    "R",
    "K",
    "+P",
    "+L",
    "+N",
    "+S",
    "+B",
    "+R",
)
_HAND_ID_LETTERS = "PLNSGBR"


def parse_sfen(sfen: str) -> str:
    """Return `sfen` normalised (leading 'sfen ' dropped, move number defaulted) or raise ValueError."""
    if not isinstance(sfen, str):
        raise ValueError(f"SFEN must be a string, got {type(sfen).__name__}: {sfen!r}")
    text = sfen.strip()
    if text.startswith("sfen "):
        text = text[5:].strip()
    if text == "startpos":
        return "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"
    fields = text.split()
    if len(fields) not in (3, 4):
        raise ValueError(f"invalid SFEN {sfen!r}: expected 'board turn hand [move]'")
    board_field, turn, hand = fields[:3]
    move_number = fields[3] if len(fields) == 4 else "1"
    if turn not in ("b", "w"):
        raise ValueError(f"invalid SFEN {sfen!r}: side to move must be 'b' or 'w', got {turn!r}")
    if not move_number.isdigit():
        raise ValueError(f"invalid SFEN {sfen!r}: move number {move_number!r} is not a number")
    counts = dict.fromkeys(_TOTALS, 0)
    kings = {"b": 0, "w": 0}
    ranks = board_field.split("/")
    if len(ranks) != 9:
        raise ValueError(f"invalid SFEN {sfen!r}: board needs 9 ranks, got {len(ranks)}")
    pawn_files: set[tuple[bool, int]] = set()
    for y, rank in enumerate(ranks):
        x_from_left = 0  # SFEN lists file 9 first
        i = 0
        while i < len(rank):
            char = rank[i]
            if char.isdigit():
                x_from_left += int(char)
                i += 1
                continue
            promoted = char == "+"
            if promoted:
                i += 1
                if i >= len(rank):
                    raise ValueError(f"invalid SFEN {sfen!r}: '+' without a piece in rank {y + 1}")
                char = rank[i]
            kind = char.upper()
            if kind not in _PIECE_LETTERS or (promoted and kind not in _PROMOTABLE):
                raise ValueError(f"invalid SFEN {sfen!r}: bad piece {'+' * promoted}{char!r}")
            black = char.isupper()
            counts[kind] += 1
            if kind == "K":
                kings["b" if black else "w"] += 1
            if not promoted:
                forward_rank = y if black else 8 - y  # ranks still ahead of the piece
                if kind in "PL" and forward_rank == 0 or kind == "N" and forward_rank < 2:
                    raise ValueError(f"invalid SFEN {sfen!r}: {char} on a rank it can never leave")
                if kind == "P":
                    file_key = (black, x_from_left)
                    if file_key in pawn_files:
                        raise ValueError(f"invalid SFEN {sfen!r}: two unpromoted pawns on one file")
                    pawn_files.add(file_key)
            x_from_left += 1
            i += 1
        if x_from_left != 9:
            raise ValueError(f"invalid SFEN {sfen!r}: rank {y + 1} has {x_from_left} files, not 9")
    if hand != "-":
        position = 0
        for match in _HAND_RE.finditer(hand):
            if match.start() != position:
                break
            position = match.end()
            number = int(match.group(1)) if match.group(1) else 1
            if number < 1:
                raise ValueError(f"invalid SFEN {sfen!r}: hand count must be positive")
            counts[match.group(2).upper()] += number
        if position != len(hand):
            raise ValueError(f"invalid SFEN {sfen!r}: cannot read hand {hand!r}")
    for kind, total in _TOTALS.items():
        if counts[kind] > total:
            raise ValueError(f"invalid SFEN {sfen!r}: {counts[kind]} of {kind}, at most {total}")
    if kings["b"] > 1 or kings["w"] > 1:
        raise ValueError(f"invalid SFEN {sfen!r}: more than one king for a side")
    return f"{board_field} {turn} {hand} {move_number}"


def sfen_from_encoded(board: np.ndarray, hand: np.ndarray) -> str:
    """SFEN of an encoded position (mover's frame), with the mover as Black to move.

    Labels and masks computed on this SFEN equal those of the original position,
    because the encoding and the labels share the mover's frame.
    """
    board = np.asarray(board)
    hand = np.asarray(hand)
    if board.shape != (9, 9) or hand.shape != (14,):
        raise ValueError(
            f"encoded position needs board (9, 9) and hand (14,), got {board.shape}, {hand.shape}"
        )
    rows = []
    for y in range(9):
        row, empty = "", 0
        for x in range(8, -1, -1):  # SFEN starts at file 9; column x is file x + 1
            piece_id = int(board[y, x])
            if piece_id == 0:
                empty += 1
                continue
            if not 0 < piece_id < 29:
                raise ValueError(f"encoded board holds piece id {piece_id} outside 0..28")
            if empty:
                row += str(empty)
                empty = 0
            letters = _ID_TO_SFEN[piece_id if piece_id <= 14 else piece_id - 14]
            row += letters if piece_id <= 14 else letters.lower()
        rows.append(row + (str(empty) if empty else ""))
    hand_text = ""
    for side, offset in ((str.upper, 0), (str.lower, 7)):
        for letter in _HAND_ORDER:
            count = int(hand[offset + _HAND_ID_LETTERS.index(letter)])
            if count:
                hand_text += (str(count) if count > 1 else "") + side(letter)
    return f"{'/'.join(rows)} b {hand_text or '-'} 1"
