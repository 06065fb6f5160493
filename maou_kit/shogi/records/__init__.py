"""Game records -> checked games: CSA, KIF, KI2, USI lines, SFEN lists and HCPE files.

Every parser is pure Python on top of `cshogi.Board` (cshogi's C++ CSA parser can
crash the process); every move is replayed and checked, every SFEN is checked
before cshogi sees it, and every result is derived from the record's ending with
the conventions of `game_record` and `endings`.
"""

from maou_kit.shogi.records.csa import read_csa_text
from maou_kit.shogi.records.endings import CSA_ENDINGS, Ending
from maou_kit.shogi.records.game_record import FileRecords, GameRecord, SkippedGame
from maou_kit.shogi.records.hcpe import (
    HCPE_DTYPE,
    HCPE_RECORD_BYTES,
    check_hcpe,
    read_hcpe,
    write_hcpe,
)
from maou_kit.shogi.records.ki2 import read_ki2_text
from maou_kit.shogi.records.kif import read_kif_text
from maou_kit.shogi.records.reader import HCPE_SUFFIX, RECORD_SUFFIXES, read_records
from maou_kit.shogi.records.text_encoding import decode_record_bytes, read_record_text
from maou_kit.shogi.records.usi import read_sfen_list_text, read_usi_text

__all__ = [
    "CSA_ENDINGS",
    "HCPE_DTYPE",
    "HCPE_RECORD_BYTES",
    "HCPE_SUFFIX",
    "RECORD_SUFFIXES",
    "Ending",
    "FileRecords",
    "GameRecord",
    "SkippedGame",
    "check_hcpe",
    "decode_record_bytes",
    "read_csa_text",
    "read_hcpe",
    "read_ki2_text",
    "read_kif_text",
    "read_record_text",
    "read_records",
    "read_sfen_list_text",
    "read_usi_text",
    "write_hcpe",
]
