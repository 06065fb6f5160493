"""A folder of generated CSA files (the benchmarks' corpus builder) for tests that need a
conversion long enough to interrupt."""

from __future__ import annotations

from pathlib import Path

from benchmarks.record_corpus import write_corpus


def csa_corpus(folder: Path, files: int) -> Path:
    write_corpus(folder, files)
    return folder
