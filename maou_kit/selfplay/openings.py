"""Where self-play games start: validated start positions and randomised opening moves.

Start positions come from a text file, one per line, in any of the forms a USI user
types: a bare SFEN, `sfen <SFEN>`, `startpos`, or `position ... [moves ...]` (the
moves are played and the game starts after them). Blank lines and `#` comments are
skipped. Random opening moves are uniform over the legal moves that do not allow a
mate in one (over all legal moves when every move does).
"""

from __future__ import annotations

import random
from pathlib import Path

import cshogi

SFEN_FIELDS = 4


def _sfen_and_moves(text: str) -> tuple[str, list[str]]:
    tokens = text.split()
    if tokens and tokens[0] == "position":
        tokens = tokens[1:]
    if tokens and tokens[0] == "startpos":
        sfen, rest = cshogi.STARTING_SFEN, tokens[1:]
    else:
        if tokens and tokens[0] == "sfen":
            tokens = tokens[1:]
        if len(tokens) < SFEN_FIELDS - 1:
            raise ValueError(f"not a SFEN: {text!r}")
        # The move-number field is optional in the wild.
        has_number = len(tokens) >= SFEN_FIELDS and tokens[3].isdigit()
        field_count = SFEN_FIELDS if has_number else SFEN_FIELDS - 1
        sfen = " ".join(tokens[:field_count] + ([] if has_number else ["1"]))
        rest = tokens[field_count:]
    if rest and rest[0] == "moves":
        return sfen, rest[1:]
    if rest:
        raise ValueError(f"unexpected {' '.join(rest)!r} after the position in {text!r}")
    return sfen, []


def parse_start_position(text: str) -> str:
    """The SFEN a game starting from `text` begins at; ValueError when it is not playable."""
    sfen, moves = _sfen_and_moves(text.strip())
    try:
        # The constructor, not set_sfen: set_sfen aborts the process on a bad SFEN.
        board = cshogi.Board(sfen)
    except (RuntimeError, UnicodeEncodeError) as error:
        raise ValueError(f"not a SFEN: {sfen!r} ({error})") from error
    kings = [piece for piece in board.pieces if piece in (cshogi.BKING, cshogi.WKING)]
    if sorted(kings) != [cshogi.BKING, cshogi.WKING]:
        raise ValueError(f"a self-play start position needs one king per side: {sfen!r}")
    for usi in moves:
        move = board.move_from_usi(usi)
        if not move or not board.is_legal(move):
            raise ValueError(f"illegal move {usi!r} in {text.strip()!r}")
        board.push(move)
    # The side that just moved must not be left in check (no such position is reachable).
    fields = board.sfen().split()
    fields[1] = "w" if fields[1] == "b" else "b"
    if cshogi.Board(" ".join(fields)).is_check():
        raise ValueError(f"the side not to move is in check in {board.sfen()!r}")
    return board.sfen()


def read_start_sfens(path: str | Path, option: str = "--start-sfens") -> list[str]:
    """Start positions listed in `path`; errors name the `option`, the file and the line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as error:
        raise FileNotFoundError(f"{option}: no such file {path}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{option}: cannot read {path}: {error}") from error
    sfens = []
    for line_number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            sfens.append(parse_start_position(text))
        except ValueError as error:
            raise ValueError(f"{option} {path} line {line_number}: {error}") from error
    if not sfens:
        raise ValueError(f"{option}: {path} lists no position")
    return sfens


def opening_length(rng: random.Random, max_plies: int) -> int:
    """Random opening plies for one game: uniform in [ceil(max_plies / 2), max_plies]."""
    if max_plies <= 0:
        return 0
    return rng.randint((max_plies + 1) // 2, max_plies)


def random_opening_move(board: cshogi.Board, rng: random.Random) -> int:
    """A uniformly random legal move, avoiding those that allow a mate in one."""
    legal = list(board.legal_moves)
    if not legal:
        raise ValueError(f"no legal move in {board.sfen()!r}")
    safe = []
    for move in legal:
        board.push(move)
        if not board.mate_move_in_1ply():
            safe.append(move)
        board.pop()
    return rng.choice(safe or legal)
