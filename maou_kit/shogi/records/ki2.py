"""KI2 game records: Japanese moves without origin squares ("▲５七銀右", "△同角成").

A KI2 move names the destination and the piece; when several pieces of that kind
could go there, relative words pick one, from the mover's point of view:
右/左 (the piece on the mover's right/left), 上/行 (moves forward), 引 (moves back),
寄 (moves sideways), 直 (moves straight forward); 打 marks a drop, 成/不成 (生) the
promotion choice. Each move is resolved against the legal moves of the position;
no match or more than one is an error. A destination reachable both by a drop and
by a board move means the board move unless 打 is written.

The result is the closing "まで…" line. Branches (変化) are ignored: only the main
line, up to the first "変化：", is read.
"""

from __future__ import annotations

import re

import cshogi

from maou_kit.shogi.records.endings import parse_made_line
from maou_kit.shogi.records.game_builder import GameBuilder
from maou_kit.shogi.records.game_record import FileRecords, GameRecord, SkippedGame
from maou_kit.shogi.records.japanese import (
    FULLWIDTH_DIGITS,
    KANJI_DIGITS,
    KANJI_PIECES,
    PIECE_NAME_PATTERN,
    JapaneseHeader,
)
from maou_kit.shogi.records.position import CSHOGI_PIECE_TYPES, cshogi_square

_MARKS = "▲△▽☗☖"
_BLACK_MARKS = "▲☗"
_MOVE = re.compile(
    rf"(?P<mark>[{_MARKS}])(?:(?P<file>[{FULLWIDTH_DIGITS}])(?P<rank>[{KANJI_DIGITS}])"
    rf"|(?P<same>同)[\s　]*)(?P<piece>{PIECE_NAME_PATTERN})"
    r"(?P<side>[右左])?(?P<motion>[上行引寄直])?(?P<action>打|成|不成|生)?"
)


def _moving_type(move: int) -> int:
    if cshogi.move_is_drop(move):
        return cshogi.hand_piece_to_piece_type(cshogi.move_drop_hand_piece(move))
    return cshogi.move_from_piece_type(move)


def _motion_matches(move: int, motion: str, black: bool) -> bool:
    origin, destination = cshogi.move_from(move), cshogi.move_to(move)
    rank_step = destination % 9 - origin % 9  # rank index grows towards Black's side
    forward = rank_step < 0 if black else rank_step > 0
    if motion in ("上", "行"):
        return forward
    if motion == "引":
        return rank_step != 0 and not forward
    if motion == "寄":
        return rank_step == 0
    return forward and destination // 9 == origin // 9  # 直: straight ahead


def resolve_ki2_move(board: cshogi.Board, match: re.Match[str], previous_move: int) -> int:
    """The legal cshogi move a KI2 token names; ValueError if none or several."""
    black = board.turn == cshogi.BLACK
    if (match.group("mark") in _BLACK_MARKS) != black:
        raise ValueError("played out of turn")
    if match.group("same"):
        if not previous_move:
            raise ValueError("同 with no previous move")
        destination = cshogi.move_to(previous_move)
    else:
        file = FULLWIDTH_DIGITS.index(match.group("file")) + 1
        destination = cshogi_square(file, KANJI_DIGITS.index(match.group("rank")) + 1)
    piece_type = CSHOGI_PIECE_TYPES[KANJI_PIECES[match.group("piece")]]
    action = match.group("action")
    candidates = [
        move
        for move in board.legal_moves
        if cshogi.move_to(move) == destination and _moving_type(move) == piece_type
    ]
    if action == "打":
        candidates = [move for move in candidates if cshogi.move_is_drop(move)]
    elif action == "成":
        candidates = [move for move in candidates if cshogi.move_is_promotion(move)]
    else:
        candidates = [move for move in candidates if not cshogi.move_is_promotion(move)]
        board_moves = [move for move in candidates if not cshogi.move_is_drop(move)]
        if board_moves:
            candidates = board_moves
    if match.group("motion"):
        candidates = [
            move
            for move in candidates
            if not cshogi.move_is_drop(move) and _motion_matches(move, match.group("motion"), black)
        ]
    if match.group("side") and candidates:
        files = [cshogi.move_from(move) // 9 for move in candidates]
        # The mover's right is towards file 1 for Black, towards file 9 for White.
        rightmost = min(files) if black else max(files)
        leftmost = max(files) if black else min(files)
        wanted = rightmost if match.group("side") == "右" else leftmost
        candidates = [move for move, file in zip(candidates, files, strict=True) if file == wanted]
    if len(candidates) != 1:
        raise ValueError("no legal move matches" if not candidates else "ambiguous")
    return candidates[0]


def read_ki2_text(text: str, source: str) -> FileRecords:
    """The main line of a KI2 text as one game (or the reason it was skipped)."""
    outcome = _read_game(text, source)
    if isinstance(outcome, GameRecord):
        return FileRecords(games=[outcome])
    return FileRecords(skipped=[outcome])


def _read_game(text: str, source: str) -> GameRecord | SkippedGame:
    game = GameBuilder(source, 0)
    header = JapaneseHeader()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#*&":
            continue
        if stripped.startswith(("変化：", "変化:")):
            break  # only the main line is read
        if stripped.startswith("まで"):
            game.ending = game.ending or parse_made_line(stripped)
            continue
        if stripped[0] not in _MARKS:
            if game.replay is not None:
                game.fail(f"line {number}: unrecognised KI2 line {stripped[:40]!r}")
                break
            try:
                header.feed(line)  # header lines it does not know are free text
            except ValueError as error:
                game.fail(f"line {number}: {error}")
                break
            continue
        if game.replay is None:
            _start(game, header)
            if game.error is not None:
                break
        leftover = _MOVE.sub("", stripped).strip()
        if leftover:
            game.fail(f"line {number}: unreadable KI2 text {leftover[:40]!r}")
            break
        if game.ending is not None:
            game.fail(f"line {number}: moves after the ending {game.ending.status}")
            break
        for match in _MOVE.finditer(stripped):
            if not game.accepting_moves:
                break
            board = game.replay.board
            try:
                move = resolve_ki2_move(board, match, board.peek() if game.replay.ply else 0)
            except ValueError as error:
                game.mark_illegal(f"move {game.replay.ply + 1} {match.group(0)!r}: {error}")
                break
            game.play_checked(move)
    if game.replay is None and game.error is None:
        _start(game, header)
    return game.finish()


def _start(game: GameBuilder, header: JapaneseHeader) -> None:
    try:
        sfen = header.start_sfen()
    except ValueError as error:
        game.fail(f"start position: {error}")
        return
    game.start(sfen)
    game.names = list(header.names)
