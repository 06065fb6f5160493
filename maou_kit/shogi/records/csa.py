"""CSA game records (V2, V2.1, V2.2), read in pure Python on top of `cshogi.Board`.

cshogi's C++ CSA parser dies with SIGSEGV on some valid files (a `P-` line placing
board pieces), so this reader never calls it. Supported: several games per file
separated by `/`; start positions from `PI` (with removals such as `PI82HI22KA`),
`P1..P9` rows and `P+`/`P-` placements including `00AL`; `,`-separated statements;
every `%` ending; `'**` engine scores; floodgate `'summary:`, `'black_rate:` /
`'white_rate:` and `'Max_Moves:` comments.

Scores. Floodgate writes `'** <score> <pv>` after a move with the score from Black's
point of view, whichever side moved (shogi-server logs in this corpus show it: both
engines' scores keep one sign through a game). They are stored in the HCPE
convention (see `game_record`): negated for White's moves.

Endings. A `%` token decides; the `'summary:` comment of old floodgate logs is used
only when no `%` token was written (see `game_builder` for the board checks).

Speed. Nearly every line of a floodgate game is a move, a `T` line or a `'**` score.
Once a game has started, runs of such lines are read by `_play_plain_lines`, one
tight loop that builds each move with `Board.move_from_csa` (one move at a time, on
the board being replayed; not the file parser above) and adds the checks
`Board.is_legal` leaves out; every other line, and every move that is not plainly
legal, goes through the general line-by-line path, so both give the same records
(tests/test_records_csa_plain_lines.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import cshogi

from maou_kit.shogi.records.endings import Ending, parse_summary
from maou_kit.shogi.records.game_builder import GameBuilder
from maou_kit.shogi.records.game_record import FileRecords, GameRecord, SkippedGame
from maou_kit.shogi.records.position import (
    CSHOGI_PIECE_TYPES,
    HIRATE_SFEN,
    PROMOTION_OFFSET,
    EditablePosition,
    cshogi_square,
    usi_square,
)
from maou_kit.shogi.records.replay import is_legal_move

CSA_PIECES = {
    "FU": "P",
    "KY": "L",
    "KE": "N",
    "GI": "S",
    "KI": "G",
    "KA": "B",
    "HI": "R",
    "OU": "K",
    "TO": "+P",
    "NY": "+L",
    "NK": "+N",
    "NG": "+S",
    "UM": "+B",
    "RY": "+R",
}
_MOVE = re.compile(r"^([+-])([0-9])([0-9])([0-9])([0-9])([A-Z]{2})$")
_PLACEMENT = re.compile(r"([0-9])([0-9])([A-Z]{2})")
_SCORE = re.compile(r"^'\*\*\s*(-?[0-9]+)")
_TIME = re.compile(r"^T[0-9]+(\.[0-9]+)?$")
# A line holding only "/" (surrounding whitespace allowed) separates games.
_SEPARATOR = re.compile(r"^[^\S\n]*/[^\S\n]*$", re.MULTILINE)


def _statements(line: str) -> Iterator[str]:
    """A line's `,`-separated statements; a `'` starts a comment that runs to the line's end."""
    if "," not in line:  # nearly every line: one statement
        statement = line.strip()
        if statement:
            yield statement
        return
    parts = line.split(",")
    for position, part in enumerate(parts):
        if part.lstrip().startswith("'"):
            yield ",".join(parts[position:]).lstrip()
            return
        if part.strip():
            yield part.strip()


class _CsaGameReader:
    """Reads the statements of one game (the text between two `/` lines)."""

    def __init__(self, source: str, index: int) -> None:
        self.game = GameBuilder(source, index)
        self.position: EditablePosition | None = None
        self.position_style = ""  # "PI" or "rows": the two cannot be mixed

    def read(self, lines: list[str], first_number: int) -> GameRecord | SkippedGame:
        """The game of `lines`, the first of which is line `first_number` of the file."""
        game = self.game
        index, count = 0, len(lines)
        while index < count:
            line = lines[index]
            if line[:1] in ("+", "-") and game.replay is not None and game.ending is None:
                consumed = self._play_plain_lines(lines, index)
                if consumed:
                    index += consumed
                    continue
            number = first_number + index
            index += 1
            # Fast lanes for single lines the block reader left (a run cut at the window's
            # edge, a move after an unusual line): a plain move, a time line, a score
            # comment. Anything else (or a move the fast lane declines) takes the
            # general path below.
            text = line.strip()
            if len(text) == 7 and text[0] in "+-" and game.ending is None:
                if (
                    game.replay is not None
                    and game.error is None
                    and game.illegal is None
                    and _fast_board_move(self, text)
                ):
                    continue
            elif text[:1] == "T" and "," not in text and _TIME.match(text):
                continue
            elif text[:3] == "'**" and game.replay is not None:
                score = _SCORE.match(text)
                if score is not None:
                    game.set_last_eval_black_view(int(score.group(1)))
                    continue
            for statement in _statements(line):
                self._statement(number, statement)
                if game.error is not None:
                    return game.finish()
        return game.finish()

    def _play_plain_lines(self, lines: list[str], index: int) -> int:
        """Read the plain lines from `lines[index]` on in one tight loop; returns how
        many it consumed (it stops at the first other line, for the general path).

        Plain lines are what floodgate writes for nearly every move: a move
        ("+7776FU"), a time line ("T12"), a score ("'** 35 ..."). Each has exactly the
        effect the general path gives it. A move is played here when it is plain: the
        right side moves, `move_from_csa` builds it (it refuses a piece name that does
        not match the board), `is_legal` accepts it, a promotion touches the zone, it
        is no pawn drop giving check (maybe a drop mate, which `is_legal` misses) and
        moves no piece where it could never move again; any other move goes through `_fast_board_move` /
        `_move` like a line of the general path, so it is refused with the same words.
        """
        game = self.game
        replay = game.replay
        board = replay.board
        evals = game.evals
        from_csa, is_legal, to_hcp, push = (
            board.move_from_csa, board.is_legal, board.to_hcp, board.push
        )  # fmt: skip
        start, count = index, len(lines)
        played: list[int] = []
        hcps = replay.reserve(min(count - index, 1024))
        ply, room = replay.ply, len(hcps)
        sign, other = ("+", "-") if board.turn == _BLACK else ("-", "+")
        plain_moves, other_moves = _PLAIN_MOVES[sign], _PLAIN_MOVES[other]
        while index < count:
            line = lines[index]
            head = line[:1]
            if len(line) == 7 and (head == "+" or head == "-"):
                body = line[1:]
                plain = plain_moves.get(body) if head == sign else None
                if plain is None and body not in _WELL_FORMED:
                    break  # the general path words what is wrong with it
                index += 1
                if game.illegal is not None:
                    continue  # after an illegal move, moves are not read
                if plain and ply < room:
                    move = from_csa(body)
                    if (
                        move
                        and is_legal(move)
                        and (move & _PROMOTION_FLAG == 0 or _promotion_in_zone(move, sign))
                    ):
                        to_hcp(hcps[ply])
                        push(move)
                        if move & _ORIGIN_BITS != _PAWN_DROP_ORIGIN or not board.is_check():
                            played.append(move)
                            evals.append(None)
                            ply += 1
                            sign, other = other, sign
                            plain_moves, other_moves = other_moves, plain_moves
                            continue
                        board.pop()  # a pawn drop giving check: maybe a drop mate
                # Anything else: the general path's treatment of this move.
                replay.extend_played(played)
                played = []
                if not _fast_board_move(self, line):
                    self._move(line)
                hcps = replay.reserve(min(count - index, 1024))
                ply, room = replay.ply, len(hcps)
                sign, other = ("+", "-") if board.turn == _BLACK else ("-", "+")
                plain_moves, other_moves = _PLAIN_MOVES[sign], _PLAIN_MOVES[other]
            elif head == "T":
                if line not in _TIME_LINES and not (line.isascii() and line[1:].isdigit()):
                    break
                index += 1
            elif head == "'" and line[:3] == "'**":
                score = _SCORE.match(line)
                if score is None:
                    break
                game.set_last_eval_black_view(int(score.group(1)))
                index += 1
            else:
                break
        replay.extend_played(played)
        return index - start

    def _statement(self, number: int, statement: str) -> None:
        game = self.game
        head = statement[0]
        if (head == "+" or head == "-") and len(statement) == 7 and _MOVE.match(statement):
            self._move_statement(number, statement)  # most statements: checked first
        elif head == "'":
            self._comment(statement)
        elif head == "V" or head == "$" or _TIME.match(statement):
            return  # version, game information, time spent: not needed
        elif statement.startswith(("N+", "N-")):
            game.names[0 if statement[1] == "+" else 1] = statement[2:].strip()
        elif head == "P":
            if game.replay is not None:
                game.fail(f"line {number}: position line {statement!r} after the game started")
            else:
                self._position_line(number, statement)
        elif statement in ("+", "-"):
            if game.replay is not None:
                game.fail(f"line {number}: second side-to-move line {statement!r}")
            elif self.position is None:
                game.fail(f"line {number}: side to move given before any position line")
            else:
                game.start(self.position.to_sfen(black_to_move=statement == "+"))
        elif head == "%":
            if game.ending is None:
                game.ending = Ending(statement.split()[0])
        elif _MOVE.match(statement):
            self._move_statement(number, statement)
        else:
            game.fail(f"line {number}: unrecognised CSA statement {statement[:40]!r}")

    def _move_statement(self, number: int, statement: str) -> None:
        game = self.game
        if game.replay is None:
            game.fail(f"line {number}: move {statement!r} before the start position")
        elif game.ending is not None:
            game.fail(f"line {number}: move {statement!r} after the ending {game.ending.status}")
        else:
            self._move(statement)

    def _board_move(self, statement: str) -> bool:
        return _fast_board_move(self, statement)

    def _comment(self, comment: str) -> None:
        game = self.game
        score = _SCORE.match(comment)
        if score is not None:
            if game.replay is not None:
                game.set_last_eval_black_view(int(score.group(1)))
            return
        body = comment[1:].strip()
        if body.startswith("summary:"):
            game.fallback_ending = parse_summary(body, game.names[0], game.names[1])
        elif body.startswith(("black_rate:", "white_rate:")):
            try:
                rating = float(body.rsplit(":", 1)[1])
            except ValueError:
                return
            game.ratings[0 if body.startswith("black") else 1] = rating
        elif body.startswith("Max_Moves:") and body[len("Max_Moves:") :].strip().isdigit():
            game.max_moves = int(body[len("Max_Moves:") :])

    def _position_line(self, number: int, statement: str) -> None:
        try:
            if statement.startswith("PI"):
                self._handicap(statement[2:])
            elif statement[1:2] in tuple("123456789"):
                self._row(int(statement[1]), statement[2:])
            elif statement[1:2] in ("+", "-"):
                self._placements(statement[1] == "+", statement[2:])
            else:
                raise ValueError("unknown position line")
        except ValueError as error:
            self.game.fail(f"line {number}: {statement[:40]!r}: {error}")

    def _begin(self, style: str) -> EditablePosition:
        if self.position_style and style and self.position_style != style:
            raise ValueError("PI and P1..P9 cannot both describe the start position")
        if self.position is None:
            self.position = (
                EditablePosition.from_sfen_board(HIRATE_SFEN)
                if style == "PI"
                else EditablePosition()
            )
        self.position_style = self.position_style or style
        return self.position

    def _handicap(self, removals: str) -> None:
        position = self._begin("PI")
        if len(removals) % 4:
            raise ValueError("removals must be XYPC groups of four characters")
        for file, rank, name in _PLACEMENT.findall(removals):
            token = position.take(int(file), int(rank))
            if token is None or token.upper() != CSA_PIECES.get(name):
                raise ValueError(f"no {name} on {file}{rank} to remove")

    def _row(self, rank: int, cells: str) -> None:
        position = self._begin("rows")
        if not 1 <= rank <= 9:
            raise ValueError("rank must be 1..9")
        cells = cells.ljust(27)
        if len(cells.rstrip()) > 27:
            raise ValueError("more than nine squares")
        for column in range(9):
            cell = cells[3 * column : 3 * column + 3]
            if cell.strip() in ("*", ""):
                continue
            if cell[0] not in "+-" or cell[1:] not in CSA_PIECES:
                raise ValueError(f"unreadable square {cell!r}")
            token = CSA_PIECES[cell[1:]]
            position.put(9 - column, rank, token if cell[0] == "+" else token.lower())

    def _placements(self, black: bool, items: str) -> None:
        position = self._begin("")
        if len(items) % 4:
            raise ValueError("placements must be XYPC groups of four characters")
        for start in range(0, len(items), 4):
            item = items[start : start + 4]
            if item == "00AL":
                for kind, count in position.unplaced().items():
                    if count > 0:
                        position.add_to_hand(black, kind, count)
                continue
            match = _PLACEMENT.fullmatch(item)
            if match is None or match.group(3) not in CSA_PIECES:
                raise ValueError(f"unreadable placement {item!r}")
            file, rank, token = int(match.group(1)), int(match.group(2)), CSA_PIECES[match.group(3)]
            if (file, rank) == (0, 0):
                position.add_to_hand(black, token)
            else:
                position.put(file, rank, token if black else token.lower())

    def _move(self, statement: str) -> None:
        game = self.game
        if not game.accepting_moves:
            return
        if self._board_move(statement):
            return
        sign, from_file, from_rank, to_file, to_rank, name = _MOVE.match(statement).groups()
        ply = game.replay.ply + 1
        if name not in CSA_PIECES:
            game.mark_illegal(f"move {ply} {statement!r}: unknown piece {name}")
            return
        if (sign == "+") != game.replay.black_to_move:
            game.mark_illegal(f"move {ply} {statement!r}: played out of turn")
            return
        token = CSA_PIECES[name]
        destination = usi_square(int(to_file), int(to_rank))
        if from_file == from_rank == "0":
            game.play_usi(f"{token}*{destination}")
            return
        board_type = game.replay.board.piece_type(cshogi_square(int(from_file), int(from_rank)))
        named_type = CSHOGI_PIECE_TYPES[token]
        origin = usi_square(int(from_file), int(from_rank))
        if board_type == named_type:
            game.play_usi(origin + destination)
        elif board_type + PROMOTION_OFFSET == named_type and board_type <= 6:
            game.play_usi(origin + destination + "+")
        else:
            game.mark_illegal(f"move {ply} {statement!r}: no such piece on {from_file}{from_rank}")


def _fast_board_move(reader: _CsaGameReader, statement: str) -> bool:
    """The common case of `_move` without USI strings: a board move (not a drop) between
    squares 1..9, by the side to move, of a piece that stands on the origin (or promotes
    from it), legal. Returns False, having done nothing, for anything else (the general
    path then reads the move again and words the reason)."""
    replay = reader.game.replay
    board = replay.board
    black = board.turn == _BLACK
    if (statement[0] == "+") != black:
        return False
    if statement[1:3] == "00":  # a drop
        usi = _DROPS.get(statement[3:])
        if usi is None:
            return False
        move = board.move_from_usi(usi)
        if not is_legal_move(board, move):
            return False
        replay.push(move)
        reader.game.evals.append(None)
        return True
    origin = _SQUARES.get(statement[1:3])
    destination = _SQUARES.get(statement[3:5])
    named_type = _NAMED_TYPES.get(statement[5:])
    if origin is None or destination is None or named_type is None:
        return False
    board_type = board.piece_type(origin)
    if board_type == named_type:
        promote = False
    elif board_type + PROMOTION_OFFSET == named_type and board_type <= 6:
        promote = True
    else:
        return False
    move = board.move(origin, destination, promote)
    if not board.is_legal(move):
        return False
    # The two rules `Board.is_legal` leaves out (see `replay.is_legal_move`).
    depth = destination % 9 if black else 8 - destination % 9
    if promote:
        if depth > 2 and (origin % 9 if black else 8 - origin % 9) > 2:
            return False
    elif (board_type <= 2 and depth == 0) or (board_type == 3 and depth <= 1):
        return False
    replay.push(move)
    reader.game.evals.append(None)
    return True


_BLACK = cshogi.BLACK
# "76FU" -> "P*7f": the USI drop of a CSA drop's destination and piece.
_DROPS = {
    f"{file}{rank}{name}": f"{CSA_PIECES[name]}*{usi_square(file, rank)}"
    for file in range(1, 10)
    for rank in range(1, 10)
    for name in ("FU", "KY", "KE", "GI", "KI", "KA", "HI")
}
# "76" -> cshogi square index of file 7, rank 6 (files and ranks 1..9 only).
_SQUARES = {
    f"{file}{rank}": (file - 1) * 9 + rank - 1 for file in range(1, 10) for rank in range(1, 10)
}
_NAMED_TYPES = {name: CSHOGI_PIECE_TYPES[token] for name, token in CSA_PIECES.items()}
# Every move body the plain-line loop may hand to `Board.move_from_csa`: origin 00 (a
# drop) or a square 11..99, destination 11..99, a CSA piece name.
_WELL_FORMED = frozenset(
    f"{origin}{destination}{name}"
    for origin in ["00", *_SQUARES]
    for destination in _SQUARES
    for name in CSA_PIECES
)


def _dead_end_moves(black: bool) -> frozenset[str]:
    """Move bodies of `black`'s side that `Board.is_legal` wrongly accepts: a pawn or
    lance moved or dropped onto the last rank, a knight onto the last two (a promoted
    name promotes, so only the unpromoted names are listed)."""
    last, last_two = ((1,), (1, 2)) if black else ((9,), (8, 9))
    bodies = set()
    for origin in ["00", *_SQUARES]:
        for file in range(1, 10):
            bodies.update(f"{origin}{file}{rank}{name}" for rank in last for name in ("FU", "KY"))
            bodies.update(f"{origin}{file}{rank}KE" for rank in last_two)
    return frozenset(bodies)


# Per side: every well-formed body -> whether the plain-line loop may play it.
_PLAIN_MOVES = {
    sign: {body: body not in dead for body in _WELL_FORMED}
    for sign, dead in (("+", _dead_end_moves(True)), ("-", _dead_end_moves(False)))
}
_TIME_LINES = frozenset(f"T{seconds}" for seconds in range(3600))  # the common time lines
_PROMOTION_FLAG = 1 << 14  # a cshogi move: bits 0-6 destination, 7-13 origin, 14 promotes
_ORIGIN_BITS = 0x7F << 7
_PAWN_DROP_ORIGIN = 81 << 7  # a drop's origin is 81 + the hand piece (pawn 0)


def _promotion_in_zone(move: int, sign: str) -> bool:
    """False for a promotion that neither starts nor ends in the mover's zone (which
    `Board.is_legal` accepts); True for every other move."""
    if not move & _PROMOTION_FLAG:
        return True
    to, origin = move & 0x7F, (move >> 7) & 0x7F
    if sign == "+":
        return to % 9 <= 2 or origin % 9 <= 2
    return to % 9 >= 6 or origin % 9 >= 6


def _split_games(text: str) -> Iterator[tuple[int, list[str]]]:
    """(number of the first line, lines) of each game; `/` on a line of its own
    separates games."""
    lines = text.splitlines()
    # The separators are found on the lines joined by "\n" (which no line holds), so a
    # line's index is the number of "\n" before it.
    joined = "\n".join(lines)
    start = at = offset = 0
    for separator in _SEPARATOR.finditer(joined):
        at += joined.count("\n", offset, separator.start())
        offset = separator.start()
        yield start + 1, lines[start:at]
        start = at + 1
    yield start + 1, lines[start:]


def _has_content(lines: list[str]) -> bool:
    return any(line.strip() and not line.lstrip().startswith("'") for line in lines)


def read_csa_text(text: str, source: str) -> FileRecords:
    """Every game of a CSA text; `source` names the file in ids and messages."""
    records = FileRecords()
    index = 0
    for first_number, lines in _split_games(text):
        if not _has_content(lines):
            continue  # a trailing "/" or a comment-only block is not a game
        outcome = _CsaGameReader(source, index).read(lines, first_number)
        if isinstance(outcome, GameRecord):
            records.games.append(outcome)
        else:
            records.skipped.append(outcome)
        index += 1
    return records
