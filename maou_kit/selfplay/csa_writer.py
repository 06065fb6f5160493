"""Writing a `GameRecord` as a CSA V2.2 file that cshogi's parser reads back exactly.

Layout follows floodgate: `V2.2`, `N+`/`N-`, `$EVENT`, `$START_TIME`, the position (`PI`
or `P1..P9` with `P+`/`P-` hands) and turn, then per move the move line, a `T` line
(whole seconds) and, for moves a player chose, `'** <score> <pv>`: the score from
Black's point of view as floodgate records it (cshogi-based converters negate it for
White), +-100000 for a mate, and the expected continuation after the move as CSA moves.
Random opening moves carry no `'**` line, so readers can skip them as policy targets.

The `%` line is chosen so that `cshogi.CSA.Parser` reports the true winner: cshogi
reads `%TSUMI` and `%OUTE_SENNICHITE` as draws, so a mate is written as the mated side's
`%TORYO` and a perpetual check as `%+ILLEGAL_ACTION` / `%-ILLEGAL_ACTION` naming the
checker; a closing comment line names the actual termination.
"""

from __future__ import annotations

from pathlib import Path

import cshogi

from maou_kit.selfplay.records import GameRecord, MoveDecision, Termination

COLOR_SIGNS = ("+", "-")
ENDGAME_LINES = {
    Termination.MATE: "%TORYO",
    Termination.RESIGN: "%TORYO",
    Termination.DECLARATION: "%KACHI",
    Termination.ILLEGAL_DECLARATION: "%ILLEGAL_MOVE",
    Termination.ILLEGAL_MOVE: "%ILLEGAL_MOVE",
    Termination.REPETITION: "%SENNICHITE",
    Termination.MAX_MOVES: "%MAX_MOVES",
}
RESULT_WORDS = {0: "draw", 1: "black win", 2: "white win"}


def endgame_line(record: GameRecord) -> str:
    """The `%` line of a finished game."""
    if record.termination == Termination.PERPETUAL_CHECK:
        return f"%{COLOR_SIGNS[record.perpetual_checker]}ILLEGAL_ACTION"
    return ENDGAME_LINES[record.termination]


def _position_lines(board: cshogi.Board) -> str:
    if board.sfen().split()[:3] == cshogi.STARTING_SFEN.split()[:3]:
        return "PI\n+\n"
    return board.csa_pos()  # P1..P9, P+/P- hands and the turn line


def _pv_as_csa(board: cshogi.Board, pv: tuple[str, ...]) -> list[str]:
    """CSA moves (with signs) of `pv` played from `board`, up to its first illegal move."""
    line = []
    pushed = 0
    for usi in pv:
        move = board.move_from_usi(usi)
        if not move or not board.is_legal(move):
            break
        line.append(COLOR_SIGNS[board.turn] + cshogi.move_to_csa(move))
        board.push(move)
        pushed += 1
    for _ in range(pushed):
        board.pop()
    return line


def _evaluation_comment(board: cshogi.Board, decision: MoveDecision) -> str | None:
    """Floodgate `'** score pv` for a move about to be played on `board`."""
    score = decision.score
    if score is None:
        return None
    black_score = score if board.turn == cshogi.BLACK else -score
    continuation = _pv_as_csa(board, decision.pv)[1:]  # floodgate omits the move itself
    return " ".join(["'**", str(black_score), *continuation])


def game_to_csa(record: GameRecord) -> str:
    """The CSA V2.2 text of `record`."""
    board = cshogi.Board(record.start_sfen)
    lines = [
        "V2.2",
        f"N+{record.black_name}",
        f"N-{record.white_name}",
        f"$EVENT:{record.event}",
        f"$START_TIME:{record.start_time:%Y/%m/%d %H:%M:%S}",
    ]
    text = "\n".join(lines) + "\n" + _position_lines(board)
    lines = []
    for played in record.moves:
        move = board.move_from_usi(played.usi)
        lines.append(COLOR_SIGNS[board.turn] + cshogi.move_to_csa(move))
        lines.append(f"T{int(played.seconds)}")
        if played.decision is not None:
            comment = _evaluation_comment(board, played.decision)
            if comment is not None:
                lines.append(comment)
        board.push(move)
    lines.append(endgame_line(record))
    lines.append(f"'termination: {record.termination.value}, {RESULT_WORDS[record.winner]}")
    return text + "\n".join(lines) + "\n"


def write_csa(record: GameRecord, path: str | Path) -> Path:
    """Write `record` to `path` (parent folders are created); returns the path.

    The text goes to a temporary file renamed into place, so an interrupted run never
    leaves a truncated game behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(game_to_csa(record), encoding="utf-8", newline="\n")
        partial.replace(path)
    finally:  # a failed or interrupted write (disk full, Ctrl-C, SIGTERM) leaves nothing
        partial.unlink(missing_ok=True)
    return path
