"""One writer per run directory: `RunLock` holds `RUN_DIR/.lock` for the life of a run.

The lock is an advisory `flock` on that file, so the kernel drops it the moment its
holder dies, however it dies (SIGKILL included): a lock left by a dead process is
simply free. The file also records the holder's pid, which names the holder when a
second run is refused, and tells the next run that it takes over from a run that
died without releasing the directory (a line says so). A run that ends, however it
ends short of being killed, removes the file.

A second `learn-model` on a held directory stops with `RunDirectoryBusy` (a
ValueError: the CLI reports it in one line, exit code 2) naming the holder's pid.
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

LOCK_NAME = ".lock"


class RunDirectoryBusy(ValueError):
    """Another live process holds the run directory."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


class RunLock:
    """`with RunLock(run_dir):` holds the run directory; released on exit or death."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_NAME
        self._descriptor: int | None = None

    def acquire(self) -> RunLock:
        if self.run_dir.exists() and not self.run_dir.is_dir():
            raise NotADirectoryError(
                f"{self.run_dir}: is a file, expected a run directory; choose another --model-dir"
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(descriptor)
            os.close(descriptor)
            who = f"pid {holder}" if holder is not None else "another process"
            raise RunDirectoryBusy(
                f"{self.run_dir}: another learn-model ({who}) is writing this run directory; "
                "wait for it to end or choose another --model-dir"
            ) from None
        previous = _read_pid(descriptor)
        if previous is not None and previous != os.getpid() and not _pid_alive(previous):
            print(
                f"{self.run_dir}: taking over the run directory from pid {previous}, "
                "which ended without releasing it",
                file=sys.stderr,
            )
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        self._descriptor = descriptor
        return self

    def release(self) -> None:
        if self._descriptor is None:
            return
        self.path.unlink(missing_ok=True)  # a clean end leaves nothing behind
        fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        os.close(self._descriptor)
        self._descriptor = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(descriptor: int) -> int | None:
    text = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None
