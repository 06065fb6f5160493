"""A start position under construction, as the CSA and KIF headers describe it.

Record formats build the start position piece by piece (CSA `P1..P9`, `PI`, `P+`/`P-`
with `00AL`; KIF board diagrams and 持駒 lines). `EditablePosition` collects those
edits and writes an SFEN; the SFEN is checked by `maou_kit.shogi.sfen.parse_sfen`
before cshogi ever sees it.

Pieces are SFEN tokens: upper case Black, lower case White, "+" for promoted ("+p" is
a White tokin). Squares are (file, rank), both 1..9, as in "7g" = (7, 7).
"""

from __future__ import annotations

from collections import Counter

HIRATE_SFEN = "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"
HAND_KINDS = "RBGSNLP"  # SFEN's conventional order of pieces in hand
FULL_SET = {"P": 18, "L": 4, "N": 4, "S": 4, "G": 4, "B": 2, "R": 2, "K": 2}


def usi_square(file: int, rank: int) -> str:
    """USI name of a square: (7, 6) -> "7f"."""
    return f"{file}{'abcdefghi'[rank - 1]}"


class EditablePosition:
    """Board and hands being assembled from a record header."""

    def __init__(self) -> None:
        self.squares: dict[tuple[int, int], str] = {}
        self.hands: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}

    @classmethod
    def from_sfen_board(cls, sfen: str) -> EditablePosition:
        """Start from the board and hands of a trusted SFEN (the side to move is not kept)."""
        position = cls()
        board, _turn, hand = sfen.split()[:3]
        for rank, row in enumerate(board.split("/"), start=1):
            file = 9
            promoted = False
            for char in row:
                if char.isdigit():
                    file -= int(char)
                elif char == "+":
                    promoted = True
                else:
                    position.squares[(file, rank)] = ("+" if promoted else "") + char
                    promoted = False
                    file -= 1
        count = ""
        for char in "" if hand == "-" else hand:
            if char.isdigit():
                count += char
            else:
                position.hands[char.isupper()][char.upper()] += int(count or 1)
                count = ""
        return position

    def put(self, file: int, rank: int, token: str) -> None:
        if not (1 <= file <= 9 and 1 <= rank <= 9):
            raise ValueError(f"square {file}{rank} is off the board")
        if (file, rank) in self.squares:
            raise ValueError(f"square {file}{rank} is given two pieces")
        self.squares[(file, rank)] = token

    def take(self, file: int, rank: int) -> str | None:
        return self.squares.pop((file, rank), None)

    def add_to_hand(self, black: bool, kind: str, count: int = 1) -> None:
        if kind not in HAND_KINDS:
            raise ValueError(f"{kind} cannot be held in hand")
        self.hands[black][kind] += count

    def unplaced(self) -> Counter[str]:
        """Pieces of a full set (kings excepted) that are neither on the board nor in a hand."""
        used: Counter[str] = Counter(token[-1].upper() for token in self.squares.values())
        used += self.hands[True] + self.hands[False]
        return Counter({kind: FULL_SET[kind] - used[kind] for kind in HAND_KINDS})

    def to_sfen(self, black_to_move: bool) -> str:
        rows = []
        for rank in range(1, 10):
            row, empty = "", 0
            for file in range(9, 0, -1):
                token = self.squares.get((file, rank))
                if token is None:
                    empty += 1
                    continue
                row += (str(empty) if empty else "") + token
                empty = 0
            rows.append(row + (str(empty) if empty else ""))
        hand = ""
        for black in (True, False):
            for kind in HAND_KINDS:
                count = self.hands[black][kind]
                if count:
                    letter = kind if black else kind.lower()
                    hand += (str(count) if count > 1 else "") + letter
        return f"{'/'.join(rows)} {'b' if black_to_move else 'w'} {hand or '-'} 1"


# cshogi piece types (PAWN=1 ... KING=8, PROM_PAWN=9 ... PROM_ROOK=14) by SFEN token.
CSHOGI_PIECE_TYPES = {
    "P": 1,
    "L": 2,
    "N": 3,
    "S": 4,
    "B": 5,
    "R": 6,
    "G": 7,
    "K": 8,
    "+P": 9,
    "+L": 10,
    "+N": 11,
    "+S": 12,
    "+B": 13,
    "+R": 14,
}
PROMOTION_OFFSET = 8  # cshogi: promoted type = unpromoted type + 8


def cshogi_square(file: int, rank: int) -> int:
    """cshogi's square index: file-major, file 1 rank a = 0."""
    return (file - 1) * 9 + (rank - 1)
