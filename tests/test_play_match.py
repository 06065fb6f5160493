"""`maou-kit match` and its figures: Elo/LOS known answers, the colour-alternating opening
schedule, and a short net-vs-random match whose CSA files read back with the records
reader and agree with match.json.
"""

from __future__ import annotations

import json
import math

import pytest
from _play_models import save_model, tiny_model

from maou_kit.cli import main
from maou_kit.data.convert import convert_records
from maou_kit.play.match_openings import builtin_openings, extend_openings, schedule
from maou_kit.play.match_stats import match_stats
from maou_kit.schema import RESULT_BLACK_WIN, RESULT_DRAW, RESULT_WHITE_WIN
from maou_kit.shogi import read_records


def test_75_percent_score_is_plus_191_elo():
    stats = match_stats(wins=30, draws=0, losses=10)
    assert stats.score == 0.75
    assert stats.elo == pytest.approx(400 * math.log10(3), abs=1e-9)  # 190.85
    assert stats.elo_low < stats.elo < stats.elo_high


def test_draws_count_half_and_even_score_is_zero_elo():
    stats = match_stats(wins=5, draws=10, losses=5)
    assert (stats.score, stats.elo, stats.draw_rate, stats.los) == (0.5, 0.0, 0.5, 0.5)
    assert stats.elo_low == pytest.approx(-stats.elo_high)


def test_los_of_known_record():
    # LOS = Phi((W - L) / sqrt(W + L)): 30 wins, 10 losses -> Phi(20 / sqrt(40)) = 0.99922.
    assert match_stats(30, 0, 10).los == pytest.approx(0.99922, abs=1e-5)


def test_interval_narrows_with_more_games():
    few, many = match_stats(6, 2, 2), match_stats(60, 20, 20)
    assert few.elo == pytest.approx(many.elo)
    assert many.elo_high - many.elo_low < few.elo_high - few.elo_low


def test_perfect_score_has_open_upper_end_and_a_finite_lower_bound():
    stats = match_stats(10, 0, 0)
    assert stats.elo is None and stats.elo_high is None
    assert 100 < stats.elo_low < 300


def test_each_opening_is_played_once_with_each_colour():
    games = schedule(n_games=16, n_openings=8)
    assert sorted(games) == sorted((opening, black) for opening in range(8) for black in (1, 0))


def test_openings_are_extended_to_distinct_reproducible_positions_for_long_matches():
    listed = builtin_openings()
    extended = extend_openings(listed, 50, seed=7)
    assert extended[:8] == listed
    assert len({opening.sfen for opening in extended}) == 50
    assert extend_openings(listed, 50, seed=7) == extended


def test_builtin_openings_are_distinct_positions():
    sfens = [opening.sfen for opening in builtin_openings()]
    assert len(set(sfens)) == len(sfens) == 8


def _read_back(output):
    """match.json, after checking every CSA file it names reads back with the game's
    plies and a winner that agrees with the game's result for engine 1."""
    summary = json.loads((output / "match.json").read_text())
    csa_files = [output / game["csa"] for game in summary["games"]]
    _, report = convert_records(csa_files, workers=0)
    assert (report.games, report.skipped_files, report.skipped_games) == (len(csa_files), [], [])
    for game, path in zip(summary["games"], csa_files, strict=True):
        (record,) = read_records(path).games
        assert len(record.moves) == game["plies"]
        engine1_black = game["engine1_color"] == "black"
        expected = {
            "draw": RESULT_DRAW,
            "win": RESULT_BLACK_WIN if engine1_black else RESULT_WHITE_WIN,
            "loss": RESULT_WHITE_WIN if engine1_black else RESULT_BLACK_WIN,
        }[game["result"]]
        assert record.result == expected
    return summary


def test_net_vs_random_match_writes_readable_csa_and_consistent_match_json(tmp_path, capsys):
    model = save_model(tiny_model(), tmp_path / "model")
    output = tmp_path / "match"
    code = main(
        [
            "match", "--engine1", f"net:{model}", "--engine2", "random", "--games", "4",
            "--max-moves", "40", "--output", str(output), "--seed", "3",
        ]
    )  # fmt: skip
    assert code == 0
    summary = _read_back(output)
    results = summary["results"]
    assert summary["games_played"] == len(summary["games"]) == 4
    assert results["wins"] + results["draws"] + results["losses"] == results["games"] == 4
    by_color = summary["engine1_by_color"]
    assert sum(sum(counts.values()) for counts in by_color.values()) == 4
    assert "W-D-L" in capsys.readouterr().out


def test_decisive_games_are_scored_for_the_right_engine_in_both_colours(tmp_path):
    output = tmp_path / "match"
    argv = ["match", "--engine1", "random", "--engine2", "builtin:0", "--games", "2",
            "--max-moves", "256", "--output", str(output), "--seed", "1"]  # fmt: skip
    assert main(argv) == 0
    summary = _read_back(output)
    assert [game["engine1_color"] for game in summary["games"]] == ["black", "white"]
    assert summary["results"]["losses"] == 2  # the material player mates the random mover


def test_unknown_engine_spec_is_a_one_line_error(tmp_path, capsys):
    code = main(["match", "--engine1", "no-such-engine", "--engine2", "random", "--output",
                 str(tmp_path)])  # fmt: skip
    assert code == 2
    assert "--engine1: 'no-such-engine' is not" in capsys.readouterr().err


def test_net_as_usi_subprocess_plays_a_match_game(tmp_path):
    model = save_model(tiny_model(), tmp_path / "model")
    output = tmp_path / "match"
    argv = ["match", "--engine1", f"net-usi:{model}", "--nodes1", "8", "--engine2", "random",
            "--games", "1", "--max-moves", "12", "--output", str(output)]  # fmt: skip
    assert main(argv) == 0
    summary = _read_back(output)
    assert summary["games"][0]["plies"] == 12  # no illegal move, no crash: a full game
