"""Bounds and honest counts of record conversion: workers capped to the CPUs, symbolic
links followed once, dangling links and refused games counted, the printed skip list
capped with the full list written beside the table, and stage-3 targets range-checked."""

from __future__ import annotations

import os

import polars as pl
import pytest
from _record_corpus import csa_corpus
from _train_tables import stage3_frame

from maou_kit.cli import main
from maou_kit.data import convert
from maou_kit.data.convert import capped_workers, convert_records
from maou_kit.data.table_checks import check_stage_table
from maou_kit.data.table_io import write_table
from maou_kit.schema import RESULT_VALUE

HIRATE_CSA = "PI\n+\n+7776FU\n-3334FU\n%TORYO\n"


def test_workers_beyond_the_cpus_are_capped_with_one_line():
    cpus = len(os.sched_getaffinity(0))
    assert capped_workers(cpus) == (cpus, None)
    workers, note = capped_workers(500)
    assert workers == cpus
    assert note == f"--workers 500: capped to {cpus}, the CPUs available"


def test_a_symlinked_folder_is_read_once_and_a_link_loop_ends(tmp_path):
    corpus = csa_corpus(tmp_path / "real", 3)
    root = tmp_path / "kifu"
    root.mkdir()
    (root / "linked").symlink_to(corpus, target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    table, report = convert_records([root], workers=0)
    assert report.files_converted == 3
    assert table["gameId"].n_unique() == 3


def test_a_dangling_link_is_counted_and_reported(tmp_path):
    root = tmp_path / "kifu"
    root.mkdir()
    (root / "a.csa").write_text(HIRATE_CSA)
    (root / "gone.csa").symlink_to(tmp_path / "missing.csa")
    _, report = convert_records([root], workers=0)
    assert (report.files_found, report.files_converted, report.dangling_links) == (2, 1, 1)
    assert "dangling symbolic link" in report.skipped_files[0].reason
    assert "(dangling links: 1)" in report.lines()[0]


def test_a_game_refused_while_making_rows_counts_as_skipped(tmp_path, monkeypatch):
    path = tmp_path / "two.csa"
    path.write_text(HIRATE_CSA + "/\n" + HIRATE_CSA)
    real = convert.records_rows

    def refuse_second(records):
        if any(record.index == 1 for record in records):
            raise ValueError("refused on purpose")
        return real(records)

    monkeypatch.setattr(convert, "records_rows", refuse_second)
    _, report = convert_records([path], workers=0)
    assert (report.games, report.games_skipped) == (1, 1)
    assert "2 read = 1 converted" in report.lines()[1]


def test_many_skips_print_a_capped_list_and_write_every_reason_beside_the_table(tmp_path, capsys):
    root = tmp_path / "kifu"
    root.mkdir()
    (root / "good.csa").write_text(HIRATE_CSA)
    (root / "bad.sfen").write_text("not a position\n" * 50)
    output = tmp_path / "games.feather"
    assert main(["convert-records", str(root), "--output", str(output), "--workers", "0"]) == 0
    printed = capsys.readouterr().out
    assert "skipped games (50, first 20):" in printed
    assert f"... 30 more; every one is in {output}.skipped.txt" in printed
    listed = (tmp_path / "games.feather.skipped.txt").read_text().splitlines()
    assert len(listed) == 50 and listed[0].startswith("kifu/bad.sfen#0: ")


def test_a_file_over_the_size_limit_is_skipped_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(convert, "MAX_FILE_BYTES", 10)
    path = tmp_path / "big.csa"
    path.write_text(HIRATE_CSA)
    _, report = convert_records([path], workers=0)
    assert "limit for one record file; split it" in report.skipped_files[0].reason


@pytest.mark.parametrize("value", [-0.5, 1.5])
def test_stage3_result_value_outside_zero_one_is_refused(tmp_path, value):
    frame = stage3_frame(6)
    values = frame[RESULT_VALUE].to_list()
    values[4] = value
    path = write_table(
        frame.with_columns(pl.Series(RESULT_VALUE, values, dtype=frame[RESULT_VALUE].dtype)),
        tmp_path / "train.feather",
    )
    with pytest.raises(ValueError, match=rf"outside \[0, 1\], first {value:g} in row 4"):
        check_stage_table(path, 3)


def test_a_chunk_whose_worker_died_is_read_again_file_by_file(tmp_path, monkeypatch):
    corpus = csa_corpus(tmp_path / "kifu", 40)
    real_run_isolated = convert.run_isolated
    retried = []

    def first_chunk_crashes(function, tasks, workers):
        if function is convert.convert_files:
            outcomes = dict(real_run_isolated(function, tasks, workers))
            outcomes[0] = convert.TaskFailure("worker process died with SIGSEGV")
            yield from outcomes.items()
        else:
            retried.append(len(tasks))
            yield from real_run_isolated(function, tasks, workers)

    monkeypatch.setattr(convert, "run_isolated", first_chunk_crashes)
    table, report = convert_records([corpus], workers=2)
    expected, _ = convert_records([corpus], workers=0)
    assert retried == [
        len(convert._chunks(convert._file_tasks([corpus], convert.ConversionReport())[0], 2)[0])
    ]
    assert report.files_converted == 40
    assert table.equals(expected)
