"""USI engines as players: info parsing, lookup, no hangs or leaked processes, a real game.

Fake engines are tiny shell scripts, so most tests need no engine installed; the last
tests play Debian's fairy-stockfish and skip when it is absent.
"""

from __future__ import annotations

import stat

import cshogi
import pytest
from cshogi import CSA

from maou_kit.selfplay import (
    SearchLimit,
    UsiEngineError,
    UsiEnginePlayer,
    engine_lookup,
    find_engine,
    play_game,
    resolve_engine,
    write_csa,
)
from maou_kit.selfplay.usi_engine import InfoLine, parse_info_line

FAKE_ENGINE = """#!/bin/sh
while IFS= read -r line; do
  case "$line" in
    usi) printf 'id name FakeEngine\\noption name Threads type spin default 1 min 1 max 4\\nusiok\\n' ;;
    isready) echo readyok ;;
    go*) {go} ;;
    quit) exit 0 ;;
  esac
done
"""
ANSWERS = (
    'echo "info depth 1 score cp 42 pv 7g7f 3c3d"; '
    'echo "info depth 2 score cp 17 upperbound pv 2g2f"; echo "bestmove 7g7f ponder 3c3d"'
)


def fake_engine(tmp_path, go_action: str):
    path = tmp_path / "fake-engine"
    path.write_text(FAKE_ENGINE.replace("{go}", go_action), encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def ask_once(player: UsiEnginePlayer):
    player.new_game(0)
    return player.choose_move(cshogi.Board(), cshogi.STARTING_SFEN, [])


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "info depth 7 score cp 215 upperbound nodes 3000 pv 8h2b 3a2b",
            InfoLine(215, None, ("8h2b", "3a2b")),
        ),
        ("info depth 3 score mate -3 pv 5a4b 6c6b+", InfoLine(None, -3, ("5a4b", "6c6b+"))),
        ("info score mate + pv G*5b", InfoLine(None, 1, ("G*5b",))),
        ("info nodes 100 nps 5000", None),
        ("info score cp ??? pv 7g7f", InfoLine(None, None, ("7g7f",))),
        ("info string score cp 5 is not a score", None),
    ],
)
def test_info_lines_give_score_and_pv(line, expected):
    assert parse_info_line(line) == expected


def test_search_limit_takes_exactly_one_bound():
    with pytest.raises(ValueError, match="exactly one"):
        SearchLimit(nodes=100, depth=3)


def test_engine_answer_keeps_the_score_and_pv_of_the_chosen_move(tmp_path):
    with UsiEnginePlayer(fake_engine(tmp_path, ANSWERS), SearchLimit(depth=2)) as player:
        decision = ask_once(player)
    assert (decision.move, decision.score_cp, decision.pv) == ("7g7f", 42, ("7g7f", "3c3d"))


def test_engine_process_ends_when_the_player_closes(tmp_path):
    with UsiEnginePlayer(fake_engine(tmp_path, ANSWERS)) as player:
        assert player.is_running
    assert not player.is_running


def test_engine_that_dies_mid_search_raises_instead_of_hanging(tmp_path):
    with UsiEnginePlayer(fake_engine(tmp_path, "exit 3")) as player:
        with pytest.raises(UsiEngineError, match="exited"):
            ask_once(player)


def test_engine_that_stops_answering_is_killed_after_the_timeout(tmp_path):
    path = fake_engine(tmp_path, "exec sleep 30")
    with UsiEnginePlayer(path, timeout_s=0.5) as player:
        with pytest.raises(UsiEngineError, match="no answer"):
            ask_once(player)
        assert not player.is_running


def test_program_that_is_not_a_usi_engine_is_rejected(tmp_path):
    path = tmp_path / "not-an-engine"
    path.write_text("#!/bin/sh\necho hello\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    with pytest.raises(UsiEngineError, match="exited"):
        UsiEnginePlayer(path)


def test_unknown_engine_option_is_rejected(tmp_path):
    with pytest.raises(UsiEngineError, match="no option"):
        UsiEnginePlayer(fake_engine(tmp_path, ANSWERS), options={"Hash": 16})


def test_engines_are_found_in_game_directories_off_path(tmp_path, monkeypatch):
    path = fake_engine(tmp_path, ANSWERS)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(engine_lookup, "GAME_DIRS", (tmp_path,))
    assert find_engine("fake-engine") == path.resolve()


def test_unknown_engine_name_is_a_value_error():
    with pytest.raises(ValueError, match="--engine: 'no-such-engine-xyz'"):
        resolve_engine("no-such-engine-xyz")


def test_builtin_means_no_engine():
    assert resolve_engine("builtin") is None


@pytest.fixture(scope="module")
def fairy_stockfish():
    path = find_engine("fairy-stockfish")
    if path is None:
        pytest.skip("fairy-stockfish is not installed (apt install fairy-stockfish)")
    return path


def test_fairy_stockfish_plays_a_short_game_that_round_trips(fairy_stockfish, tmp_path):
    with UsiEnginePlayer(fairy_stockfish, SearchLimit(nodes=300)) as engine:
        record = play_game(engine, engine, seed=0, random_opening_plies=4, max_moves=24)
    parsed = CSA.Parser.parse_file(str(write_csa(record, tmp_path / "fs.csa")))[0]
    assert [cshogi.move_to_usi(move) for move in parsed.moves] == record.usi_moves
    assert parsed.win == record.winner
    engine_moves = [move for move in record.moves if move.decision is not None]
    assert engine_moves and all(move.decision.score is not None for move in engine_moves)


def test_fairy_stockfish_games_are_reproducible_per_seed(fairy_stockfish):
    games = []
    for _ in range(2):
        with UsiEnginePlayer(fairy_stockfish, SearchLimit(nodes=300)) as engine:
            games.append(play_game(engine, engine, seed=7, max_moves=16).usi_moves)
    assert games[0] == games[1]
