"""Japanese notation shared by KIF and KI2: numerals, piece names, handicaps, and the
header (players, 手合割, board diagram, pieces in hand, side to move) that gives the
start position.

Handicap games: 上手 (the stronger player, the one giving the handicap) is White and
moves first; 下手 is Black.
"""

from __future__ import annotations

from collections import Counter

from maou_kit.shogi.records.position import HIRATE_SFEN, EditablePosition

FULLWIDTH_DIGITS = "１２３４５６７８９"
KANJI_DIGITS = "一二三四五六七八九"
KANJI_PIECES = {
    "歩": "P",
    "香": "L",
    "桂": "N",
    "銀": "S",
    "金": "G",
    "角": "B",
    "飛": "R",
    "玉": "K",
    "王": "K",
    "と": "+P",
    "杏": "+L",
    "成香": "+L",
    "圭": "+N",
    "成桂": "+N",
    "全": "+S",
    "成銀": "+S",
    "馬": "+B",
    "龍": "+R",
    "竜": "+R",
}
PIECE_NAME_PATTERN = "成銀|成桂|成香|[歩香桂銀金角飛玉王と杏圭全馬龍竜]"

_HANDICAP_BOARDS = {
    "平手": "lnsgkgsnl/1r5b1",
    "香落ち": "lnsgkgsn1/1r5b1",
    "右香落ち": "1nsgkgsnl/1r5b1",
    "角落ち": "lnsgkgsnl/1r7",
    "飛車落ち": "lnsgkgsnl/7b1",
    "飛香落ち": "lnsgkgsn1/7b1",
    "二枚落ち": "lnsgkgsnl/9",
    "三枚落ち": "lnsgkgsn1/9",
    "四枚落ち": "1nsgkgsn1/9",
    "五枚落ち": "2sgkgsn1/9",
    "左五枚落ち": "1nsgkgs2/9",
    "六枚落ち": "2sgkgs2/9",
    "左七枚落ち": "2sgkg3/9",
    "右七枚落ち": "3gkgs2/9",
    "八枚落ち": "3gkg3/9",
    "十枚落ち": "4k4/9",
    "トンボ": "4k4/1r5b1",
}
_BLACK_HALF = "ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL"


def handicap_sfen(name: str) -> str:
    """Start SFEN of a 手合割 name (White moves first in every handicap); ValueError if unknown."""
    key = name.strip().strip("　")
    if key == "平手":
        return HIRATE_SFEN
    if key not in _HANDICAP_BOARDS:
        raise ValueError(f"unknown 手合割 {name!r}")
    return f"{_HANDICAP_BOARDS[key]}/{_BLACK_HALF} w - 1"


def kanji_number(text: str) -> int:
    """ "十五" -> 15, "二" -> 2, "" -> 1 (a piece named without a count)."""
    if not text:
        return 1
    tens, _, units = text.rpartition("十")
    if "十" in text:
        value = 10 * (KANJI_DIGITS.index(tens) + 1 if tens else 1)
    else:
        value, units = 0, text
    if units:
        if units not in KANJI_DIGITS:
            raise ValueError(f"unreadable count {text!r}")
        value += KANJI_DIGITS.index(units) + 1
    return value


def parse_hand(text: str) -> Counter[str]:
    """ "飛二　角　歩十五" -> Counter({"P": 15, "R": 2, "B": 1}); "なし" -> empty."""
    hand: Counter[str] = Counter()
    for item in text.replace("　", " ").split():
        if item == "なし":
            continue
        kind = KANJI_PIECES.get(item[0])
        if kind is None or kind.startswith("+") or kind == "K":
            raise ValueError(f"unreadable piece in hand {item!r}")
        hand[kind] += kanji_number(item[1:])
    return hand


class JapaneseHeader:
    """The header of a KIF/KI2 record: `feed` each line; `start_sfen` at the first move."""

    def __init__(self) -> None:
        self.names = ["", ""]
        self.handicap = ""
        self.rows: dict[int, str] = {}
        self.hands: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
        self.black_to_move: bool | None = None

    def feed(self, line: str) -> bool:
        """Take a header line; False if the line is not part of a header."""
        stripped = line.strip()
        if stripped.startswith("|") and stripped.count("|") >= 2:
            rank_name = stripped[stripped.rindex("|") + 1 :].strip()
            if rank_name[:1] not in KANJI_DIGITS:
                raise ValueError(f"unreadable board diagram row {line!r}")
            rank = KANJI_DIGITS.index(rank_name[0]) + 1
            if rank in self.rows:
                raise ValueError(f"board diagram gives rank {rank_name[0]} twice")
            self.rows[rank] = stripped[1 : stripped.rindex("|")]
            return True
        if (
            stripped.startswith("+--")
            or stripped.startswith("９ ８")
            or stripped.startswith("手数＝")
        ):
            return True
        if stripped in ("先手番", "下手番", "後手番", "上手番"):
            self.black_to_move = stripped in ("先手番", "下手番")
            return True
        key, colon, value = stripped.partition("：")
        if not colon:
            key, colon, value = stripped.partition(":")
        if not colon or not key:
            return False
        value = value.strip().strip("　")
        if key in ("先手", "下手"):
            self.names[0] = value
        elif key in ("後手", "上手"):
            self.names[1] = value
        elif key == "手合割":
            self.handicap = value
        elif key in ("先手の持駒", "下手の持駒", "後手の持駒", "上手の持駒"):
            self.hands[key[:2] in ("先手", "下手")] = parse_hand(value)
        return True

    def start_sfen(self) -> str:
        """The start position: the board diagram if there is one, else the 手合割."""
        if not self.rows:
            if self.handicap in ("", "平手") or self.handicap.startswith("平手"):
                return HIRATE_SFEN
            return handicap_sfen(self.handicap)
        if sorted(self.rows) != list(range(1, 10)):
            raise ValueError(f"board diagram has ranks {sorted(self.rows)}, not 1..9")
        position = EditablePosition()
        for rank, cells in self.rows.items():
            if len(cells) != 18:
                raise ValueError(f"board diagram row {rank} is not nine squares: {cells!r}")
            for column in range(9):
                owner, name = cells[2 * column], cells[2 * column + 1]
                if name == "・":
                    continue
                token = KANJI_PIECES.get(name)
                if token is None or owner not in " v":
                    raise ValueError(f"unreadable board diagram square {owner + name!r}")
                position.put(9 - column, rank, token if owner == " " else token.lower())
        for black, hand in self.hands.items():
            for kind, count in hand.items():
                position.add_to_hand(black, kind, count)
        black_to_move = self.black_to_move
        if black_to_move is None:  # unstated: Black, except in a named handicap game
            black_to_move = self.handicap.strip("　 ") in ("", "平手", "その他")
        return position.to_sfen(black_to_move)
