"""What the evaluation notebook shows: scores of one or more Stage-3 networks, and a short match.

- `evaluate_models(setup, models)`: `maou_kit.eval.evaluate` for each network on the same
  positions (read once), each result written as `RUN_DIR/evaluate_<label>.json`;
- `evaluation_table(results)`: every figure of the printed report (same rows, same
  baselines) as a polars frame, one value / 95% low / 95% high column triple per model;
- figures (matplotlib `Figure`s built without pyplot, shown with `viz.show`):
  `plot_reliability` (value head: observed vs predicted per equal-count bin, with counts),
  `plot_phase_accuracy` (legal top-1 by game phase with 95% error bars, one series per
  model) and `plot_leakage` (illegal-move leakage of the models side by side);
- `play_evaluation_match(setup, models)`: the first model (`net:` player, policy only) against
  MATCH_OPPONENT, with `LiveMatchScore` as `play_match`'s `on_game` hook: a display slot
  rewritten after every game with the running W-D-L and Elo interval;
- `write_evaluation_result(setup, results, match)`: `RUN_DIR/result.json`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from matplotlib.figure import Figure

from maou_kit.eval.report import _STAGE3_ROWS  # the report's rows: one list of figures
from maou_kit.viz.evaluation_setup import (
    MATCH_DIR,
    RESULT_FILE,
    EvaluationModel,
    EvaluationSetup,
    evaluation_data,
    slug,
)
from maou_kit.viz.smoke import smoke_threads

Results = Mapping[str, dict[str, Any]]  # model label -> evaluate() result
LEAKAGE_FIGURES = (
    ("illegal_mass", "probability mass\non illegal moves"),
    ("illegal_top1", "share of positions:\ntop-1 is illegal"),
    ("illegal_in_top5", "share of positions:\nan illegal move in top-5"),
)
_WIDTH, _HEIGHT = 5.0, 3.8


def evaluate_models(
    setup: EvaluationSetup, models: Sequence[EvaluationModel]
) -> dict[str, dict[str, Any]]:
    """Every model scored on the setup's data; label -> result (also written as json)."""
    from maou_kit.eval.evaluate import evaluate
    from maou_kit.eval.positions import load_positions

    positions = load_positions(evaluation_data(setup))
    results = {}
    with smoke_threads(setup.smoke):
        for model in models:
            if model.path is None:
                raise ValueError(f"MODELS: {model.label} has no file (call evaluation_models)")
            result = evaluate(
                model.path,
                positions,
                bootstrap=setup.bootstrap,
                seed=setup.seed,
                output=setup.run_dir / f"evaluate_{slug(model.label)}.json",
            )
            if result["settings"]["stage"] != 3:
                raise ValueError(
                    f"MODELS: {model.path} holds a Stage {result['settings']['stage']} network; "
                    "this notebook scores Stage 3 (policy and value) networks"
                )
            results[model.label] = result
    return results


def _figure(result: dict[str, Any], group: str, name: str) -> dict[str, Any]:
    return result["figures"][group][name]


def _number(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


def evaluation_table(results: Results) -> pl.DataFrame:
    """figure | <label> | <label> 95% low | <label> 95% high | ... | baseline.

    The baseline is the first model's (the uniform legal mover for the policy figures,
    the constant training-mean predictor for the value figures).
    """
    if not results:
        raise ValueError("no evaluation results to tabulate")
    columns: dict[str, list] = {"figure": [label for _, _, _, label in _STAGE3_ROWS]}
    for model, result in results.items():
        figures = [_figure(result, group, name) for group, name, _, _ in _STAGE3_ROWS]
        columns[model] = [_number(f["value"]) for f in figures]
        columns[f"{model} 95% low"] = [_number(f["ci_low"]) for f in figures]
        columns[f"{model} 95% high"] = [_number(f["ci_high"]) for f in figures]
    first = next(iter(results.values()))
    columns["baseline"] = [
        None if base is None else _number(_figure(first, group, base)["value"])
        for group, _, base, _ in _STAGE3_ROWS
    ]
    schema = {name: pl.Float64 for name in columns if name != "figure"}
    return pl.DataFrame(columns, schema={"figure": pl.String, **schema})


def _errors(figures: Sequence[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Values and (2, n) error-bar lengths; a missing interval draws no bar."""
    values = np.array([np.nan if f["value"] is None else f["value"] for f in figures], float)
    low = np.array([np.nan if f["ci_low"] is None else f["ci_low"] for f in figures], float)
    high = np.array([np.nan if f["ci_high"] is None else f["ci_high"] for f in figures], float)
    bars = np.stack([values - low, high - values])
    return values, np.nan_to_num(np.clip(bars, 0.0, None))


def plot_reliability(results: Results) -> Figure:
    """Value head: observed win rate against mean prediction per equal-count bin (top), with
    the positions per bin (bottom); the diagonal is perfect calibration."""
    figure = Figure(figsize=(_WIDTH * 1.2, _HEIGHT * 1.5), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    top.plot(
        [0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfectly calibrated"
    )
    for model, result in results.items():
        value = result["figures"]["value"]
        bins = value["expected_calibration_error"].get("reliability") or []
        ece = _number(value["expected_calibration_error"]["value"])
        x = [b["mean_prediction"] for b in bins]
        line = top.plot(
            x,
            [b["observed"] for b in bins],
            marker="o",
            label=f"{model} (ECE {'n/a' if ece is None else f'{ece:.3f}'})",
        )[0]
        bottom.plot(x, [b["count"] for b in bins], marker="o", color=line.get_color())
    bins_asked = next(iter(results.values()))["settings"]["ece_bins"] if results else 0
    top.set(
        xlim=(0, 1),
        ylim=(0, 1),
        ylabel="observed score of the mover",
        title=f"Value reliability ({bins_asked} equal-count bins)",
    )
    top.legend(loc="upper left", fontsize="small")
    top.grid(alpha=0.3)
    bottom.set(xlabel="mean predicted score (sigmoid of the value logit)", ylabel="positions")
    # Equal-count bins hold about the same count: headroom keeps those points off the frame.
    bottom.set_ylim(0, max([1.0, *(y for line in bottom.lines for y in line.get_ydata())]) * 1.2)
    bottom.grid(alpha=0.3)
    return figure


def plot_phase_accuracy(results: Results, figure_name: str = "legal_top1") -> Figure:
    """Top-1 among legal moves by game phase (move-number bucket), 95% bars, one series per
    model, with the uniform legal mover dotted."""
    figure = Figure(figsize=(_WIDTH * 1.3, _HEIGHT), layout="constrained")
    ax = figure.subplots()
    count = max(len(results), 1)
    phases: list[str] = []
    for index, (model, result) in enumerate(results.items()):
        breakdown = result["breakdown"].get("phase", {})
        phases = list(breakdown)
        shift = (index - (count - 1) / 2) * 0.08  # side by side, bars not on top of each other
        values, bars = _errors([breakdown[p]["figures"][figure_name] for p in phases])
        ax.errorbar(
            np.arange(len(phases)) + shift, values, yerr=bars, marker="o", capsize=4, label=model
        )
        if index == 0:
            uniform = [breakdown[p]["figures"]["uniform_top1"]["value"] for p in phases]
            ax.plot(
                np.arange(len(phases)),
                [np.nan if u is None else u for u in uniform],
                color="grey",
                linestyle=":",
                marker="_",
                label="uniform legal mover",
            )
    positions = [next(iter(results.values()))["breakdown"]["phase"][p]["positions"] for p in phases]
    ax.set_xticks(
        np.arange(len(phases)),
        [f"moves {p}\n({n} pos.)" for p, n in zip(phases, positions, strict=True)],
    )
    ax.set(
        ylabel="top-1 (legal moves only)",
        title="Policy accuracy by game phase (95% CI, bootstrap over games)",
    )
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3, axis="y")
    return figure


def plot_leakage(results: Results) -> Figure:
    """Illegal-move leakage of each model side by side: three figures, 95% bars."""
    figure = Figure(figsize=(_WIDTH * 1.4, _HEIGHT), layout="constrained")
    ax = figure.subplots()
    count = max(len(results), 1)
    width = 0.8 / count
    groups = np.arange(len(LEAKAGE_FIGURES))
    for index, (model, result) in enumerate(results.items()):
        values, bars = _errors([_figure(result, "policy", name) for name, _ in LEAKAGE_FIGURES])
        offsets = groups + (index - (count - 1) / 2) * width
        ax.bar(offsets, values, width * 0.9, yerr=bars, capsize=4, label=model)
        for x, y, above in zip(offsets, values, bars[1], strict=True):
            if np.isfinite(y):  # the value written above its error bar
                ax.annotate(f"{y:.3f}", (x, y + above), xytext=(0, 3), textcoords="offset points",
                            ha="center", va="bottom", fontsize="x-small")  # fmt: skip
    ax.set_xticks(groups, [label for _, label in LEAKAGE_FIGURES])
    ax.set(ylim=(0, 1.25), ylabel="share (0 = no leakage)",
           title="Illegal-move leakage (95% CI, bootstrap over games)")  # fmt: skip
    ax.set_yticks(np.linspace(0, 1, 6))  # the headroom above 1 holds the legend
    ax.legend(fontsize="small", loc="upper center", ncol=count)
    ax.grid(alpha=0.3, axis="y")
    return figure


class LiveMatchScore:
    """`play_match`'s `on_game` hook: after every game, the running score in one display slot.

    Outside a kernel nothing is displayed; `lines` keeps what was shown (one per game).
    """

    def __init__(self, games: int, engine1: str, engine2: str) -> None:
        self.games, self.engine1, self.engine2 = games, engine1, engine2
        self.lines: list[str] = []
        self._handle: Any = None

    def __call__(self, game: Any, result: Any) -> None:
        self.lines.append(
            f"game {game.index + 1}/{self.games}: {self.engine1} ({game.engine1_color}) "
            f"{game.result} by {game.termination} in {game.plies} plies"
        )
        self.render(f"{len(result.games)}/{self.games} games: {result.stats.describe()}")

    def render(self, headline: str) -> None:
        self.text = f"**{self.engine1} vs {self.engine2}**: {headline}\n\n" + "\n".join(
            f"- {line}" for line in self.lines[-10:]
        )
        from maou_kit.viz.display import in_kernel

        if not in_kernel():
            return
        from IPython.display import Markdown, display

        if self._handle is None:
            self._handle = display(Markdown(self.text), display_id=True)
        else:
            self._handle.update(Markdown(self.text))


def play_evaluation_match(
    setup: EvaluationSetup, models: Sequence[EvaluationModel]
) -> dict[str, Any] | None:
    """The first model (policy only) against MATCH_OPPONENT; returns match.json's content.

    CSA files and match.json go to `RUN_DIR/match/`. None when MATCH_GAMES is 0.
    """
    if setup.match_games == 0:
        return None
    from maou_kit.play.match import MatchSetup, match_summary, play_match
    from maou_kit.play.match_openings import extend_openings, load_openings
    from maou_kit.play.players import EngineSettings, make_player
    from maou_kit.selfplay.game_loop import DEFAULT_MAX_MOVES

    openings = tuple(
        extend_openings(load_openings("builtin"), (setup.match_games + 1) // 2, setup.seed)
    )
    settings = {"engine1": f"net:{models[0].path}", "engine2": setup.match_opponent}
    max_moves = setup.match_max_moves or DEFAULT_MAX_MOVES
    match_setup = MatchSetup(setup.match_games, openings, setup.seed, max_moves, settings)
    player1 = make_player(f"net:{models[0].path}", EngineSettings(), "MODELS")
    try:
        player2 = make_player(setup.match_opponent, EngineSettings(), "MATCH_OPPONENT")
    except BaseException:
        player1.close()
        raise
    live = LiveMatchScore(setup.match_games, models[0].label, player2.name)
    started = time.perf_counter()
    try:
        with smoke_threads(setup.smoke):
            result = play_match(
                player1, player2, match_setup, setup.run_dir / MATCH_DIR, on_game=live
            )
    finally:
        player1.close()
        player2.close()
    summary = match_summary(
        result, models[0].label, player2.name, match_setup, time.perf_counter() - started
    )
    live.render(f"final, {result.stats.describe()}")
    return summary


def write_evaluation_result(
    setup: EvaluationSetup,
    models: Sequence[EvaluationModel],
    results: Results,
    match: dict[str, Any] | None,
) -> Path:
    """`RUN_DIR/result.json`: status, smoke flag, per model its file, main figures and json."""
    main = (("policy", "legal_top1"), ("policy", "illegal_mass"), ("value", "brier"),
            ("value", "expected_calibration_error"))  # fmt: skip
    summary = {
        "status": "completed",
        "smoke": setup.smoke,
        "data": str(setup.data_path),
        "bootstrap": setup.bootstrap,
        "models": [
            {
                "label": model.label,
                "path": str(model.path),
                "evaluate_json": f"evaluate_{slug(model.label)}.json",
                "positions": results[model.label]["data"]["positions"],
                **{name: _figure(results[model.label], g, name) for g, name in main},
            }
            for model in models
        ],
        "match": None
        if match is None
        else {
            "engine1": match["engine1"],
            "engine2": match["engine2"],
            "folder": MATCH_DIR,
            **match["results"],
        },
    }
    from maou_kit.eval.evaluate import write_json  # strict JSON: NaN -> null

    return write_json(summary, setup.run_dir / RESULT_FILE)


__all__ = [
    "LiveMatchScore",
    "evaluate_models",
    "evaluation_table",
    "play_evaluation_match",
    "plot_leakage",
    "plot_phase_accuracy",
    "plot_reliability",
    "write_evaluation_result",
]
