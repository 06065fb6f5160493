"""The evaluation notebook's functions: its parameter checks, the evaluation table, the
reliability / phase / leakage figures (series and bins counted), the live match score
and the result file. Two untrained tiny networks are scored on the first two held-out
games (~250 positions), so everything here runs in a few seconds."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from maou_kit.eval.report import _STAGE3_ROWS
from maou_kit.play.match import MatchGame, MatchResult
from maou_kit.viz import evaluation
from maou_kit.viz.evaluation_setup import SMOKE_LABELS, evaluation_models, evaluation_setup
from tests._eval_models import save_tiny_stage3

HELDOUT = Path(__file__).resolve().parents[1] / "data_samples" / "heldout_games.feather"
LABELS = ("net a", "net b")


def _parameters(tmp_path: Path, **changes: object) -> dict[str, object]:
    parameters = {
        "RUN_DIR": str(tmp_path / "run"), "MODELS": "", "LABELS": ",".join(LABELS),
        "DATA": str(tmp_path / "games.feather"), "BOOTSTRAP": 20, "MATCH_OPPONENT": "random",
        "MATCH_GAMES": 2, "SEED": 0, "SMOKE": False, "OVERWRITE": True,
    }  # fmt: skip
    return {**parameters, **changes}


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """(setup, models, results) of two tiny networks on the first two held-out games."""
    tmp_path = tmp_path_factory.mktemp("evaluation")
    games = pl.read_ipc(HELDOUT)
    first = games["gameId"].unique(maintain_order=True).head(2).to_list()
    games.filter(pl.col("gameId").is_in(first)).write_ipc(tmp_path / "games.feather")
    paths = [save_tiny_stage3(tmp_path / name, seed) for seed, name in enumerate("ab")]
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("CI", raising=False)
        setup = evaluation_setup(**_parameters(tmp_path, MODELS=",".join(map(str, paths))))
        models = evaluation_models(setup)
        results = evaluation.evaluate_models(setup, models)
    return setup, models, results


def test_setup_refuses_a_label_count_that_differs_from_the_models(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    model = save_tiny_stage3(tmp_path / "a")
    with pytest.raises(ValueError, match="LABELS has 2 label"):
        evaluation_setup(**_parameters(tmp_path, MODELS=str(model), DATA=str(HELDOUT)))


def test_setup_names_a_missing_model_outside_smoke_mode(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(FileNotFoundError, match="MODELS = 'no/such/run'"):
        evaluation_setup(
            **_parameters(tmp_path, MODELS="no/such/run", LABELS="", DATA=str(HELDOUT))
        )


def test_smoke_mode_plans_throwaway_networks_for_missing_models(tmp_path):
    setup = evaluation_setup(
        **_parameters(tmp_path, MODELS="no/such/run,other", DATA=str(HELDOUT), SMOKE=True)
    )
    assert setup.needs_smoke_models and [m.label for m in setup.models] == list(SMOKE_LABELS)
    assert setup.match_games == 2 and setup.bootstrap == 20


def test_setup_refuses_a_negative_bootstrap(tmp_path):
    with pytest.raises(ValueError, match="BOOTSTRAP must be >= 0, got -1"):
        evaluation_setup(**_parameters(tmp_path, MODELS="x", DATA=str(HELDOUT), BOOTSTRAP=-1))


def test_results_are_written_per_model(scored):
    setup, _, results = scored
    assert list(results) == list(LABELS)
    assert sorted(p.name for p in setup.run_dir.glob("evaluate_*.json")) == [
        "evaluate_net_a.json",
        "evaluate_net_b.json",
    ]


def test_table_has_a_value_and_interval_triple_per_model_and_the_report_rows(scored):
    table = evaluation.evaluation_table(scored[2])
    assert table.height == len(_STAGE3_ROWS)
    assert table.columns == [
        "figure", "net a", "net a 95% low", "net a 95% high",
        "net b", "net b 95% low", "net b 95% high", "baseline",
    ]  # fmt: skip


def test_table_values_are_the_figures_of_each_result(scored):
    results = scored[2]
    row = evaluation.evaluation_table(results).row(2, named=True)  # top-1, legal moves only
    legal = results["net b"]["figures"]["policy"]["legal_top1"]
    assert row["net b"] == pytest.approx(legal["value"])
    assert row["net b 95% low"] <= row["net b"] <= row["net b 95% high"]
    uniform = results["net a"]["figures"]["policy"]["uniform_top1"]["value"]
    assert row["baseline"] == pytest.approx(uniform)


def test_reliability_figure_draws_each_models_bins_and_counts(scored):
    results = scored[2]
    top, bottom = evaluation.plot_reliability(results).axes
    assert len(top.lines) == 1 + len(LABELS)  # the diagonal, then one series per model
    for label, line, counts in zip(LABELS, top.lines[1:], bottom.lines, strict=True):
        bins = results[label]["figures"]["value"]["expected_calibration_error"]["reliability"]
        assert len(line.get_xdata()) == len(bins) > 1
        assert sum(counts.get_ydata()) == results[label]["figures"]["value"]["brier"]["n"]
    assert [t.get_text().split(" (")[0] for t in top.get_legend().get_texts()][1:] == list(LABELS)


def test_phase_figure_has_one_series_per_model_over_every_phase(scored):
    results = scored[2]
    (ax,) = evaluation.plot_phase_accuracy(results).axes
    phases = results["net a"]["breakdown"]["phase"]
    assert len(ax.containers) == len(LABELS)  # one errorbar series per model
    for container in ax.containers:
        assert len(container.lines[0].get_xdata()) == len(phases)
    assert len(ax.get_xticklabels()) == len(phases)


def test_leakage_figure_puts_three_bars_with_intervals_per_model_side_by_side(scored):
    results = scored[2]
    (ax,) = evaluation.plot_leakage(results).axes
    bars = [c for c in ax.containers if c.__class__.__name__ == "BarContainer"]
    assert [len(c.patches) for c in bars] == [3, 3]
    assert all(c.errorbar is not None for c in bars)
    mass = results["net a"]["figures"]["policy"]["illegal_mass"]["value"]
    assert bars[0].patches[0].get_height() == pytest.approx(mass)


def _game(index: int, result: str) -> MatchGame:
    color = "black" if index % 2 == 0 else "white"
    return MatchGame(index, "hirate", color, result, "resign", 40, 0.1, None)


def test_live_match_score_updates_one_display_slot_per_game(monkeypatch):
    shown = []

    class Handle:
        def update(self, item):
            shown.append(("update", item.data))

    def fake_display(item, display_id=False):
        shown.append(("display", item.data))
        return Handle()

    monkeypatch.setattr("maou_kit.viz.display.in_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display", fake_display)
    live = evaluation.LiveMatchScore(3, "net", "random")
    result = MatchResult([])
    for index, outcome in enumerate(("win", "loss", "win")):
        result.games.append(_game(index, outcome))
        live(result.games[-1], result)
    assert [kind for kind, _ in shown] == ["display", "update", "update"]
    assert "3/3 games: W-D-L 2-0-1" in shown[-1][1] and len(live.lines) == 3


def test_match_plays_its_games_and_the_result_file_records_them(scored):
    setup, models, results = scored
    setup = replace(setup, match_max_moves=30)  # short games: the plumbing, not the play
    summary = evaluation.play_evaluation_match(setup, models)
    assert summary["games_played"] == 2 and summary["results"]["games"] == 2
    assert len(list((setup.run_dir / "match").glob("*.csa"))) == 2
    path = evaluation.write_evaluation_result(setup, models, results, summary)
    written = json.loads(path.read_text())
    assert written["status"] == "completed" and written["match"]["games"] == 2
    assert [m["label"] for m in written["models"]] == list(LABELS)
