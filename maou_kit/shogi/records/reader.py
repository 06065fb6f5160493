"""Reading any text game-record file: the format is chosen by the file's suffix.

| suffix | format |
|---|---|
| .csa | CSA (several games per file allowed) |
| .kif .kifu | KIF (main line) |
| .ki2 .ki2u | KI2 (main line) |
| .usi | USI `position ... moves ...` lines, one game per line |
| .sfen | SFEN list, one position per line |
| .hcpe | binary; read with `read_hcpe` (it yields an array, not games) |

The encoding is detected (UTF-8 with or without BOM, cp932, EUC-JP) whatever the
suffix says.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from maou_kit.shogi.records.csa import read_csa_text
from maou_kit.shogi.records.game_record import FileRecords
from maou_kit.shogi.records.ki2 import read_ki2_text
from maou_kit.shogi.records.kif import read_kif_text
from maou_kit.shogi.records.text_encoding import read_record_text
from maou_kit.shogi.records.usi import read_sfen_list_text, read_usi_text

TEXT_READERS: dict[str, Callable[[str, str], FileRecords]] = {
    ".csa": read_csa_text,
    ".kif": read_kif_text,
    ".kifu": read_kif_text,
    ".ki2": read_ki2_text,
    ".ki2u": read_ki2_text,
    ".usi": read_usi_text,
    ".sfen": read_sfen_list_text,
}
HCPE_SUFFIX = ".hcpe"
RECORD_SUFFIXES = (*TEXT_READERS, HCPE_SUFFIX)


def read_records(path: str | Path, source: str | None = None) -> FileRecords:
    """Games of a text record file; `source` (default: the file name) names it in game ids.

    Raises ValueError naming the file when it cannot be decoded, has an unknown suffix
    or holds no game at all; games that cannot be used are returned in `skipped`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == HCPE_SUFFIX:
        raise ValueError(f"{path}: HCPE is binary; read it with read_hcpe")
    reader = TEXT_READERS.get(suffix)
    if reader is None:
        raise ValueError(
            f"{path}: unknown record suffix {path.suffix!r} (known: {', '.join(RECORD_SUFFIXES)})"
        )
    records = reader(read_record_text(path), source or path.name)
    if not records.games and not records.skipped:
        raise ValueError(f"{path}: no game or position found")
    return records
