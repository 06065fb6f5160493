"""SIGTERM handled like Ctrl-C, so every way of stopping a run leaves it resumable.

Ctrl-C (SIGINT) and a notebook's stop button raise `KeyboardInterrupt`. Inside
`sigterm_as_interrupt()`, SIGTERM (what `kill`, schedulers and container runtimes
send) raises `TerminationRequested`, a `KeyboardInterrupt`, so the orchestrator
treats both alike: it records status "interrupted" in result.json and lets the
exception through. The exit code tells the two apart (130 and 143, the shell's
128 + signal number).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

SIGINT_EXIT_CODE = 128 + signal.SIGINT
SIGTERM_EXIT_CODE = 128 + signal.SIGTERM


class TerminationRequested(KeyboardInterrupt):
    """The process received SIGTERM while `sigterm_as_interrupt()` was active."""


def _raise_termination(signum: int, frame: FrameType | None) -> None:
    raise TerminationRequested(f"received {signal.Signals(signum).name}")


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises `TerminationRequested`; the old handler comes back after.

    Signal handlers can only be set from the main thread; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_termination)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def exit_code(interruption: KeyboardInterrupt) -> int:
    """143 for SIGTERM, 130 for Ctrl-C (SIGINT) and any other interruption."""
    return SIGTERM_EXIT_CODE if isinstance(interruption, TerminationRequested) else SIGINT_EXIT_CODE
