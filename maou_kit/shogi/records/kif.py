"""KIF game records (Kifu for Windows and the many tools that write its format).

One game per file. Moves name their origin ("７六歩(77)", "同　歩(23)", "２三歩打",
"２二角成(88)", "２一成香(11)"), so each is checked against the board: the named
piece must stand on the origin square, and the move must be legal. The ending is
the move-list word (投了, 詰み, 千日手, 持将棋, 切れ負け, 反則勝ち, 反則負け, 中断,
入玉勝ち ...); the closing "まで…" line is used only when there is no such word.

Branches (変化) are ignored: only the main line is read, up to the first "変化：".
"""

from __future__ import annotations

import re

from maou_kit.shogi.records.endings import KIF_ENDING_WORDS, kif_ending, parse_made_line
from maou_kit.shogi.records.game_builder import GameBuilder
from maou_kit.shogi.records.game_record import FileRecords, GameRecord
from maou_kit.shogi.records.japanese import (
    FULLWIDTH_DIGITS,
    KANJI_DIGITS,
    KANJI_PIECES,
    PIECE_NAME_PATTERN,
    JapaneseHeader,
)
from maou_kit.shogi.records.position import CSHOGI_PIECE_TYPES, cshogi_square, usi_square

_MOVE_LINE = re.compile(r"^\s*(?P<number>[0-9]+)\s+(?P<body>\S.*?)\s*$")
_MOVE = re.compile(
    r"^(?:(?P<file>[１-９1-9])(?P<rank>[一二三四五六七八九1-9])|(?P<same>同)[\s　]*)"
    rf"(?P<piece>{PIECE_NAME_PATTERN})(?P<promotion>成|不成|生)?"
    r"(?:(?P<drop>打)|\((?P<origin>[0-9][0-9])\))"
)
_MOVES_HEADER = re.compile(r"^手数-+指手")


def _digit(char: str) -> int:
    """A file or rank written as a full-width digit, a kanji numeral or an ASCII digit."""
    for digits in (FULLWIDTH_DIGITS, KANJI_DIGITS):
        if char in digits:
            return digits.index(char) + 1
    return int(char)


class _KifGameReader:
    def __init__(self, source: str) -> None:
        self.game = GameBuilder(source, 0)
        self.header = JapaneseHeader()
        self.in_moves = False
        self.last_number: int | None = None
        self.made_ending = None
        self.plies_after_cut = 0  # move lines not replayed since an illegal move

    def read(self, text: str) -> GameRecord:
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if not stripped or stripped[0] in "#*&":
                continue
            if stripped.startswith(("変化：", "変化:")):
                break  # branches follow the main line; only the main line is read
            if stripped.startswith("まで"):
                self.made_ending = parse_made_line(stripped)
                continue
            try:
                self._line(number, line, stripped)
            except ValueError as error:
                self.game.fail(f"line {number}: {error}")
            if self.game.error is not None:
                break
        self._begin_moves()
        if self.game.ending is None:
            self.game.fallback_ending = self.made_ending
        return self.game.finish()

    def _begin_moves(self) -> None:
        if self.game.replay is None and self.game.error is None:
            try:
                sfen = self.header.start_sfen()
            except ValueError as error:
                self.game.fail(f"start position: {error}")
                return
            self.game.start(sfen)
            self.game.names = list(self.header.names)

    def _line(self, number: int, line: str, stripped: str) -> None:
        if _MOVES_HEADER.match(stripped):
            self.in_moves = True
            return
        move_line = _MOVE_LINE.match(line)
        is_move = move_line is not None and (
            _MOVE.match(move_line.group("body"))
            or move_line.group("body").split()[0] in KIF_ENDING_WORDS
        )
        if not is_move:
            # Before the moves, a line that is neither header nor numbered is free text.
            if self.in_moves or move_line is not None:
                raise ValueError(f"unrecognised KIF line {stripped[:40]!r}")
            self.header.feed(line)
            return
        self.in_moves = True
        self._begin_moves()
        if self.game.error is not None:
            return
        move_number = int(move_line.group("number"))
        if self.last_number is not None and move_number != self.last_number + 1:
            raise ValueError(f"move number {move_number} follows {self.last_number}")
        self.last_number = move_number
        self._move(move_line.group("body"))

    def _move(self, body: str) -> None:
        game = self.game
        word = body.split()[0]
        if word in KIF_ENDING_WORDS:
            if game.ending is None:
                # The word speaks for the side to move at its own line; past an illegal
                # move the board stopped, so count the plies since.
                black_to_move = game.replay.black_to_move != (self.plies_after_cut % 2 == 1)
                game.ending = kif_ending(word, black_to_move)
            return
        if game.ending is not None:
            raise ValueError(f"move {body!r} after the ending {game.ending.status}")
        if game.illegal is None:
            self._replay(body)
        if game.illegal is not None:
            self.plies_after_cut += 1

    def _replay(self, body: str) -> None:
        game = self.game
        match = _MOVE.match(body)
        ply = game.replay.ply + 1
        if match.group("same"):
            if not game.replay.moves:
                game.mark_illegal(f"move {ply} {body!r}: 同 with no previous move")
                return
            destination = game.replay.moves[-1][2:4]
        else:
            destination = usi_square(_digit(match.group("file")), _digit(match.group("rank")))
        token = KANJI_PIECES[match.group("piece")]
        origin = match.group("origin")
        if match.group("drop") or origin == "00":
            game.play_usi(f"{token}*{destination}")
            return
        file, rank = int(origin[0]), int(origin[1])
        if game.replay.board.piece_type(cshogi_square(file, rank)) != CSHOGI_PIECE_TYPES[token]:
            game.mark_illegal(f"move {ply} {body!r}: no {match.group('piece')} on {origin}")
            return
        promotion = "+" if match.group("promotion") == "成" else ""
        game.play_usi(usi_square(file, rank) + destination + promotion)


def read_kif_text(text: str, source: str) -> FileRecords:
    """The main line of a KIF text as one game (or the reason it was skipped)."""
    outcome = _KifGameReader(source).read(text)
    if isinstance(outcome, GameRecord):
        return FileRecords(games=[outcome])
    return FileRecords(skipped=[outcome])
