"""Decode a game-record file's bytes: UTF-8 (with or without BOM), Shift_JIS/cp932 or EUC-JP.

Japanese records come in all three. UTF-8 is tried first (it almost never decodes
text written in the other two). A declaration such as `encoding=Shift_JIS` (KIF and
CSA headers carry one) is honoured when the bytes decode with it. Otherwise cp932 and
EUC-JP are both tried: EUC-JP text usually decodes as cp932 too, but into half-width
katakana noise, so the reading with fewer such characters wins.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

_DECLARATION = re.compile(rb"encoding\s*=\s*([A-Za-z0-9_\-]+)", re.IGNORECASE)
_DECLARED_NAMES = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "cp932": "cp932",
    "windows-31j": "cp932",
    "euc-jp": "euc_jp",
    "euc_jp": "euc_jp",
    "eucjp": "euc_jp",
}


def _oddness(text: str) -> int:
    """Characters unlikely in a Japanese game record: half-width katakana, private use, controls."""
    return sum(
        1
        for char in text
        if "\uff61" <= char <= "\uff9f"
        or "\ue000" <= char <= "\uf8ff"
        or (char < " " and char not in "\t\r\n")
    )


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _declared_encoding(data: bytes) -> str | None:
    match = _DECLARATION.search(data[:512])
    if match is None:
        return None
    return _DECLARED_NAMES.get(match.group(1).decode("ascii").lower())


def decode_record_bytes(data: bytes, path: str | Path) -> str:
    """Return the text of a record file, or raise ValueError naming `path` if undecodable."""
    if data.startswith(codecs.BOM_UTF8):
        text = _try_decode(data[len(codecs.BOM_UTF8) :], "utf-8")
        if text is None:
            raise ValueError(f"{path}: starts with a UTF-8 BOM but is not valid UTF-8")
        return text
    text = _try_decode(data, "utf-8")
    if text is not None:
        return text
    declared = _declared_encoding(data)
    if declared is not None:
        text = _try_decode(data, declared)
        if text is not None:
            return text
    readings = [
        reading
        for reading in (_try_decode(data, "cp932"), _try_decode(data, "euc_jp"))
        if reading is not None
    ]
    if not readings:
        raise ValueError(f"{path}: cannot decode as UTF-8, Shift_JIS (cp932) or EUC-JP")
    return min(readings, key=_oddness)  # min keeps cp932 on a tie


def read_record_text(path: str | Path) -> str:
    """Read and decode a record file (see `decode_record_bytes`)."""
    return decode_record_bytes(Path(path).read_bytes(), path)
