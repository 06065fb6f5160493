"""HCPE files: records written with cshogi's dtype read back unchanged, a size that is
not a multiple of 38 bytes is refused, and unusable records are reported one by one."""

from __future__ import annotations

import cshogi
import numpy as np
import pytest

from maou_kit.shogi.records import HCPE_DTYPE, check_hcpe, read_hcpe, write_hcpe


def two_records() -> np.ndarray:
    records = np.zeros(2, dtype=cshogi.HuffmanCodedPosAndEval)
    board = cshogi.Board()
    for index, (usi, score, result) in enumerate([("7g7f", 35, 1), ("3c3d", -20, 1)]):
        board.to_hcp(records[index]["hcp"])
        records[index]["eval"] = score
        records[index]["bestMove16"] = cshogi.move16(board.move_from_usi(usi))
        records[index]["gameResult"] = result
        board.push_usi(usi)
    return records


def test_records_written_with_cshogi_dtype_read_back_unchanged(tmp_path):
    path = tmp_path / "games.hcpe"
    records = two_records()
    records.tofile(path)
    assert read_hcpe(path).tobytes() == records.tobytes()
    assert read_hcpe(path).dtype == HCPE_DTYPE


def test_write_hcpe_then_read_hcpe_round_trips(tmp_path):
    path = tmp_path / "out.hcpe"
    write_hcpe(path, two_records())
    assert np.array_equal(read_hcpe(path), two_records())


def test_truncated_file_is_refused_naming_the_file_and_its_size(tmp_path):
    path = tmp_path / "cut.hcpe"
    path.write_bytes(two_records().tobytes()[:-5])
    with pytest.raises(ValueError, match=r"cut\.hcpe: 71 bytes is not a whole number of 38-byte"):
        read_hcpe(path)


def test_valid_records_pass_the_check():
    usable, skipped = check_hcpe(two_records(), "g.hcpe")
    assert usable.tolist() == [True, True] and skipped == []


def test_record_whose_move_is_illegal_is_reported():
    records = two_records()
    records[1]["bestMove16"] = records[0]["bestMove16"]  # 7g7f again, now with White to move
    usable, skipped = check_hcpe(records, "g.hcpe")
    assert usable.tolist() == [True, False]
    assert (skipped[0].index, "not a legal move" in skipped[0].reason) == (1, True)


def test_record_with_an_unknown_result_code_is_reported():
    records = two_records()
    records[0]["gameResult"] = 7
    usable, skipped = check_hcpe(records, "g.hcpe")
    assert usable.tolist() == [False, True]
    assert "gameResult 7" in skipped[0].reason


def test_record_with_a_king_off_the_board_is_reported_not_decoded():
    records = np.zeros(1, dtype=HCPE_DTYPE)
    cshogi.Board().to_hcp(records["hcp"][0])
    records["hcp"][0][0] |= 0xFE  # black king square field = 127, which cshogi would not check
    usable, skipped = check_hcpe(records, "bad.hcpe")
    assert not usable[0] and "king squares 127" in skipped[0].reason
