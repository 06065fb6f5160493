"""The fixed start positions of a match: a built-in set of common shogi openings, or a file.

Every opening is played twice, once with each engine as Black, so that a one-sided
opening does not favour either engine. The built-in set is short sequences from the
initial position that the main opening families start with; a file lists one
position per line in any form `maou_kit.selfplay.openings` accepts (SFEN, `startpos`,
`position ... moves ...`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from maou_kit.selfplay.openings import parse_start_position, read_start_sfens

BUILTIN = "builtin"
# (name, position): a few plies each, so the engines still play nearly the whole game.
BUILTIN_OPENINGS = (
    ("hirate", "startpos"),
    ("kakudori-open", "startpos moves 7g7f 3c3d"),
    ("aigakari", "startpos moves 2g2f 8c8d"),
    ("ibisha-7f-8d", "startpos moves 7g7f 8c8d"),
    ("ibisha-2f-3d", "startpos moves 2g2f 3c3d"),
    ("shikenbisha", "startpos moves 7g7f 3c3d 2g2f 4c4d"),
    ("yagura", "startpos moves 7g7f 8c8d 6g6f 3c3d"),
    ("central-pawn", "startpos moves 5g5f 3c3d 7g7f 5c5d"),
)


@dataclass(frozen=True)
class Opening:
    """A named start position (SFEN after the opening moves)."""

    name: str
    sfen: str


def builtin_openings() -> list[Opening]:
    return [Opening(name, parse_start_position(text)) for name, text in BUILTIN_OPENINGS]


def load_openings(spec: str | Path) -> list[Opening]:
    """`builtin` or a file of start positions (named `FILE#N`, N counting the positions)."""
    if str(spec) == BUILTIN:
        return builtin_openings()
    path = Path(spec)
    sfens = read_start_sfens(path, option="--openings")
    return [Opening(f"{path.name}#{index + 1}", sfen) for index, sfen in enumerate(sfens)]


def schedule(n_games: int, n_openings: int) -> list[tuple[int, bool]]:
    """(opening index, engine 1 plays Black) for each game: pairs of games share an opening."""
    if n_openings <= 0:
        raise ValueError("a match needs at least one opening")
    return [((game // 2) % n_openings, game % 2 == 0) for game in range(n_games)]
