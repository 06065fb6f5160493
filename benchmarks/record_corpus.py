"""A CSA corpus of any size for the conversion rows, made from the shipped games table.

`data_samples/games.feather` holds 300 self-play games (one row per position, HCP and
move16). Each game is written back as a floodgate-style CSA file (`PI`, moves with `T`
lines and `'**` scores, a `%` ending); file `i` is game `i mod 300`, so 3,000 files are
every game ten times (about 344k positions). Nothing is committed: the corpus is built
under a temporary folder by the benchmark that needs it.
"""

from __future__ import annotations

from pathlib import Path

import cshogi
import numpy as np
import polars as pl

from maou_kit import schema

GAMES_TABLE = Path(__file__).resolve().parents[1] / "data_samples" / "games.feather"


def _game_text(hcps: list[bytes], move16s: list[int], evals: list, result: int) -> str:
    board = cshogi.Board()
    board.set_hcp(np.frombuffer(hcps[0], dtype=np.uint8))
    if board.sfen().split()[:3] == cshogi.STARTING_SFEN.split()[:3]:
        lines = ["V2.2", "N+black", "N-white", "PI", "+"]
    else:
        lines = ["V2.2", "N+black", "N-white", board.csa_pos().rstrip("\n")]
    for move16, score in zip(move16s, evals, strict=True):
        move = board.move_from_move16(move16)
        black = board.turn == cshogi.BLACK
        lines.append(("+" if black else "-") + cshogi.move_to_csa(move))
        lines.append("T1")
        if score is not None:
            lines.append(f"'** {score if black else -score}")
        board.push(move)
    mover_lost = (result == schema.RESULT_BLACK_WIN) == (board.turn == cshogi.WHITE)
    if result in (schema.RESULT_BLACK_WIN, schema.RESULT_WHITE_WIN) and mover_lost:
        lines.append("%TORYO")
    elif result == schema.RESULT_DRAW:
        lines.append("%HIKIWAKE")
    else:
        lines.append("%CHUDAN")
    return "\n".join(lines) + "\n"


def game_texts() -> list[str]:
    """The CSA text of every game of the shipped games table, in game order."""
    games = pl.read_ipc(GAMES_TABLE).sort(schema.GAME_ID, schema.PLY)
    texts = []
    for _, rows in games.group_by(schema.GAME_ID, maintain_order=True):
        texts.append(
            _game_text(
                rows[schema.HCP].to_list(),
                rows[schema.BEST_MOVE16].to_list(),
                rows[schema.EVAL].to_list(),
                int(rows[schema.GAME_RESULT][0]),
            )
        )
    return texts


def write_corpus(folder: Path, files: int) -> list[Path]:
    """`files` CSA files under `folder` (100 per subfolder), file i = game i mod 300."""
    texts = [text.encode() for text in game_texts()]
    paths = []
    for index in range(files):
        path = folder / f"{index // 100:04d}" / f"game{index:06d}.csa"
        if index % 100 == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(texts[index % len(texts)])
        paths.append(path)
    return paths
