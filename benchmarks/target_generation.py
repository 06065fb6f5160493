"""Stage-2 target generation (decode + encode + 1496 mask) beside cshogi's raw legal-move enumeration,
and the stage-3 table build rate."""

from __future__ import annotations

import random

import cshogi
import numpy as np
import polars as pl

from benchmarks.measure import Options, Row, median_and_spread, rates_interleaved
from maou_kit import schema
from maou_kit.data.stage_tables import build_stage3_tables
from maou_kit.shogi import stage2_targets


def playout_hcps(positions: int, seed: int) -> tuple[np.ndarray, list[int], list[str]]:
    """HCP rows of seeded random games, with each row's played move16 and game id."""
    rng = random.Random(seed)
    board = cshogi.Board()
    hcps = np.zeros(positions, dtype=cshogi.HuffmanCodedPos)
    moves, game_ids = [], []
    game = 0
    board.reset()
    for index in range(positions):
        legal = list(board.legal_moves)
        if not legal or board.move_number > 160:
            board.reset()
            game += 1
            legal = list(board.legal_moves)
        board.to_hcp(hcps[index : index + 1])
        move = rng.choice(legal)
        moves.append(cshogi.move16(move))
        game_ids.append(f"g{game}")
        board.push(move)
    return hcps, moves, game_ids


def raw_enumeration(rows: np.ndarray) -> None:
    board = cshogi.Board()
    for row in rows:
        board.set_hcp(row)
        list(board.legal_moves)


def measure(quick: bool, options: Options | None = None) -> list[Row]:
    """Rows of this group; `options` (device, preset) do not apply: this is CPU-side work."""
    count = 3_000 if quick else 30_000
    repetitions = 3 if quick else 7
    hcps, moves, game_ids = playout_hcps(count, seed=1)
    rows = np.ascontiguousarray(hcps["hcp"])
    rates = rates_interleaved(
        {"raw": lambda: raw_enumeration(rows), "targets": lambda: stage2_targets(hcps)},
        work=count,
        repetitions=repetitions,
    )
    targets, targets_spread = median_and_spread(rates["targets"])
    raw, _ = median_and_spread(rates["raw"])
    settings = {
        "positions": count,
        "repetitions": repetitions,
        "source": "seeded random playouts",
        "input": "HCP",
    }
    out = [
        Row(
            "stage-2 targets (decode+encode+mask)", targets, "positions/s",
            anchor="cshogi set_hcp + list(legal_moves)", anchor_value=raw, goal=">= 0.5x",
            spread=targets_spread, settings=settings,
        )
    ]  # fmt: skip
    games = pl.DataFrame(
        {
            schema.HCP: [row.tobytes() for row in rows],
            schema.BEST_MOVE16: pl.Series(moves, dtype=pl.UInt16),
            schema.GAME_RESULT: pl.Series([1] * count, dtype=pl.Int8),
            schema.GAME_ID: game_ids,
        }
    )

    def build_tables() -> None:
        build_stage3_tables(games, 0.2, seed=0, progress=False)

    build_tables()  # warm-up: the first call pays polars' and numpy's one-time setup
    build_rates = rates_interleaved({"stage3": build_tables}, count, repetitions)
    build, build_spread = median_and_spread(build_rates["stage3"])
    out.append(
        Row(
            "stage-3 table build (decode+aggregate)", build, "positions/s", goal="report",
            spread=build_spread, settings={**settings, "test_ratio": 0.2},
        )
    )  # fmt: skip
    return out
