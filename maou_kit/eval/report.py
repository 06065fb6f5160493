"""The evaluation as one printed table: figure, value, 95% interval, and its baseline.

Baselines sit beside the figure they belong to: the uniform-legal-move player for the
policy figures, the constant (training-mean) predictor for the value figures, the
all-zero predictor for Stage 1-2 figures. Breakdowns (phase, side to move) follow as a
compact table of the main figures. Every figure is in evaluate.json as well.
"""

from __future__ import annotations

from typing import Any

# (figure, baseline figure or None, label)
_STAGE3_ROWS = (
    ("policy", "top1", "uniform_top1", "top-1 (played move)"),
    ("policy", "top5", "uniform_top5", "top-5 (played move)"),
    ("policy", "legal_top1", "uniform_top1", "top-1, legal moves only"),
    ("policy", "legal_top5", "uniform_top5", "top-5, legal moves only"),
    ("policy", "cross_entropy", "uniform_cross_entropy", "cross-entropy (nats)"),
    ("policy", "legal_cross_entropy", "uniform_cross_entropy", "cross-entropy, legal only"),
    ("policy", "entropy", None, "policy entropy (nats)"),
    ("policy", "illegal_mass", None, "illegal-move probability mass"),
    ("policy", "illegal_top1", None, "share: top-1 is illegal"),
    ("policy", "illegal_in_top5", None, "share: an illegal move in top-5"),
    ("value", "brier", "constant_brier", "value Brier score"),
    ("value", "log_loss", "constant_log_loss", "value log loss (nats)"),
    ("value", "sign_accuracy", "constant_sign_accuracy", "value sign accuracy (decisive)"),
    ("value", "expected_calibration_error", None, "value ECE"),
    ("value", "best_temperature", None, "value best temperature"),
    ("value", "mean_prediction", "mean_outcome", "mean prediction (vs mean outcome)"),
)
_MULTILABEL_ROWS = (
    ("f1", "baseline_f1", "F1 (sample-averaged)"),
    ("exact_match", "baseline_exact_match", "exact match"),
    ("accuracy", "baseline_accuracy", "element accuracy"),
)
_BREAKDOWN_COLUMNS = {
    3: ("top1", "legal_top1", "illegal_mass", "brier", "sign_accuracy"),
    2: ("f1", "exact_match", "accuracy"),
    1: ("f1", "exact_match", "accuracy"),
}


def _number(value: float | None) -> str:
    return "n/a" if value is None or value != value else f"{value:.4f}"


def _row(label: str, figure: dict[str, Any], baseline: dict[str, Any] | None) -> str:
    interval = f"[{_number(figure['ci_low'])}, {_number(figure['ci_high'])}]"
    base = _number(baseline["value"]) if baseline else ""
    return f"{label:<36} {_number(figure['value']):>9}  {interval:<21} {base:>9}"


def format_report(result: dict[str, Any]) -> str:
    """The table `maou-kit evaluate` prints for an `evaluate` result."""
    stage = result["settings"]["stage"]
    data = result["data"]
    lines = [
        f"model: {result['model'].get('path', result['model']['files'])} "
        f"(Stage {stage}, {result['model']['format']})",
        f"data: {data['kind']}, {data['positions']} positions"
        + (f" in {data['units']} games" if data["unit_kind"] == "game" else " (no game ids)")
        + f"; sha256 {str(data.get('sha256_files') or data.get('sha256_rows'))[:12]}",
    ]
    skipped = {reason: count for reason, count in data.get("skipped", {}).items() if count}
    if skipped:
        lines.append(
            "skipped: " + ", ".join(f"{count} {reason}" for reason, count in skipped.items())
        )
    replicates = result["settings"]["bootstrap_replicates"]
    header = f"{'figure':<36} {'value':>9}  {'95% CI':<21} {'baseline':>9}"
    lines += [
        "",
        f"{replicates} bootstrap replicates over {result['settings']['bootstrap_unit']}s",
        header,
        "-" * len(header),
    ]
    figures = result["figures"]
    if stage == 3:
        for group, name, base, label in _STAGE3_ROWS:
            baseline = figures[group].get(base) if base else None
            lines.append(_row(label, figures[group][name], baseline))
        baseline = result["value_baseline"]
        lines.append(
            f"baselines: uniform legal move (policy); constant {baseline['constant']:.4f} "
            f"from {baseline['source']} (value); ECE with "
            f"{result['settings']['ece_bins']} equal-count bins"
        )
    else:
        group = next(iter(figures.values()))
        for name, base, label in _MULTILABEL_ROWS:
            lines.append(_row(label, group[name], group[base]))
        lines.append("baseline: the all-zero predictor")
    columns = _BREAKDOWN_COLUMNS[stage]
    for kind, groups in result.get("breakdown", {}).items():
        lines += ["", f"by {kind.replace('_', ' ')}: value [95% CI]"]
        lines.append(f"{'':<10} {'positions':>9}  " + "  ".join(f"{c:<25}" for c in columns))
        for label, entry in groups.items():
            cells = []
            for column in columns:
                figure = entry["figures"][column]
                cells.append(
                    f"{_number(figure['value'])} [{_number(figure['ci_low'])}, {_number(figure['ci_high'])}]"
                )
            lines.append(
                f"{label:<10} {entry['positions']:>9}  " + "  ".join(f"{c:<25}" for c in cells)
            )
    for warning in result.get("warnings", []):
        lines.append(f"note: {warning}")
    timing = result["timing"]
    lines.append(
        f"time: {timing['total_seconds']:.1f} s ({timing['read_seconds']:.1f} s reading, "
        f"{timing['inference_seconds']:.1f} s inference), {timing['positions_per_second']} positions/s"
    )
    return "\n".join(lines)
