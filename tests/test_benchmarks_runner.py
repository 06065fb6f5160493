"""The runner's default result file: a run off the CPU defaults never overwrites the CPU table."""

from __future__ import annotations

import datetime

from benchmarks.__main__ import default_output
from benchmarks.measure import Options


def test_cpu_defaults_write_the_dated_table():
    assert default_output(False, Options()).name == f"{datetime.date.today().isoformat()}.json"


def test_other_settings_write_a_file_named_after_them():
    names = {
        default_output(False, options).name
        for options in (
            Options(),
            Options(preset="tiny"),
            Options(amp=False),
            Options(device="cuda", preset="large"),
            Options(device="cuda", preset="large", amp=False),
        )
    }
    assert len(names) == 5


def test_quick_mode_writes_its_own_file():
    assert default_output(True, Options()) != default_output(False, Options())
