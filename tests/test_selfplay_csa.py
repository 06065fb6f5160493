"""CSA output: files parse back with cshogi's parser to the same game, scores in floodgate style."""

from __future__ import annotations

import cshogi
from cshogi import CSA

from maou_kit.selfplay import (
    MATE_SCORE,
    GameRecord,
    MoveDecision,
    PlayedMove,
    SimplePlayer,
    Termination,
    endgame_line,
    play_game,
    play_games,
    write_csa,
)

# White to move with pieces in both hands: needs the full P1..P9 / P+ / P- position block.
HANDS_WHITE_TO_MOVE_SFEN = (
    "ln1g1g1nl/1r1sk2s1/p1ppppbpp/1p6P/9/2P6/PP1PPPP1P/1BG4R1/LNS1KGSNL w Pp 14"
)


def parse(path):
    return CSA.Parser.parse_file(str(path))[0]


def hand_made_record(decisions: list[MoveDecision]) -> GameRecord:
    moves = [PlayedMove(decision.move, 0.0, decision) for decision in decisions]
    return GameRecord(
        start_sfen=cshogi.STARTING_SFEN,
        moves=moves,
        termination=Termination.MAX_MOVES,
        winner=0,
        black_name="b",
        white_name="w",
    )


def test_every_written_game_parses_back_with_same_moves_winner_and_ending(tmp_path):
    player = SimplePlayer()
    summaries = play_games(player, player, 4, seed=11, max_moves=80, output_dir=tmp_path)
    for summary in summaries:
        parsed = parse(summary.path)
        assert [cshogi.move_to_usi(move) for move in parsed.moves] == summary.record.usi_moves
        assert (parsed.win, parsed.endgame) == (summary.winner, endgame_line(summary.record))


def test_game_from_a_sfen_with_hands_round_trips_its_start_position(tmp_path):
    player = SimplePlayer()
    record = play_game(player, player, seed=2, start_sfen=HANDS_WHITE_TO_MOVE_SFEN, max_moves=20)
    parsed = parse(write_csa(record, tmp_path / "hands.csa"))
    assert parsed.sfen == HANDS_WHITE_TO_MOVE_SFEN.replace(" 14", " 1")
    assert [cshogi.move_to_usi(move) for move in parsed.moves] == record.usi_moves


def test_scores_are_written_from_blacks_point_of_view_with_the_pv_after_the_move(tmp_path):
    record = hand_made_record(
        [
            MoveDecision("7g7f", score_cp=50, pv=("7g7f", "3c3d")),
            MoveDecision("3c3d", score_cp=300, pv=("3c3d", "2g2f", "8c8d")),
        ]
    )
    parsed = parse(write_csa(record, tmp_path / "scores.csa"))
    assert parsed.scores == [50, -300]
    assert parsed.comments == ["50 -3334FU", "-300 +2726FU -8384FU"]


def test_mate_scores_become_plus_minus_mate_score_for_black(tmp_path):
    record = hand_made_record(
        [MoveDecision("7g7f", mate_in=-5, pv=("7g7f",)), MoveDecision("3c3d", mate_in=3)]
    )
    parsed = parse(write_csa(record, tmp_path / "mate.csa"))
    assert parsed.scores == [-MATE_SCORE, -MATE_SCORE]


def test_random_opening_moves_carry_no_evaluation_comment(tmp_path):
    player = SimplePlayer()
    record = play_game(player, player, seed=4, random_opening_plies=6, max_moves=12)
    opening_plies = sum(move.decision is None for move in record.moves)
    parsed = parse(write_csa(record, tmp_path / "opening.csa"))
    assert opening_plies >= 3
    assert parsed.comments[:opening_plies] == [""] * opening_plies
    assert all(parsed.comments[opening_plies:])
