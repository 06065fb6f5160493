"""Plain-text position formats: USI `position` lines (one game per line) and SFEN lists
(one position per line, no move played).

USI lines look like `position startpos moves 7g7f 3c3d` or
`position sfen <sfen> moves ...` (the word `position` may be left out). They carry
no ending, so their games have no result. Blank lines and lines starting with `#`
are skipped; any other line that cannot be read is reported with its line number.
"""

from __future__ import annotations

from maou_kit.schema import RESULT_NONE
from maou_kit.shogi.records.game_builder import GameBuilder
from maou_kit.shogi.records.game_record import POSITION, FileRecords, GameRecord, SkippedGame
from maou_kit.shogi.records.position import HIRATE_SFEN
from maou_kit.shogi.sfen import parse_sfen


def _content_lines(text: str):
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, stripped


def _usi_game(number: int, line: str, source: str, index: int) -> GameRecord | SkippedGame:
    words = line.split()
    if words[0] == "position":
        words = words[1:]
    if "moves" in words:
        split = words.index("moves")
        position_words, moves = words[:split], words[split + 1 :]
    else:
        position_words, moves = words, []
    game = GameBuilder(source, index)
    if position_words == ["startpos"]:
        game.start(HIRATE_SFEN)
    elif position_words[:1] == ["sfen"] and len(position_words) in (4, 5):
        game.start(" ".join(position_words[1:]))
    else:
        game.fail("expected 'position startpos|sfen ... [moves ...]'")
    for move in moves:
        game.play_usi(move)
    outcome = game.finish()
    if isinstance(outcome, SkippedGame):
        return SkippedGame(source, index, f"line {number}: {outcome.reason}")
    return outcome


def read_usi_text(text: str, source: str) -> FileRecords:
    """One game per USI `position` line."""
    records = FileRecords()
    for index, (number, line) in enumerate(_content_lines(text)):
        outcome = _usi_game(number, line, source, index)
        if isinstance(outcome, GameRecord):
            records.games.append(outcome)
        else:
            records.skipped.append(outcome)
    return records


def read_sfen_list_text(text: str, source: str) -> FileRecords:
    """One position per line (`sfen ` prefix optional); each becomes a position record."""
    records = FileRecords()
    for index, (number, line) in enumerate(_content_lines(text)):
        if " moves" in line:
            reason = f"line {number}: an SFEN list holds positions only; put games in a .usi file"
            records.skipped.append(SkippedGame(source, index, reason))
            continue
        try:
            sfen = parse_sfen(line)
        except ValueError as error:
            records.skipped.append(SkippedGame(source, index, f"line {number}: {error}"))
            continue
        records.games.append(
            GameRecord(
                source=source,
                index=index,
                start_sfen=sfen,
                moves=(),
                evals=None,
                result=RESULT_NONE,
                endgame_status="",
                kind=POSITION,
            )
        )
    return records
