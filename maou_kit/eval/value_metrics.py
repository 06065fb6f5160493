"""Value-head figures: Brier score, log loss, sign accuracy, calibration error, temperature.

The value head gives a logit z; p = sigmoid(z) is the mover's expected score and y the
mover's outcome (1 win, 0.5 draw, 0 loss; a Stage 3 table's mean outcome may lie between;
NaN when the game has no result: every per-position figure is then NaN, i.e. left out).

Per position (averaged by the caller over any subset, resampled by game):
- `brier` = (p - y)^2; `log_loss` = -(y log p + (1 - y) log(1 - p)) (natural log);
- `sign_accuracy`: on decisive positions (y != 0.5) whether p > 0.5 exactly when y > 0.5;
  NaN on draws (they have no sign);
- `constant_*`: the same for a constant prediction c (the training mean) at every position.

Over a whole set (not per position):
- `expected_calibration_error`: positions sorted by p and cut into `bins` bins of equal
  count (equal weight under bootstrap weights; tied predictions share a bin); ECE = sum over bins of
  |sum(w (p - y))| / sum(w), i.e. the count-weighted mean gap between mean prediction and
  mean outcome per bin;
- `best_temperature`: the T > 0 that minimises the log loss of sigmoid(z / T); found by
  Newton's method on beta = 1 / T (the loss is convex in beta); T > 1 means the head is
  overconfident. Bootstrap replicates use a log-spaced grid of temperatures instead.
- `reliability_bins`: the per-bin data behind the ECE (same equal-count bins, no weights):
  mean prediction, observed mean outcome and position count per bin, for a reliability
  diagram; sum of count * |prediction - observed| / N equals the ECE.
"""

from __future__ import annotations

import numpy as np

VALUE_FIGURES = (
    "brier", "log_loss", "sign_accuracy", "constant_brier", "constant_log_loss",
    "constant_sign_accuracy", "mean_prediction", "mean_outcome",
)  # fmt: skip
DEFAULT_ECE_BINS = 10
TEMPERATURE_GRID = np.geomspace(0.05, 20.0, 241)  # ~2.5% steps: resolution of the CI bounds
_CLIP = 1e-7
_ECE_CHUNK = 64  # bootstrap replicates per pass: (64, N) temporaries


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(logits, dtype=np.float64)))


def log_loss_of_logits(logits: np.ndarray, outcomes: np.ndarray) -> np.ndarray:
    """Per-position BCE of sigmoid(logits) against outcomes, in the stable softplus form."""
    z = np.asarray(logits, dtype=np.float64)
    return np.logaddexp(0.0, z) - outcomes * z


def value_figures(
    logits: np.ndarray, outcomes: np.ndarray, constant: float
) -> dict[str, np.ndarray]:
    """Per-position figures (float64 (N,)) of value `logits` against `outcomes`."""
    y = np.asarray(outcomes, dtype=np.float64)
    p = sigmoid(logits)
    c = float(np.clip(constant, _CLIP, 1 - _CLIP))
    known = np.isfinite(y)
    decisive = known & (y != 0.5)
    sign = np.where(decisive, (p > 0.5) == (y > 0.5), np.nan)
    constant_sign = np.where(decisive, (c > 0.5) == (y > 0.5), np.nan)
    return {
        "brier": (p - y) ** 2,
        "log_loss": log_loss_of_logits(logits, y),
        "sign_accuracy": sign,
        "constant_brier": (c - y) ** 2,
        "constant_log_loss": -(y * np.log(c) + (1 - y) * np.log(1 - c)),
        "constant_sign_accuracy": constant_sign,
        "mean_prediction": np.where(known, p, np.nan),
        "mean_outcome": y,
    }


def expected_calibration_error(
    predictions: np.ndarray,
    outcomes: np.ndarray,
    bins: int = DEFAULT_ECE_BINS,
    weights: np.ndarray | None = None,
    unit: np.ndarray | None = None,
) -> np.ndarray:
    """ECE with equal-count bins; `weights` (R, N) gives one ECE per row (bootstrap replicates).

    With `unit` (N,), `weights` is (R, U): one weight per unit, shared by its positions.
    Without weights every position weighs 1 and the result is a 0-d array. A position
    belongs to the bin where the middle of its weight falls in the cumulative weight of the
    positions sorted by prediction, so the bins hold equal weight. Bins are contiguous in
    that order, so each bin's gap comes from two cumulative sums instead of a scatter.
    """
    if bins < 1:
        raise ValueError(f"ECE needs at least 1 bin, got {bins}")
    order = np.argsort(predictions, kind="stable")
    sorted_predictions = np.asarray(predictions, dtype=np.float64)[order]
    gaps = (np.asarray(predictions, dtype=np.float64) - np.asarray(outcomes, dtype=np.float64))[
        order
    ]
    single = weights is None
    all_weights = np.ones((1, len(gaps))) if single else np.asarray(weights)
    columns = order if unit is None or single else np.asarray(unit)[order]
    results = []
    for start in range(0, len(all_weights), _ECE_CHUNK):
        w = all_weights[start : start + _ECE_CHUNK][:, columns].astype(np.float64)
        count = len(w)
        cumulative = np.cumsum(w, axis=1)
        total = cumulative[:, -1].copy()
        middle = cumulative - 0.5 * w
        # First position of each bin: where the middle of the weight reaches k / bins of the total.
        offsets = (2.0 * total.max() + 1.0) * np.arange(count)
        thresholds = total[:, None] * (np.arange(1, bins) / bins)[None, :] + offsets[:, None]
        cuts = np.searchsorted((middle + offsets[:, None]).ravel(), thresholds.ravel())
        cuts = cuts.reshape(count, bins - 1) - len(gaps) * np.arange(count)[:, None]
        # Equal predictions never straddle a cut: it moves back to the start of their run
        # (a constant predictor has one bin, as it should, not bins split arbitrarily).
        inside = cuts < len(gaps)
        cuts[inside] = np.searchsorted(sorted_predictions, sorted_predictions[cuts[inside]])
        gap_sums = np.zeros((count, len(gaps) + 1))
        np.cumsum(w * gaps, axis=1, out=gap_sums[:, 1:])
        edges = np.concatenate(
            [np.zeros((count, 1), np.int64), cuts, np.full((count, 1), len(gaps))], axis=1
        )
        per_bin = np.diff(np.take_along_axis(gap_sums, edges, axis=1), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            results.append(np.abs(per_bin).sum(axis=1) / np.where(total > 0, total, np.nan))
    ece = np.concatenate(results)
    return ece[0] if single else ece


def reliability_bins(
    predictions: np.ndarray, outcomes: np.ndarray, bins: int = DEFAULT_ECE_BINS
) -> list[dict[str, float | int]]:
    """Per equal-count bin (in prediction order): mean prediction, observed rate, count.

    The bins are the ones `expected_calibration_error` uses without weights (ties never
    straddle a bin edge), so fewer than `bins` are returned when predictions repeat.
    """
    if bins < 1:
        raise ValueError(f"reliability needs at least 1 bin, got {bins}")
    order = np.argsort(predictions, kind="stable")
    p = np.asarray(predictions, dtype=np.float64)[order]
    y = np.asarray(outcomes, dtype=np.float64)[order]
    count = len(p)
    # A position is in the bin where its middle (index + 0.5) falls, as in the ECE.
    cuts = np.searchsorted(np.arange(count) + 0.5, count * np.arange(1, bins) / bins)
    inside = cuts < count
    cuts[inside] = np.searchsorted(p, p[cuts[inside]])
    edges = np.unique(np.concatenate([[0], cuts, [count]]))
    return [
        {
            "mean_prediction": float(p[start:stop].mean()),
            "observed": float(y[start:stop].mean()),
            "count": int(stop - start),
        }
        for start, stop in zip(edges[:-1], edges[1:], strict=True)
        if stop > start
    ]


def best_temperature(logits: np.ndarray, outcomes: np.ndarray, iterations: int = 50) -> float:
    """The temperature minimising the log loss of sigmoid(logits / T) (inf if no T > 0 helps)."""
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(outcomes, dtype=np.float64)
    beta = 1.0
    for _ in range(iterations):
        p = sigmoid(beta * z)
        gradient = np.mean((p - y) * z)
        curvature = np.mean(p * (1 - p) * z * z)
        if curvature <= 1e-12:
            break
        step = gradient / curvature
        # Newton on a convex function, kept positive: halve toward 0 instead of crossing it.
        beta = beta - step if beta - step > 0 else beta / 2
        if abs(step) < 1e-10 * max(1.0, beta):
            break
    return float(1.0 / beta) if beta > 1e-9 else float("inf")


def temperature_grid_losses(logits: np.ndarray, outcomes: np.ndarray) -> np.ndarray:
    """(len(TEMPERATURE_GRID), N) per-position log loss at each grid temperature."""
    z = np.asarray(logits, dtype=np.float64)[None, :] / TEMPERATURE_GRID[:, None]
    return np.logaddexp(0.0, z) - np.asarray(outcomes, dtype=np.float64)[None, :] * z
