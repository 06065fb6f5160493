"""Record text decoding: UTF-8 with and without BOM, cp932 and EUC-JP are each detected;
bytes valid in none of them are refused with the file named."""

from __future__ import annotations

import codecs

import pytest

from maou_kit.shogi.records import decode_record_bytes, read_records

KI2_TEXT = "先手：羽生善治\n後手：藤井聡太\n▲７六歩 △３四歩 ▲２二角成 △同　銀\nまで4手で中断\n"


@pytest.mark.parametrize(
    "encoded",
    [
        KI2_TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + KI2_TEXT.encode("utf-8"),
        KI2_TEXT.encode("cp932"),
        KI2_TEXT.encode("euc_jp"),
    ],
    ids=["utf-8", "utf-8-bom", "cp932", "euc-jp"],
)
def test_each_encoding_decodes_to_the_same_text(encoded):
    assert decode_record_bytes(encoded, "game.ki2") == KI2_TEXT


@pytest.mark.parametrize("encoding", ["utf-8", "cp932", "euc_jp"])
def test_record_file_in_each_encoding_reads_the_same_game(tmp_path, encoding):
    path = tmp_path / "game.ki2"
    path.write_bytes(KI2_TEXT.encode(encoding))
    game = read_records(path).games[0]
    assert (game.names, game.moves) == (("羽生善治", "藤井聡太"), ("7g7f", "3c3d", "8h2b+", "3a2b"))


def test_bytes_invalid_in_every_supported_encoding_raise_naming_the_file(tmp_path):
    path = tmp_path / "broken.csa"
    path.write_bytes(b"V2.2\n\x85\x86\x88\x98\xfc\n")
    with pytest.raises(ValueError, match="broken.csa: cannot decode"):
        read_records(path)


def test_declared_shift_jis_is_honoured():
    text = "'encoding=Shift_JIS\n'ｱｲｳ 半角カナ\n"
    assert decode_record_bytes(text.encode("cp932"), "x.csa") == text
