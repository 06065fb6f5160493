"""95% confidence intervals by resampling whole games (or whatever unit the data has).

Positions of one game share its outcome and its players, so they are not independent:
resampling positions would treat a 120-move game as 120 independent draws and give
intervals that are far too narrow. Here each replicate draws the games (units) with
replacement, and a replicate's figure is recomputed from the positions of the drawn
games, each game counted as many times as it was drawn.

`Bootstrap` draws the replicate weights once (seeded), so every figure is computed on
the same replicates (intervals of differences between figures stay consistent).
For a mean over positions the replicate value is sum_g w_g S_g / sum_g w_g n_g with S_g
the game's sum and n_g its number of (valid) positions: one matrix product for all
figures at once. Intervals are the 2.5th and 97.5th percentiles of the replicates.
"""

from __future__ import annotations

import numpy as np

CONFIDENCE = 0.95


class Bootstrap:
    """Replicate weights over `unit_count` units: how often each unit is drawn per replicate."""

    def __init__(self, unit: np.ndarray, replicates: int, seed: int) -> None:
        if replicates < 0:
            raise ValueError(f"--bootstrap must be 0 or more replicates, got {replicates}")
        self.unit = np.asarray(unit, dtype=np.int64)
        self.unit_count = int(self.unit.max()) + 1 if self.unit.size else 0
        self.replicates = replicates
        rng = np.random.default_rng(seed)
        draws = rng.integers(0, max(self.unit_count, 1), size=(replicates, self.unit_count))
        flat = draws + self.unit_count * np.arange(replicates)[:, None]
        counts = np.bincount(flat.ravel(), minlength=replicates * self.unit_count)
        self.weights = counts.reshape(replicates, self.unit_count).astype(np.float64)

    def means(
        self, values: dict[str, np.ndarray], rows: np.ndarray | None = None
    ) -> dict[str, dict[str, float]]:
        """Mean of each per-position figure (NaN = not counted) with its interval.

        `rows` (bool (N,)) restricts every figure to a subset of positions.
        """
        names = list(values)
        matrix = np.stack([np.asarray(values[name], dtype=np.float64) for name in names], axis=1)
        valid = ~np.isnan(matrix)
        if rows is not None:
            valid &= np.asarray(rows, dtype=bool)[:, None]
        sums = np.zeros((self.unit_count, len(names)))
        counts = np.zeros((self.unit_count, len(names)))
        np.add.at(sums, self.unit, np.where(valid, matrix, 0.0))
        np.add.at(counts, self.unit, valid.astype(np.float64))
        total_sums, total_counts = sums.sum(axis=0), counts.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            estimates = total_sums / total_counts
            replicate_values = (self.weights @ sums) / (self.weights @ counts)
        return {
            name: interval(estimates[index], replicate_values[:, index], int(total_counts[index]))
            for index, name in enumerate(names)
        }

    def replicate_sums(
        self, per_position: np.ndarray, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """(replicates, K) weighted totals of a (K, n) per-position array.

        The n columns are the positions selected by `rows` (bool (N,)), or all of them.
        """
        unit = self.unit if rows is None else self.unit[np.asarray(rows, dtype=bool)]
        sums = np.zeros((per_position.shape[0], self.unit_count))
        for row, values in enumerate(per_position):
            sums[row] = np.bincount(unit, weights=values, minlength=self.unit_count)
        return self.weights @ sums.T


def interval(estimate: float, replicate_values: np.ndarray, count: int | None = None) -> dict:
    """{"value", "ci_low", "ci_high"[, "n"]} from a point estimate and its replicates."""
    finite = replicate_values[np.isfinite(replicate_values)]
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail]) if finite.size else (float("nan"),) * 2
    result = {"value": float(estimate), "ci_low": float(low), "ci_high": float(high)}
    if count is not None:
        result["n"] = count
    return result
