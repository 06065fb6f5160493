"""`maou-kit selfplay`: bad arguments are one-line errors, a builtin run writes and reports."""

from __future__ import annotations

import argparse

import pytest

from maou_kit.cli import selfplay


def parse_args(argv: list[str]) -> argparse.Namespace:
    # Only this subcommand is registered, so the test does not depend on its siblings.
    parser = argparse.ArgumentParser(prog="maou-kit")
    selfplay.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["selfplay", *argv])


def run(argv: list[str]) -> int:
    args = parse_args(argv)
    return args.func(args)


def test_builtin_run_writes_one_csa_file_per_game_and_reports(tmp_path, capsys):
    output = tmp_path / "deep" / "games"
    exit_code = run(["--output", str(output), "--games", "3", "--engine", "builtin", "--seed", "9"])
    report = capsys.readouterr().out
    assert exit_code == 0
    assert sorted(path.name for path in output.iterdir()) == [
        f"selfplay_9_0000{index}.csa" for index in range(3)
    ]
    assert "builtin simple player" in report and "games 3" in report


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--games", "-1"], "--games must be >= 0"),
        (["--max-moves", "0"], "--max-moves must be positive"),
        (["--random-opening-plies", "-2"], "--random-opening-plies must be >= 0"),
        (["--nodes", "0"], "--nodes must be positive"),
        (["--temperature", "-5"], "--temperature must be >= 0"),
        (["--engine", "no-such-engine-xyz"], "--engine: 'no-such-engine-xyz'"),
        (["--engine", "builtin", "--engine-option", "Hash=16"], "needs a USI engine"),
    ],
)
def test_bad_arguments_raise_value_error(argv, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        run(["--output", str(tmp_path), *argv])


def test_unreadable_start_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="--start-sfens"):
        run(["--output", str(tmp_path), "--start-sfens", str(tmp_path / "absent.txt")])


def test_two_search_limits_are_refused_by_the_parser(tmp_path):
    with pytest.raises(SystemExit):
        parse_args(["--output", str(tmp_path), "--nodes", "10", "--depth", "2"])
