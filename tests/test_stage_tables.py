"""Stage-2/3 table builders: game-level splits, deduplication, aggregation and skip counts."""

from __future__ import annotations

import cshogi
import numpy as np
import polars as pl
import pytest
from conftest import games_from_playouts

from maou_kit import schema
from maou_kit.data.split import split_game_ids
from maou_kit.data.stage_tables import build_stage2_tables, build_stage3_tables, smoothed_win_rates
from maou_kit.shogi import legal_moves_mask_from_encoded

STARTPOS = "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"


@pytest.fixture(scope="module")
def games() -> pl.DataFrame:
    return games_from_playouts(games=12, plies=30, seed=3)


def test_split_puts_each_game_on_one_side():
    train, val = split_game_ids([f"g{i}" for i in range(10)] * 3, test_ratio=0.2, seed=1)
    assert not train & val and len(train | val) == 10 and len(val) == 2


def test_split_depends_on_seed():
    ids = [f"g{i}" for i in range(50)]
    assert split_game_ids(ids, 0.2, 1)[1] != split_game_ids(ids, 0.2, 2)[1]


def test_split_of_one_game_is_refused():
    with pytest.raises(ValueError, match="test-ratio"):
        split_game_ids(["only"], 0.2, 0)


def test_stage2_ids_are_unique(games):
    tables = build_stage2_tables(games, 0.25, seed=0, progress=False)
    ids = pl.concat([tables.train, tables.val])[schema.ID]
    assert ids.n_unique() == len(ids)


def test_stage2_masks_are_the_legal_moves(games):
    table = build_stage2_tables(games, 0.25, seed=0, progress=False).train
    boards = table[schema.BOARD].to_numpy()
    hands = table[schema.HAND].to_numpy()
    assert np.array_equal(
        table[schema.LEGAL_MOVES].to_numpy(), legal_moves_mask_from_encoded(boards, hands)
    )


def test_stage2_validation_holds_no_training_position(games):
    tables = build_stage2_tables(games, 0.25, seed=0, progress=False)
    assert not set(tables.val[schema.ID].to_list()) & set(tables.train[schema.ID].to_list())


def test_stage2_reports_validation_positions_removed(games):
    # Every game starts from the initial position, so validation loses at least that one.
    report = build_stage2_tables(games, 0.25, seed=0, progress=False).report
    assert report.skipped["val positions also in train"] >= 1


def test_stage3_move_targets_sum_to_one(games):
    table = build_stage3_tables(games, 0.25, seed=0, progress=False).train
    assert np.allclose(table[schema.MOVE_LABEL].to_numpy().sum(axis=1), 1.0)


def test_stage3_aggregates_start_position_over_games():
    games = games_from_playouts(games=6, plies=4, seed=5, results=[1] * 6)
    table = build_stage3_tables(games, 0.0, seed=0, progress=False).train
    start_hash = cshogi.Board(STARTPOS).zobrist_hash()
    row = table.filter(pl.col(schema.ID) == start_hash)
    first_moves = games.filter(pl.col(schema.PLY) == 0)[schema.BEST_MOVE16].to_list()
    target = row[schema.MOVE_LABEL].to_numpy()[0]
    assert target.max() == pytest.approx(max(first_moves.count(m) for m in first_moves) / 6)


def _hash_of_row(games: pl.DataFrame, game_id: str, ply: int) -> int:
    row = games.filter((pl.col(schema.GAME_ID) == game_id) & (pl.col(schema.PLY) == ply))
    board = cshogi.Board()
    board.set_hcp(np.frombuffer(row[schema.HCP][0], dtype=np.uint8).copy())
    return board.zobrist_hash()


def test_stage3_value_is_zero_for_the_loser_to_move():
    # Black wins: after Black's first move, White (to move) is the loser.
    games = games_from_playouts(games=1, plies=4, seed=7, results=[1])
    table = build_stage3_tables(games, 0.0, seed=0, progress=False).train
    value = table.filter(pl.col(schema.ID) == _hash_of_row(games, "g0", 1))[schema.RESULT_VALUE][0]
    assert value == 0.0


def test_stage3_value_is_one_for_the_winner_to_move():
    games = games_from_playouts(games=1, plies=4, seed=7, results=[1])
    table = build_stage3_tables(games, 0.0, seed=0, progress=False).train
    value = table.filter(pl.col(schema.ID) == _hash_of_row(games, "g0", 2))[schema.RESULT_VALUE][0]
    assert value == 1.0


def test_stage3_value_mapping_per_colour():
    # One game Black wins; the first position (Black to move) is worth 1, the second 0.
    games = games_from_playouts(games=2, plies=2, seed=11, results=[1, 2])
    table = build_stage3_tables(games, 0.0, seed=0, progress=False).train
    start_hash = cshogi.Board(STARTPOS).zobrist_hash()
    start_value = table.filter(pl.col(schema.ID) == start_hash)[schema.RESULT_VALUE][0]
    assert start_value == pytest.approx(0.5)  # one Black win, one White win


def test_stage3_skips_and_counts_illegal_moves():
    games = games_from_playouts(games=2, plies=3, seed=13)
    # 5e -> 1a is no piece's move (not on a line), in either colour's frame.
    broken = games.with_columns(
        pl.when(pl.col(schema.PLY) == 1)
        .then(pl.lit(40 << 7, dtype=pl.UInt16))
        .otherwise(pl.col(schema.BEST_MOVE16))
        .alias(schema.BEST_MOVE16)
    )
    report = build_stage3_tables(broken, 0.0, seed=0, progress=False).report
    assert report.skipped["move not legal in its position"] == 2


def test_stage3_skips_and_counts_games_without_result():
    games = games_from_playouts(games=2, plies=3, seed=17, results=[-1, 1])
    tables = build_stage3_tables(games, 0.0, seed=0, progress=False)
    assert tables.report.skipped["game without a result"] == 3
    assert tables.report.counts["train rows used"] == 3


def test_win_rate_of_position_seen_once_is_one_half():
    counts = np.zeros((1, 4), dtype=np.float32)
    counts[0, 2] = 1
    rates = smoothed_win_rates(counts, wins=counts.copy(), position_value=np.array([1.0]))
    assert rates.tolist() == [[0.0, 0.0, 0.5, 0.0]]


def test_win_rate_is_shrunk_toward_position_value():
    counts = np.array([[3.0, 1.0]], dtype=np.float32)
    wins = np.array([[3.0, 0.0]], dtype=np.float32)
    rates = smoothed_win_rates(counts, wins, position_value=np.array([0.75]))
    assert rates[0, 0] == pytest.approx((3 + 5 * 0.75) / (3 + 5))
    assert rates[0, 1] == pytest.approx((0 + 5 * 0.75) / (1 + 5))


def test_stage3_table_carries_legal_masks(games):
    table = build_stage3_tables(games, 0.25, seed=0, progress=False).val
    masks = table[schema.LEGAL_MOVES].to_numpy()
    played = table[schema.MOVE_LABEL].to_numpy() > 0
    assert (masks[played] == 1).all()
