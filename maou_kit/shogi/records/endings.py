"""How games end: the CSA `%` vocabulary, the KIF/KI2 words that map onto it, the
floodgate `'summary:` comment, and which side each ending makes the winner.

Every ending is expressed as a CSA token (`Ending.status`). Who won follows from the
token and the side to move when the game stopped:

| token | result |
|---|---|
| %TORYO %TSUMI %TIME_UP %ILLEGAL_MOVE | the side to move loses |
| %KACHI | the side to move (the declarer) wins, if the declaration is valid |
| %+ILLEGAL_ACTION / %-ILLEGAL_ACTION | Black / White broke a rule and loses |
| %SENNICHITE %JISHOGI %HIKIWAKE %MAX_MOVES | draw |
| %OUTE_SENNICHITE | the side that gave perpetual check loses |
| %CHUDAN %FUZUMI %ERROR %MATTA | no result |

KIF: 投了, 詰み, 切れ負け, 反則負け are said by the side to move (it loses); 反則勝ち
means the side to move wins because the opponent's last act was illegal. KI2 and
the KIF closing line "まで…" name the winner outright ("まで172手で後手の勝ち").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from maou_kit.schema import RESULT_BLACK_WIN, RESULT_DRAW, RESULT_NONE, RESULT_WHITE_WIN

CSA_ENDINGS = frozenset(
    {
        "%TORYO",
        "%CHUDAN",
        "%SENNICHITE",
        "%OUTE_SENNICHITE",
        "%JISHOGI",
        "%KACHI",
        "%HIKIWAKE",
        "%TSUMI",
        "%FUZUMI",
        "%ILLEGAL_MOVE",
        "%+ILLEGAL_ACTION",
        "%-ILLEGAL_ACTION",
        "%TIME_UP",
        "%MAX_MOVES",
        "%ERROR",
        "%MATTA",
    }
)
_SIDE_TO_MOVE_LOSES = frozenset({"%TORYO", "%TSUMI", "%TIME_UP", "%ILLEGAL_MOVE"})
_DRAWS = frozenset({"%SENNICHITE", "%JISHOGI", "%HIKIWAKE", "%MAX_MOVES"})
ILLEGAL_ENDINGS = frozenset({"%ILLEGAL_MOVE", "%+ILLEGAL_ACTION", "%-ILLEGAL_ACTION"})
REPETITION_ENDINGS = frozenset({"%SENNICHITE", "%OUTE_SENNICHITE"})

_KIF_WORDS = {
    "投了": "%TORYO",
    "中断": "%CHUDAN",
    "封じ手": "%CHUDAN",  # adjourned: the game had not ended
    "千日手": "%SENNICHITE",
    "持将棋": "%JISHOGI",
    "切れ負け": "%TIME_UP",
    "時間切れ": "%TIME_UP",
    "反則負け": "%ILLEGAL_MOVE",
    "詰み": "%TSUMI",
    "詰": "%TSUMI",
    "不詰": "%FUZUMI",
    "入玉勝ち": "%KACHI",
    "宣言勝ち": "%KACHI",
    "勝ち宣言": "%KACHI",
    "引き分け": "%HIKIWAKE",
    "最大手数": "%MAX_MOVES",
}
KIF_ENDING_WORDS = frozenset(_KIF_WORDS) | {"反則勝ち"}

_SUMMARY_REASONS = {
    "toryo": "%TORYO",
    "time up": "%TIME_UP",
    "illegal move": "%ILLEGAL_MOVE",
    "uchifuzume": "%ILLEGAL_MOVE",  # a pawn-drop mate is an illegal move
    "oute_kaihimore": "%ILLEGAL_MOVE",  # did not answer a check
    "outori": "%ILLEGAL_MOVE",
    "illegal kachi": "%ILLEGAL_MOVE",
    "kachi": "%KACHI",
    "sennichite": "%SENNICHITE",
    "oute_sennichite": "%OUTE_SENNICHITE",
    "max_moves": "%MAX_MOVES",
}
_SUMMARY = re.compile(r"^summary:(?P<reason>[^:]+):(?P<first>.+):(?P<second>.+)$")
_SUMMARY_OUTCOMES = {"win", "lose", "draw"}
_MADE = re.compile(r"^まで、?\s*\d+\s*手(?:で|にて)?(?P<rest>.*)$")
_MADE_SIDE = re.compile(r"(?P<reason>時間切れにより)?(?P<side>先手|下手|後手|上手)の(?P<what>.+)$")


@dataclass(frozen=True)
class Ending:
    """An ending as a CSA token, with the result when the record states it outright."""

    status: str
    stated_result: int | None = None


def _winner(black_wins: bool) -> int:
    return RESULT_BLACK_WIN if black_wins else RESULT_WHITE_WIN


def result_of_status(status: str, black_to_move: bool) -> int:
    """The result a CSA ending implies, given the side to move when the game stopped.

    %OUTE_SENNICHITE is not decided here (the board says who gave the checks).
    """
    if status in _SIDE_TO_MOVE_LOSES:
        return _winner(not black_to_move)
    if status == "%KACHI":
        return _winner(black_to_move)
    if status == "%+ILLEGAL_ACTION":
        return RESULT_WHITE_WIN
    if status == "%-ILLEGAL_ACTION":
        return RESULT_BLACK_WIN
    if status in _DRAWS:
        return RESULT_DRAW
    return RESULT_NONE


def kif_ending(word: str, black_to_move: bool) -> Ending:
    """The ending a KIF move-list word (投了, 反則勝ち, ...) stands for."""
    if word == "反則勝ち":  # the side to move wins: its opponent's last act was illegal
        return Ending("%-ILLEGAL_ACTION" if black_to_move else "%+ILLEGAL_ACTION")
    return Ending(_KIF_WORDS[word])


def parse_made_line(line: str) -> Ending | None:
    """Read a closing line such as "まで172手で後手の勝ち" or "まで49手詰"; None if not one."""
    match = _MADE.match(line.strip())
    if match is None:
        return None
    rest = match.group("rest").strip()
    side_match = _MADE_SIDE.match(rest)
    if side_match is None:
        word = rest.removeprefix("で")
        return Ending(_KIF_WORDS[word]) if word in _KIF_WORDS else None
    black = side_match.group("side") in ("先手", "下手")
    what = side_match.group("what")
    if what == "勝ち":
        status = "%TIME_UP" if side_match.group("reason") else "%TORYO"
        return Ending(status, _winner(black))
    if what in ("入玉勝ち", "宣言勝ち"):
        return Ending("%KACHI", _winner(black))
    if what == "反則勝ち":
        return Ending("%-ILLEGAL_ACTION" if black else "%+ILLEGAL_ACTION", _winner(black))
    if what == "反則負け":
        return Ending("%+ILLEGAL_ACTION" if black else "%-ILLEGAL_ACTION", _winner(not black))
    return None


def parse_summary(comment: str, black_name: str, white_name: str) -> Ending | None:
    """Read a floodgate `'summary:toryo:A lose:B win` comment (text after the quote).

    Players are matched to sides by their `N+`/`N-` names (the summary lists them in
    either order). None if the comment is not a summary or the names do not match.
    """
    match = _SUMMARY.match(comment.strip())
    if match is None or not black_name or black_name == white_name:
        return None
    outcomes: dict[str, str] = {}
    for part in (match.group("first"), match.group("second")):
        name, _, outcome = part.strip().rpartition(" ")
        if outcome not in _SUMMARY_OUTCOMES:
            return None
        outcomes[name] = outcome
    black_outcome, white_outcome = outcomes.get(black_name), outcomes.get(white_name)
    if black_outcome is None or white_outcome is None:
        return None
    reason = match.group("reason").strip()
    status = _SUMMARY_REASONS.get(reason, "%" + reason.upper().replace(" ", "_"))
    if black_outcome == "win" and white_outcome == "lose":
        return Ending(status, RESULT_BLACK_WIN)
    if black_outcome == "lose" and white_outcome == "win":
        return Ending(status, RESULT_WHITE_WIN)
    if black_outcome == white_outcome == "draw":
        return Ending(status, RESULT_DRAW)
    return None
