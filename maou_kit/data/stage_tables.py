"""Stage tables from a games table (SPEC sections 4-5), split by game.

Stage 2: unique positions (deduplicated by position hash) with legal-move masks.
Stage 3: positions aggregated over every occurrence: played-move frequencies
(`moveLabel`), the mover's mean outcome (`resultValue`), optionally Beta-smoothed
per-move win rates (`moveWinRate`), and the legal-move mask for legal-restricted
metrics. The validation side of stage 2 drops positions that also occur in
training, so the gate measures generalisation to unseen positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from maou_kit.data.build_report import BuildReport
from maou_kit.data.positions import UniquePositions, decode_games_positions
from maou_kit.data.split import split_game_ids
from maou_kit.schema import (
    BEST_MOVE16,
    BOARD,
    GAME_ID,
    GAME_RESULT,
    HAND,
    HCP,
    ID,
    LEGAL_MOVES,
    MOVE_LABEL,
    MOVE_LABELS_NUM,
    MOVE_WIN_RATE,
    RESULT_BLACK_WIN,
    RESULT_DRAW,
    RESULT_VALUE,
    RESULT_WHITE_WIN,
)
from maou_kit.shogi.labels import labels_of_moves

WIN_RATE_PRIOR_STRENGTH = 5.0
GAMES_REQUIRED = (HCP, BEST_MOVE16, GAME_RESULT, GAME_ID)


@dataclass
class SplitTables:
    train: pl.DataFrame
    val: pl.DataFrame
    report: BuildReport


def _check_games(games: pl.DataFrame) -> None:
    missing = [name for name in GAMES_REQUIRED if name not in games.columns]
    if missing:
        raise ValueError(f"games table lacks column(s) {', '.join(missing)}")
    if games.height == 0:
        raise ValueError("games table has no rows")


def _features(
    ids: np.ndarray, positions: UniquePositions, chosen: np.ndarray
) -> dict[str, pl.Series]:
    return {
        ID: pl.Series(ID, ids, dtype=pl.UInt64),
        BOARD: pl.Series(BOARD, positions.boards[chosen], dtype=pl.Array(pl.UInt8, (9, 9))),
        HAND: pl.Series(HAND, positions.hands[chosen], dtype=pl.Array(pl.UInt8, 14)),
    }


def _unique_by_hash(
    positions: UniquePositions, position_indices: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, first position index of each) for the given positions, in first-seen order."""
    hashes = positions.hashes[position_indices]
    unique_hashes, first = np.unique(hashes, return_index=True)
    order = np.argsort(first)
    return unique_hashes[order], position_indices[first[order]]


def _stage2_rows(
    positions: UniquePositions, row_mask: np.ndarray, exclude: set[int]
) -> pl.DataFrame:
    hashes, chosen = _unique_by_hash(positions, np.unique(positions.row_position[row_mask]))
    if exclude:
        keep = ~np.isin(hashes, np.fromiter(exclude, dtype=np.uint64, count=len(exclude)))
        hashes, chosen = hashes[keep], chosen[keep]
    columns = _features(hashes, positions, chosen)
    columns[LEGAL_MOVES] = pl.Series(
        LEGAL_MOVES, positions.masks[chosen], dtype=pl.Array(pl.UInt8, MOVE_LABELS_NUM)
    )
    return pl.DataFrame(columns)


def build_stage2_tables(
    games: pl.DataFrame, test_ratio: float, seed: int, progress: bool = True
) -> SplitTables:
    """Stage-2 train/validation tables; validation keeps only positions unseen in training."""
    _check_games(games)
    train_ids, val_ids = split_game_ids(games[GAME_ID].to_list(), test_ratio, seed)
    positions = decode_games_positions(games, progress)
    in_val = games[GAME_ID].is_in(list(val_ids)).to_numpy()
    train = _stage2_rows(positions, ~in_val, exclude=set())
    val_all = _stage2_rows(positions, in_val, exclude=set())
    val = _stage2_rows(positions, in_val, exclude=set(train[ID].to_list()))
    report = BuildReport(
        counts={
            "games": len(train_ids) + len(val_ids),
            "rows": games.height,
            "train games": len(train_ids),
            "val games": len(val_ids),
            "train positions": train.height,
            "val positions": val.height,
        }
    )
    report.skipped["val positions also in train"] = val_all.height - val.height
    return SplitTables(train, val, report)


def _mover_values(results: np.ndarray, white: np.ndarray) -> np.ndarray:
    """Outcome for the side to move: win 1, draw 0.5, loss 0 (HCPE codes 0 draw, 1 Black, 2 White)."""
    values = np.full(len(results), 0.5, dtype=np.float32)
    values[(results == RESULT_BLACK_WIN) & ~white] = 1.0
    values[(results == RESULT_BLACK_WIN) & white] = 0.0
    values[(results == RESULT_WHITE_WIN) & white] = 1.0
    values[(results == RESULT_WHITE_WIN) & ~white] = 0.0
    return values


def _stage3_rows(
    positions: UniquePositions,
    rows: np.ndarray,
    labels: np.ndarray,
    values: np.ndarray,
    with_win_rate: bool,
) -> pl.DataFrame:
    """Aggregate the selected rows (indices into the games table) per unique position."""
    row_hashes = positions.hashes[positions.row_position[rows]]
    hashes, first_row, group = np.unique(row_hashes, return_index=True, return_inverse=True)
    chosen = positions.row_position[rows[first_row]]
    counts = np.zeros((len(hashes), MOVE_LABELS_NUM), dtype=np.float32)
    np.add.at(counts, (group, labels), 1.0)
    occurrences = counts.sum(axis=1)
    value_sum = np.bincount(group, weights=values, minlength=len(hashes))
    result_value = (value_sum / occurrences).astype(np.float32)
    columns = _features(hashes, positions, chosen)
    columns[MOVE_LABEL] = pl.Series(
        MOVE_LABEL, counts / occurrences[:, None], dtype=pl.Array(pl.Float32, MOVE_LABELS_NUM)
    )
    columns[RESULT_VALUE] = pl.Series(RESULT_VALUE, result_value, dtype=pl.Float32)
    if with_win_rate:
        wins = np.zeros_like(counts)
        np.add.at(wins, (group, labels), values)
        columns[MOVE_WIN_RATE] = pl.Series(
            MOVE_WIN_RATE,
            smoothed_win_rates(counts, wins, result_value),
            dtype=pl.Array(pl.Float32, MOVE_LABELS_NUM),
        )
    columns[LEGAL_MOVES] = pl.Series(
        LEGAL_MOVES, positions.masks[chosen], dtype=pl.Array(pl.UInt8, MOVE_LABELS_NUM)
    )
    # Positions in first-seen order keep builds reproducible and readable.
    return (
        pl.DataFrame(columns)
        .with_columns(pl.Series("_first", first_row))
        .sort("_first")
        .drop("_first")
    )


def smoothed_win_rates(
    counts: np.ndarray, wins: np.ndarray, position_value: np.ndarray
) -> np.ndarray:
    """Per-move win rates shrunk toward the position's mean outcome (Beta prior of strength 5).

    Positions seen once carry no per-move evidence: their played move gets 0.5
    (LESSONS: raw rates made such moves 1.0). Moves never played stay 0.
    """
    occurrences = counts.sum(axis=1, keepdims=True)
    prior = WIN_RATE_PRIOR_STRENGTH * position_value[:, None]
    rates = (wins + prior) / (counts + WIN_RATE_PRIOR_STRENGTH)
    rates = np.where(occurrences >= 2, rates, 0.5)
    return np.where(counts > 0, rates, 0.0).astype(np.float32)


def build_stage3_tables(
    games: pl.DataFrame,
    test_ratio: float,
    seed: int,
    with_win_rate: bool = False,
    progress: bool = True,
) -> SplitTables:
    """Stage-3 train/validation tables aggregated per unique position within each side."""
    _check_games(games)
    train_ids, val_ids = split_game_ids(games[GAME_ID].to_list(), test_ratio, seed)
    positions = decode_games_positions(games, progress)
    report = BuildReport(counts={"games": len(train_ids) + len(val_ids), "rows": games.height})
    moves = games[BEST_MOVE16].to_numpy().astype(np.int64)
    results = games[GAME_RESULT].to_numpy().astype(np.int64)
    white = positions.white[positions.row_position]
    labels = labels_of_moves(moves, white).astype(np.int64)
    usable = np.ones(games.height, dtype=bool)
    no_move = moves == 0
    report.skipped["no move played (position only)"] = int(no_move.sum())
    usable &= ~no_move
    legal = np.zeros(games.height, dtype=bool)
    playable = usable & (labels >= 0)
    legal[playable] = positions.masks[positions.row_position[playable], labels[playable]] == 1
    report.skipped["move not legal in its position"] = int((usable & ~legal).sum())
    usable &= legal
    no_result = ~np.isin(results, (RESULT_DRAW, RESULT_BLACK_WIN, RESULT_WHITE_WIN))
    report.skipped["game without a result"] = int((usable & no_result).sum())
    usable &= ~no_result
    values = _mover_values(results, white)
    in_val = games[GAME_ID].is_in(list(val_ids)).to_numpy()
    tables = {}
    for name, side in (("train", ~in_val), ("val", in_val)):
        rows = np.nonzero(usable & side)[0]
        tables[name] = _stage3_rows(positions, rows, labels[rows], values[rows], with_win_rate)
        report.counts[f"{name} games"] = len(train_ids if name == "train" else val_ids)
        report.counts[f"{name} rows used"] = len(rows)
        report.counts[f"{name} positions"] = tables[name].height
    return SplitTables(tables["train"], tables["val"], report)
