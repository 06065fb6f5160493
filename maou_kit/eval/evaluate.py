"""Scoring a network on held-out positions: `evaluate(model, data) -> dict` (and evaluate.json).

1. The network: a run directory or checkpoint file (`load_model`), or an exported `.onnx`
   file (`OnnxModel`), or an already loaded `LoadedModel`.
2. The positions (`load_positions`): records, a games table, or a stage table.
3. Inference in batches under `torch.inference_mode`; each batch's per-position figures
   are computed right away with tensor operations (policy_metrics, multilabel_metrics),
   so only (N,) arrays are kept, never (N, 1496) probabilities.
4. Means over all positions and over the breakdowns (game phase by move number, side to
   move), each with a 95% interval from the bootstrap over games (bootstrap.py); the
   value head's calibration error (with its bins, `reliability`) and best temperature
   over all positions.

Stage 3 networks get the policy, leakage and value figures; Stage 2 networks the
legal-move F1 / exact match / accuracy against the positions' legal-move masks; Stage 1
networks the reachable-square figures on a Stage 1 table (positions.py says why only there).

The value baseline is a constant prediction: the training mean outcome, taken from
`train_mean` if given, else from the run's Stage 3 training tables named in its
config.json if they can be read, else from the evaluation data itself (the json says
which, under `value_baseline`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import torch

from maou_kit.eval.bootstrap import CONFIDENCE, Bootstrap, interval
from maou_kit.eval.model_files import LoadedModel, load_model
from maou_kit.eval.multilabel_metrics import MULTILABEL_FIGURES, multilabel_figures
from maou_kit.eval.policy_metrics import POLICY_FIGURES, policy_figures
from maou_kit.eval.positions import STAGE1, STAGE2, STAGE3, EvalPositions, load_positions
from maou_kit.eval.value_metrics import (
    DEFAULT_ECE_BINS,
    TEMPERATURE_GRID,
    VALUE_FIGURES,
    best_temperature,
    expected_calibration_error,
    log_loss_of_logits,
    reliability_bins,
    sigmoid,
    temperature_grid_losses,
    value_figures,
)
from maou_kit.train.run_layout import CONFIG_FILE

DEFAULT_PHASE_BUCKETS = (30, 60, 100)  # upper move numbers: 1-30, 31-60, 61-100, 101+
DEFAULT_BATCH_SIZE = (
    1024  # on a 2-core CPU the small resnet runs ~25% faster per position than at 512
)
DEFAULT_BOOTSTRAP = 1000


class _Scorer:
    """A network to score, whichever file it came from."""

    def __init__(self, model: str | Path | LoadedModel, stage: int | None) -> None:
        if isinstance(model, LoadedModel):
            self.stage, self.network = model.stage, model.model
            self.description = {
                "format": "checkpoint",
                "files": {name: str(path) for name, path in model.files.items()},
                "backbone_spec": model.backbone_spec,
            }
            self.path = None
        else:
            path = Path(model)
            self.path = path
            if path.suffix == ".onnx":
                from maou_kit.eval.onnx_model import OnnxModel

                self.network = OnnxModel(path)
                self.stage = self.network.stage
                if stage is not None and stage != self.stage:
                    raise ValueError(
                        f"{path}: holds a Stage {self.stage} network, not Stage {stage}"
                    )
                self.description = {"format": "onnx", "files": {"onnx": str(path)}}
            else:
                loaded = load_model(path, stage)
                self.stage, self.network = loaded.stage, loaded.model
                self.description = {
                    "format": "checkpoint",
                    "files": {name: str(file) for name, file in loaded.files.items()},
                    "backbone_spec": loaded.backbone_spec,
                }
            self.description["path"] = str(path)
        self.description["stage"] = self.stage


def _check_data_fits(stage: int, positions: EvalPositions) -> None:
    if stage == 3 and positions.move_labels is None:
        raise ValueError(
            f"a Stage 3 network needs positions with played moves (records, a games table or a "
            f"stage-3 table), got a {positions.kind} table"
        )
    if stage == 2 and positions.legal_masks is None:
        raise ValueError(f"a Stage 2 network needs positions, got a {positions.kind} table")
    if stage == 1 and positions.kind != STAGE1:
        raise ValueError(
            "a Stage 1 network is scored on a stage-1 table (maou-kit build-stage1): SPEC "
            "defines reachable-square targets only for single-piece patterns, not game positions"
        )


def _infer(
    scorer: _Scorer, positions: EvalPositions, batch_size: int
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Per-position figures of the network (and value logits for Stage 3), batch by batch."""
    count = len(positions)
    names = POLICY_FIGURES if scorer.stage == 3 else MULTILABEL_FIGURES
    figures = {name: np.empty(count, dtype=np.float32) for name in names}
    value_logits = np.empty(count, dtype=np.float32) if scorer.stage == 3 else None
    network = scorer.network.eval()
    with torch.inference_mode():
        for start in range(0, count, batch_size):
            stop = min(start + batch_size, count)
            inputs = (
                torch.from_numpy(positions.boards[start:stop]),
                torch.from_numpy(positions.hands[start:stop]),
            )
            outputs = network(inputs)
            if scorer.stage == 3:
                policy_logits, value_logit = outputs
                targets = positions.policy_targets
                batch = policy_figures(
                    policy_logits,
                    torch.from_numpy(positions.move_labels[start:stop]),
                    torch.from_numpy(positions.legal_masks[start:stop]),
                    None if targets is None else torch.from_numpy(targets[start:stop]),
                )
                value_logits[start:stop] = value_logit.float().reshape(-1).numpy()
            else:
                targets = positions.reachable if scorer.stage == 1 else positions.legal_masks
                batch = multilabel_figures(outputs, torch.from_numpy(targets[start:stop]))
            for name, values in batch.items():
                figures[name][start:stop] = values.numpy()
    return figures, value_logits


def _training_mean(scorer: _Scorer) -> tuple[float, str] | None:
    """Mean value target of the run's Stage 3 training tables, if config.json leads to them."""
    if scorer.path is None:
        return None
    run_dir = scorer.path if scorer.path.is_dir() else scorer.path.parent
    config_path = run_dir / CONFIG_FILE
    try:
        config = json.loads(config_path.read_text())
        data_path = Path(config["stage3_data_path"])
        from maou_kit.data.sources import resolve_split

        for candidate in (data_path, run_dir / data_path):
            if candidate.exists():
                split = resolve_split(
                    candidate, config.get("test_ratio", 0.2), config.get("seed", 0)
                )
                values = pl.concat(
                    [pl.read_ipc(f, columns=["resultValue"]) if f.suffix == ".feather"
                     else pl.read_parquet(f, columns=["resultValue"]) for f in split.train]
                )["resultValue"]  # fmt: skip
                return float(values.mean()), f"training data of the run ({candidate}, train split)"
    except (
        OSError,
        KeyError,
        TypeError,
        ValueError,
        json.JSONDecodeError,
        pl.exceptions.PolarsError,
    ):
        return None
    return None


def _phase_buckets(buckets: Sequence[int]) -> list[tuple[str, int, int]]:
    """(label, first move number, last move number) of each bucket; the last is open-ended."""
    bounds = [int(bound) for bound in buckets]
    if any(bound < 1 for bound in bounds) or bounds != sorted(set(bounds)):
        raise ValueError(
            f"--phase-buckets {' '.join(map(str, buckets))}: give increasing move numbers >= 1"
        )
    result, first = [], 1
    for bound in bounds:
        result.append((f"{first}-{bound}", first, bound))
        first = bound + 1
    result.append((f"{first}+", first, 1 << 30))
    return result


def _breakdowns(
    positions: EvalPositions,
    per_position: dict[str, np.ndarray],
    bootstrap: Bootstrap,
    buckets: Sequence[int],
) -> dict[str, dict[str, Any]]:
    breakdown: dict[str, dict[str, Any]] = {}
    if (positions.ply >= 0).any():
        move_number = positions.ply + 1
        breakdown["phase"] = {}
        for label, first, last in _phase_buckets(buckets):
            rows = (positions.ply >= 0) & (move_number >= first) & (move_number <= last)
            breakdown["phase"][label] = _subset_figures(per_position, bootstrap, rows)
    if (positions.white >= 0).any():
        breakdown["side_to_move"] = {
            side: _subset_figures(per_position, bootstrap, positions.white == code)
            for side, code in (("black", 0), ("white", 1))
        }
    return breakdown


def _subset_figures(per_position: dict, bootstrap: Bootstrap, rows: np.ndarray) -> dict[str, Any]:
    figures = bootstrap.means(per_position, rows)
    return {"positions": int(rows.sum()), "figures": figures}


def _value_set_figures(
    logits: np.ndarray, outcomes: np.ndarray, bootstrap: Bootstrap, bins: int
) -> dict[str, Any]:
    """ECE and best temperature over the positions with an outcome, with bootstrap intervals."""
    known = np.isfinite(outcomes)
    if not known.any():
        missing = {"value": None, "ci_low": None, "ci_high": None, "n": 0}
        return {
            "expected_calibration_error": {
                **missing,
                "bins": bins,
                "binning": "equal-count",
                "reliability": [],
            },
            "best_temperature": missing,
        }
    logits, outcomes = logits[known], outcomes[known]
    predictions = sigmoid(logits)
    ece = expected_calibration_error(predictions, outcomes, bins)
    ece_replicates = expected_calibration_error(
        predictions, outcomes, bins, bootstrap.weights, bootstrap.unit[known]
    )
    temperature = best_temperature(logits, outcomes)
    grid_losses = bootstrap.replicate_sums(temperature_grid_losses(logits, outcomes), known)
    temperature_replicates = TEMPERATURE_GRID[np.argmin(grid_losses, axis=1)]
    return {
        "expected_calibration_error": {
            **interval(float(ece), ece_replicates, len(outcomes)),
            "bins": bins,
            "binning": "equal-count",
            # The bins themselves, for a reliability diagram (value_metrics.reliability_bins).
            "reliability": reliability_bins(predictions, outcomes, bins),
        },
        "best_temperature": {
            **interval(temperature, temperature_replicates, len(outcomes)),
            "interval_grid": f"{len(TEMPERATURE_GRID)} log-spaced temperatures "
            f"{TEMPERATURE_GRID[0]:g}..{TEMPERATURE_GRID[-1]:g}",
            "log_loss_at_best": float(np.mean(log_loss_of_logits(logits / temperature, outcomes)))
            if math.isfinite(temperature)
            else None,
        },
    }


def evaluate(
    model: str | Path | LoadedModel,
    data: Sequence[str | Path] | str | Path | pl.DataFrame | EvalPositions,
    *,
    stage: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    bootstrap: int = DEFAULT_BOOTSTRAP,
    seed: int = 0,
    phase_buckets: Sequence[int] = DEFAULT_PHASE_BUCKETS,
    ece_bins: int = DEFAULT_ECE_BINS,
    train_mean: float | None = None,
    output: str | Path | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """Every figure of `model` on `data`, with 95% bootstrap intervals; written to `output` if given."""
    started = time.perf_counter()
    if batch_size < 1:
        raise ValueError(f"--batch-size must be at least 1, got {batch_size}")
    if ece_bins < 1:
        raise ValueError(f"ECE bins must be at least 1, got {ece_bins}")
    if train_mean is not None and not 0.0 <= train_mean <= 1.0:
        raise ValueError(f"--train-mean must be in [0, 1], got {train_mean}")
    _phase_buckets(phase_buckets)
    scorer = _Scorer(model, stage)
    positions = data if isinstance(data, EvalPositions) else load_positions(data, workers)
    _check_data_fits(scorer.stage, positions)
    read_seconds = time.perf_counter() - started
    per_position, value_logits = _infer(scorer, positions, batch_size)
    inference_seconds = time.perf_counter() - started - read_seconds
    resampler = Bootstrap(positions.unit, bootstrap, seed)
    warnings = list(positions.notes)
    if positions.unit_kind == "position" and positions.kind in (STAGE3, STAGE2):
        warnings.append(
            "bootstrap by row: the data has no game ids, so the intervals treat positions as "
            "independent and are too narrow where positions of one game are correlated"
        )
    result: dict[str, Any] = {
        "model": scorer.description,
        "data": {**positions.fingerprint, "skipped": positions.skipped},
        "settings": {
            "stage": scorer.stage,
            "batch_size": batch_size,
            "bootstrap_replicates": bootstrap,
            "bootstrap_unit": positions.unit_kind,
            "confidence": CONFIDENCE,
            "seed": seed,
            "phase_buckets": [label for label, _, _ in _phase_buckets(phase_buckets)],
            "phase_by": "move number = ply + 1 (the move about to be played)",
            "ece_bins": ece_bins,
        },
    }
    if scorer.stage == 3:
        outcomes = positions.outcomes.astype(np.float64)
        if train_mean is not None:
            constant, source = float(train_mean), "--train-mean"
        else:
            found = _training_mean(scorer)
            known = outcomes[np.isfinite(outcomes)]
            constant, source = found or (
                float(known.mean()) if known.size else 0.5,
                "evaluation data (no training mean given or readable)"
                if known.size
                else "0.5 (no training mean, and the data has no results)",
            )
        result["value_baseline"] = {"constant": constant, "source": source}
        per_position.update(value_figures(value_logits, outcomes, constant))
        figures = resampler.means(per_position)
        result["figures"] = {
            "policy": {name: figures[name] for name in POLICY_FIGURES},
            "value": {
                **{name: figures[name] for name in VALUE_FIGURES},
                **_value_set_figures(
                    value_logits.astype(np.float64), outcomes, resampler, ece_bins
                ),
            },
        }
    else:
        figures = resampler.means(per_position)
        result["figures"] = {"legal_moves" if scorer.stage == 2 else "reachable_squares": figures}
    result["breakdown"] = _breakdowns(positions, per_position, resampler, phase_buckets)
    seconds = time.perf_counter() - started
    result["warnings"] = warnings
    result["timing"] = {
        "read_seconds": round(read_seconds, 3),
        "inference_seconds": round(inference_seconds, 3),
        "total_seconds": round(seconds, 3),
        "positions_per_second": round(len(positions) / seconds, 1) if seconds > 0 else None,
        "torch_threads": torch.get_num_threads(),
    }
    if output is not None:
        write_json(result, output)
    return result


def _json_ready(value: Any) -> Any:
    """NaN / inf -> None so the file is strict JSON; numpy scalars -> Python numbers."""
    if isinstance(value, dict):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_json(result: dict[str, Any], output: str | Path) -> Path:
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(_json_ready(result), indent=2, allow_nan=False) + "\n")
    return output


__all__ = ["DEFAULT_PHASE_BUCKETS", "EvalPositions", "evaluate", "write_json"]
