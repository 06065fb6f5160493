"""The fixed start positions of a match: a built-in set of common shogi openings, or a file.

Every opening is played twice, once with each engine as Black, so that a one-sided
opening does not favour either engine. The built-in set is short sequences from the
initial position that the main opening families start with; a file lists one
position per line in any form `maou_kit.selfplay.openings` accepts (SFEN, `startpos`,
`position ... moves ...`).

Deterministic engines (a policy-only network, a node-limited engine on one thread)
replay the same game from the same opening and colour, so a match longer than two
games per opening would count copies of games as new evidence. `extend_openings`
therefore adds distinct openings until every pair of games has its own: each new one
is a listed opening followed by a few seeded random plies (uniform over the moves that
do not allow a mate in one, as self-play openings are), so the set stays reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import cshogi

from maou_kit.selfplay.openings import (
    parse_start_position,
    random_opening_move,
    read_start_sfens,
)

BUILTIN = "builtin"
EXTRA_OPENING_PLIES = 4
MAX_TRIES_PER_OPENING = 100
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


def extend_openings(
    openings: list[Opening], count: int, seed: int, plies: int = EXTRA_OPENING_PLIES
) -> list[Opening]:
    """`openings`, then distinct variations of them (plus `plies` random plies) up to `count`."""
    extended = list(openings)
    seen = {opening.sfen for opening in extended}
    rng = random.Random(f"maou_kit-match-openings:{seed}")
    tries = 0
    while len(extended) < count:
        tries += 1
        if tries > MAX_TRIES_PER_OPENING * count:
            raise ValueError(f"--openings: cannot make {count} distinct openings from these")
        base = openings[len(extended) % len(openings)]
        board = cshogi.Board(base.sfen)
        moves = []
        for _ in range(plies):
            if not any(True for _ in board.legal_moves) or board.is_nyugyoku():
                break
            move = random_opening_move(board, rng)
            moves.append(cshogi.move_to_usi(move))
            board.push(move)
        sfen = board.sfen()
        if sfen in seen or not any(True for _ in board.legal_moves):
            continue
        seen.add(sfen)
        extended.append(Opening(f"{base.name}+{'-'.join(moves)}", sfen))
    return extended
