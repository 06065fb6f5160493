"""The bootstrap resamples games, not positions: intervals shrink with more games, copying
positions inside their games changes nothing, and it is reproducible from its seed."""

from __future__ import annotations

import numpy as np

from maou_kit.eval.bootstrap import Bootstrap


def _games(count: int, positions_per_game: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-position values with a per-game effect (positions of one game are correlated)."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(count), positions_per_game)
    game_effect = rng.random(count)[unit]
    values = (rng.random(len(unit)) < game_effect).astype(float)
    return values, unit


def _width(values: np.ndarray, unit: np.ndarray, seed: int = 0) -> float:
    figure = Bootstrap(unit, 500, seed).means({"hit": values})["hit"]
    return figure["ci_high"] - figure["ci_low"]


def test_intervals_shrink_with_more_games():
    few = _width(*_games(20, 30, seed=1))
    many = _width(*_games(500, 30, seed=1))
    assert many < few / 3  # about sqrt(25) = 5 times narrower


def test_copying_positions_inside_their_games_leaves_the_interval_unchanged():
    values, unit = _games(40, 25, seed=2)
    doubled_values, doubled_unit = np.repeat(values, 2), np.repeat(unit, 2)
    by_game = _width(values, unit)
    assert _width(doubled_values, doubled_unit) == by_game
    # Resampling positions instead would treat the copies as new evidence and shrink it.
    by_position = _width(doubled_values, np.arange(len(doubled_values)))
    assert by_position < 0.6 * by_game


def test_the_same_seed_gives_the_same_interval_and_nan_values_are_left_out():
    values, unit = _games(30, 10, seed=3)
    with_gaps = values.copy()
    with_gaps[::7] = np.nan
    first = Bootstrap(unit, 200, 5).means({"hit": with_gaps})["hit"]
    again = Bootstrap(unit, 200, 5).means({"hit": with_gaps})["hit"]
    assert first == again
    assert first["n"] == int(np.isfinite(with_gaps).sum())
    assert first["value"] == np.nanmean(with_gaps)
