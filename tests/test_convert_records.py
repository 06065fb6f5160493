"""convert_records and `maou-kit convert-records`: every real record converted or reported,
the count report, mixed formats, unreadable files reported while the rest go on, and
bad arguments refused."""

from __future__ import annotations

import shutil

import cshogi
import numpy as np
import pytest

from maou_kit.cli import main
from maou_kit.data.convert import convert_records
from maou_kit.data.games import read_table
from maou_kit.shogi.records import write_hcpe

CSA_GAME = "P1-KY-KE-GI-KI-OU-KI-GI-KE-KY\nP2 * -HI *  *  *  *  * -KA *\n" + (
    "P3-FU-FU-FU-FU-FU-FU-FU-FU-FU\n"
    "P4 *  *  *  *  *  *  *  *  *\nP5 *  *  *  *  *  *  *  *  *\nP6 *  *  *  *  *  *  *  *  *\n"
    "P7+FU+FU+FU+FU+FU+FU+FU+FU+FU\nP8 * +KA *  *  *  *  * +HI *\n"
    "P9+KY+KE+GI+KI+OU+KI+GI+KE+KY\n+\n+7776FU\n-3334FU\n+2726FU\n%TORYO\n"
)


def hcpe_file(path, count: int) -> None:
    records = np.zeros(count, dtype=cshogi.HuffmanCodedPosAndEval)
    board = cshogi.Board()
    for index in range(count):
        board.to_hcp(records[index]["hcp"])
        move = next(iter(board.legal_moves))
        records[index]["bestMove16"] = cshogi.move16(move)
        records[index]["gameResult"] = 1
        board.push(move)
    write_hcpe(path, records)


@pytest.fixture
def mixed_folder(tmp_path):
    folder = tmp_path / "records"
    (folder / "sub").mkdir(parents=True)
    (folder / "game.csa").write_text(CSA_GAME, encoding="utf-8")
    (folder / "sub" / "lines.usi").write_text("position startpos moves 7g7f 3c3d\n")
    (folder / "sub" / "positions.sfen").write_text("4k4/9/9/9/9/9/9/9/4K4 b - 1\n")
    hcpe_file(folder / "sub" / "data.hcpe", 4)
    (folder / "notes.txt").write_text("not a record\n")
    (folder / "cut.hcpe").write_bytes(b"\0" * 40)
    return folder


def test_mixed_folder_counts(mixed_folder):
    table, report = convert_records([mixed_folder], workers=0)
    assert (report.files_found, report.files_converted, len(report.skipped_files)) == (6, 4, 2)
    assert (report.games, report.position_records, report.positions) == (2, 5, 3 + 2 + 1 + 4)
    assert table.height == report.positions


def test_unknown_suffix_and_unreadable_file_are_reported_with_reasons(mixed_folder):
    _, report = convert_records([mixed_folder], workers=0)
    reasons = {item.source: item.reason for item in report.skipped_files}
    assert reasons["records/notes.txt"].startswith("unknown suffix '.txt'")
    assert "40 bytes is not a whole number of 38-byte HCPE records" in reasons["records/cut.hcpe"]


def test_game_ids_are_relative_to_the_input_folder(mixed_folder):
    table, _ = convert_records([mixed_folder], workers=0)
    assert set(table["gameId"]) == {
        "records/game.csa#0",
        "records/sub/lines.usi#0",
        "records/sub/positions.sfen#0",
        "records/sub/data.hcpe",
    }


def test_worker_processes_give_the_same_table_as_in_process_reading(mixed_folder):
    in_process, _ = convert_records([mixed_folder], workers=0)
    in_workers, _ = convert_records([mixed_folder], workers=2)
    assert in_workers.equals(in_process)


def test_nonexistent_input_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="input path does not exist: .*missing"):
        convert_records([tmp_path / "missing"])


def test_segfaulting_file_is_converted_or_reported_and_the_rest_go_on(shared_kifu, tmp_path):
    """cshogi's own CSA parser segfaults on 9fu_komabetsu.csa; the conversion must not."""
    csa = shared_kifu / "Kifu-for-JS/packages/json-kifu-format/test/files/csa"
    for name in ("9fu_komabetsu.csa", "chudan.csa", "v2.csa"):
        shutil.copy(csa / name, tmp_path / name)
    _, report = convert_records([tmp_path], workers=2)
    assert (report.files_converted, report.games) == (3, 2)
    assert "two unpromoted pawns on one file" in report.skipped_games[0].reason


def test_whole_real_corpus_is_converted_or_reported(shared_kifu):
    table, report = convert_records([shared_kifu], workers=2)
    assert report.files_found == len([path for path in shared_kifu.rglob("*") if path.is_file()])
    assert report.files_converted + len(report.skipped_files) == report.files_found
    assert [item.source for item in report.skipped_files] == ["kifu/SOURCES.md"]
    assert (report.games, len(report.skipped_games)) == (109, 4)  # the four 9fu positions
    assert table.height == report.positions == 5201
    assert table["gameId"].n_unique() == report.games


def test_cli_writes_the_table_and_prints_the_counts(mixed_folder, tmp_path, capsys):
    output = tmp_path / "out" / "games.parquet"
    assert main(["convert-records", str(mixed_folder), "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert "files: 6 found, 4 converted, 2 skipped" in printed
    assert read_table(output).height == 10


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["missing-folder", "--output", "games.feather"], "input path does not exist"),
        (["{folder}", "--output", "games.csv"], "suffix must be one of .feather, .parquet"),
        (["{folder}", "--output", "games.feather", "--workers", "-1"], "--workers must be"),
    ],
)
def test_cli_bad_arguments_exit_2_with_a_message(mixed_folder, capsys, arguments, message):
    arguments = [argument.replace("{folder}", str(mixed_folder)) for argument in arguments]
    assert main(["convert-records", *arguments]) == 2
    assert message in capsys.readouterr().err
