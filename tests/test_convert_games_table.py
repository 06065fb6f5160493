"""The games table: schema, one row per position before each move, hcp/bestMove16/eval
encoding, position and HCPE records, and writing/reading tables with clear errors."""

from __future__ import annotations

import cshogi
import numpy as np
import polars as pl
import pytest

from maou_kit.data.games import GAMES_SCHEMA, games_table, hcpe_table, read_table, write_table
from maou_kit.schema import GAMES_COLUMNS, RESULT_WHITE_WIN
from maou_kit.shogi.records import GameRecord

HIRATE = "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"


def game(**changes) -> GameRecord:
    fields = dict(
        source="a/b.csa",
        index=3,
        start_sfen=HIRATE,
        moves=("7g7f", "3c3d", "8h2b+"),
        evals=(40, None, 99999),
        result=RESULT_WHITE_WIN,
        endgame_status="%TORYO",
        ratings=(3000.0, 3100.0),
    )
    fields.update(changes)
    return GameRecord(**fields)


def test_schema_names_are_the_games_columns():
    assert tuple(GAMES_SCHEMA.names()) == GAMES_COLUMNS


def test_one_row_per_move_with_the_position_before_it():
    table = games_table([game()])
    board = cshogi.Board()
    for row, usi in zip(table.iter_rows(named=True), ("7g7f", "3c3d", "8h2b+"), strict=True):
        decoded = cshogi.Board()
        decoded.set_hcp(np.frombuffer(row["hcp"], dtype=np.uint8))
        assert decoded.sfen().rsplit(" ", 1)[0] == board.sfen().rsplit(" ", 1)[0]  # no ply in hcp
        assert row["bestMove16"] == cshogi.move16(board.move_from_usi(usi))
        board.push_usi(usi)


def test_game_columns_repeat_and_ids_name_game_and_ply():
    table = games_table([game()])
    assert table["id"].to_list() == ["a/b.csa#3:0", "a/b.csa#3:1", "a/b.csa#3:2"]
    assert table["ply"].to_list() == [0, 1, 2]
    assert set(table["gameId"]) == {"a/b.csa#3"}
    assert set(table["moves"]) == {3} and set(table["gameResult"]) == {RESULT_WHITE_WIN}
    assert table["ratings"].to_list()[0] == [3000.0, 3100.0]


def test_evals_are_clipped_and_missing_ones_are_null():
    assert games_table([game()])["eval"].to_list() == [40, None, 32767]


def test_unknown_ratings_are_an_empty_list():
    assert games_table([game(ratings=None)])["ratings"].to_list()[0] == []


def test_position_record_gives_one_row_without_a_move():
    record = game(moves=(), evals=None, kind="position", result=-1, endgame_status="")
    table = games_table([record])
    assert (table.height, table["bestMove16"][0], table["ply"][0]) == (1, 0, 0)


def test_record_with_an_illegal_move_is_refused_with_its_game_id():
    with pytest.raises(ValueError, match=r"a/b.csa#3: move 2 '7g7f' is not legal"):
        games_table([game(moves=("7g7f", "7g7f"), evals=None)])


def test_hcpe_rows_keep_their_own_eval_move_and_result():
    records = np.zeros(1, dtype=cshogi.HuffmanCodedPosAndEval)
    board = cshogi.Board()
    board.to_hcp(records[0]["hcp"])
    records[0]["eval"], records[0]["gameResult"] = -1234, 2
    records[0]["bestMove16"] = cshogi.move16(board.move_from_usi("2g2f"))
    row = hcpe_table(records, "x.hcpe", np.array([7])).row(0, named=True)
    assert (row["eval"], row["gameResult"], row["id"], row["ply"]) == (-1234, 2, "x.hcpe:7", None)
    assert row["bestMove16"] == cshogi.move16(board.move_from_usi("2g2f"))
    assert row["hcp"] == records[0]["hcp"].tobytes()


@pytest.mark.parametrize("suffix", [".feather", ".parquet"])
def test_table_round_trips_through_each_file_format(tmp_path, suffix):
    table = games_table([game()])
    path = write_table(table, tmp_path / "deep" / f"games{suffix}")
    assert read_table(path).equals(table)


def test_unknown_table_suffix_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"games\.csv: unsupported table suffix"):
        write_table(pl.DataFrame(schema=GAMES_SCHEMA), tmp_path / "games.csv")


def test_zero_byte_table_is_refused_naming_it(tmp_path):
    path = tmp_path / "empty.feather"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.feather"):
        read_table(path)


def test_truncated_table_is_refused_naming_it(tmp_path):
    path = write_table(games_table([game()]), tmp_path / "games.feather")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="games.feather"):
        read_table(path)
