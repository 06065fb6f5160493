"""Run a function over tasks in child processes, so a crash in C++ code (a segfault or an
abort inside cshogi) costs one task, not the whole run.

Each worker is a `spawn`ed process fed over a pipe; it keeps up to `IN_FLIGHT` tasks
queued so it never waits for the parent between two tasks, and answers them in order.
An exception raised by the function comes back as a `TaskFailure` with its message.
Results are yielded as they complete, tagged with the task's index.

A worker that dies is judged by how it died:

- a crash signal (SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL), SIGKILL (the kernel's
  out-of-memory killer) or a non-zero exit: the task it was on is a `TaskFailure`
  naming the signal, its other queued tasks go to a fresh worker;
- a stop signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT): someone asked the command to stop,
  so the same signal is raised in this process (Ctrl-C in a worker is Ctrl-C for the
  whole command) and the pool stops.

Workers die quietly on a stop signal (no traceback): they are started with the stop
signals ignored (a disposition that survives `exec`, and Python then installs no
Ctrl-C handler), and set them to the default action once running. When the parent
stops for any reason other than finishing, it kills its workers at once.

This is deliberately not `multiprocessing.Pool` / `ProcessPoolExecutor`: both treat
a dead worker as the end of the whole pool (or hang), and neither says which task
killed it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

IN_FLIGHT = 3  # tasks queued per worker: hides the round trip between two tasks
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


@dataclass(frozen=True)
class TaskFailure:
    """Why a task produced no result: the worker died, or the function raised."""

    message: str


def _worker_main(connection: Connection, function: Callable[[Any], Any]) -> None:
    # Stop signals end the worker at once and silently; the parent sees the signal.
    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_DFL)
    while True:
        try:
            message = connection.recv()
        except EOFError:
            return
        if message is None:
            return
        index, task = message
        try:
            outcome: Any = function(task)
        except Exception as error:  # reported with the task; the worker lives on
            outcome = TaskFailure(f"{type(error).__name__}: {error}")
        try:
            connection.send((index, outcome))
        except (BrokenPipeError, OSError):  # the parent is gone
            return


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _death_message(exitcode: int | None) -> str:
    if exitcode == -signal.SIGKILL:
        return "worker process was killed (SIGKILL; out of memory?) while processing this task"
    if exitcode is not None and exitcode < 0:
        return f"worker process died with {_signal_name(-exitcode)} while processing this task"
    return f"worker process exited with code {exitcode} while processing this task"


class _Worker:
    def __init__(self, context: Any, function: Callable[[Any], Any]) -> None:
        self.connection, child_end = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child_end, function), daemon=True)
        # Ignored across the start (milliseconds), so the child starts ignoring them and
        # no Ctrl-C can hit it mid-import with a traceback. A stop signal that reaches
        # the parent in that window is lost, but the running workers still die of it
        # and the parent then stops as they did.
        previous = {number: signal.signal(number, signal.SIG_IGN) for number in STOP_SIGNALS}
        try:
            self.process.start()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        child_end.close()
        self.queued: deque[int] = deque()  # indices sent and not yet answered, in order

    def send(self, index: int, task: Any) -> bool:
        """Queue a task on this worker; False when it is already gone (the task is not queued)."""
        try:
            self.connection.send((index, task))
        except (BrokenPipeError, ConnectionResetError):
            return False
        self.queued.append(index)
        return True

    def stop(self) -> None:
        try:
            self.connection.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.connection.close()


def _stop_like_worker(exitcode: int | None) -> None:
    """A worker ended by a stop signal: deliver that signal here too."""
    if exitcode is None or -exitcode not in STOP_SIGNALS:
        return
    number = -exitcode
    os.kill(os.getpid(), number)  # runs this process's handler (KeyboardInterrupt, ...)
    # A handler that did not raise: stop anyway, as an interrupt.
    raise KeyboardInterrupt(f"worker process received {_signal_name(number)}")


def _feed(worker: _Worker, pending: deque, limit: int) -> None:
    """Send tasks from `pending` until the worker holds `limit` or none are left."""
    while pending and len(worker.queued) < limit:
        index, task = pending.popleft()
        if not worker.send(index, task):
            pending.appendleft((index, task))
            return


def run_isolated(
    function: Callable[[Any], Any], tasks: Sequence[Any], workers: int
) -> Iterator[tuple[int, Any]]:
    """Yield `(task index, function(task) or TaskFailure)` for every task, in completion order.

    `function` must be importable by name (a module-level function): workers are
    spawned, not forked.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    context = multiprocessing.get_context("spawn")
    pending = deque(enumerate(tasks))
    pool: list[_Worker] = []
    finished = False
    try:
        pool = [_Worker(context, function) for _ in range(min(workers, len(pending)))]
        for depth in range(1, IN_FLIGHT + 1):
            for worker in pool:
                _feed(worker, pending, depth)
        while any(worker.queued for worker in pool) or pending:
            if not any(worker.queued for worker in pool):  # every worker was gone: new ones
                for position, worker in enumerate(pool):
                    if not worker.connection.closed:
                        worker.kill()
                    pool[position] = _Worker(context, function)
                    _feed(pool[position], pending, IN_FLIGHT)
            busy = [worker for worker in pool if worker.queued]
            ready = set(wait([w.connection for w in busy] + [w.process.sentinel for w in busy]))
            for position, worker in enumerate(pool):
                if not worker.queued:
                    continue
                died = worker.process.sentinel in ready
                if worker.connection in ready or died:
                    # Answers already in the pipe come first, even from a worker that died.
                    while worker.queued and worker.connection.poll():
                        try:
                            index, outcome = worker.connection.recv()
                        except (EOFError, OSError):  # the worker died mid-answer
                            died = True
                            break
                        worker.queued.popleft()
                        yield index, outcome
                        _feed(worker, pending, IN_FLIGHT)
                if died and worker.queued:
                    worker.process.join()
                    worker.connection.close()
                    _stop_like_worker(worker.process.exitcode)
                    failed_index = worker.queued.popleft()
                    requeue = list(worker.queued)
                    yield failed_index, TaskFailure(_death_message(worker.process.exitcode))
                    pending.extendleft((i, tasks[i]) for i in reversed(requeue))
                    if pending:
                        pool[position] = _Worker(context, function)
                        _feed(pool[position], pending, IN_FLIGHT)
        finished = True
    finally:
        for worker in pool:
            if worker.connection.closed:
                continue
            if finished:
                worker.stop()
            else:  # interrupted or failed: no need to let workers finish their tasks
                worker.kill()
