"""Crash isolation: a task whose worker dies (SIGSEGV in C++ code) is reported with the
signal and the other tasks still complete; exceptions come back as failures too."""

from __future__ import annotations

import faulthandler

import cshogi.CSA

from maou_kit.data.crash_isolated_pool import TaskFailure, run_isolated
from maou_kit.shogi.records import read_record_text

SEGFAULTING_CSA = "Kifu-for-JS/packages/json-kifu-format/test/files/csa/9fu_komabetsu.csa"
FINE_CSA = "Kifu-for-JS/packages/json-kifu-format/test/files/csa/chudan.csa"


def square_or_crash(number: int) -> int:
    if number == 3:
        faulthandler._sigsegv()  # a real segmentation fault, as a C++ bug would cause
    if number == 5:
        raise ValueError("five is refused")
    return number * number


def count_cshogi_moves(path: str) -> int:
    """Moves read by cshogi's C++ CSA parser (which segfaults on some files)."""
    return sum(len(game.moves) for game in cshogi.CSA.Parser.parse_str(read_record_text(path)))


def test_every_task_gets_a_result_or_a_failure():
    outcomes = dict(run_isolated(square_or_crash, list(range(8)), workers=2))
    assert sorted(outcomes) == list(range(8))
    assert [outcomes[n] for n in (0, 1, 2, 4, 6, 7)] == [0, 1, 4, 16, 36, 49]


def test_a_segfaulting_task_is_reported_with_its_signal():
    outcomes = dict(run_isolated(square_or_crash, [3, 2], workers=1))
    assert isinstance(outcomes[0], TaskFailure) and "SIGSEGV" in outcomes[0].message
    assert outcomes[1] == 4


def test_an_exception_is_reported_with_its_message():
    outcomes = dict(run_isolated(square_or_crash, [5], workers=1))
    assert outcomes[0] == TaskFailure("ValueError: five is refused")


def test_cshogi_parser_segfault_on_a_real_file_spares_the_other_file(shared_kifu):
    paths = [str(shared_kifu / SEGFAULTING_CSA), str(shared_kifu / FINE_CSA)]
    outcomes = dict(run_isolated(count_cshogi_moves, paths, workers=1))
    assert "SIGSEGV" in outcomes[0].message
    assert outcomes[1] == 3
