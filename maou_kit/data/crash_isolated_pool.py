"""Run a function over tasks in child processes, so a crash in C++ code (a segfault or an
abort inside cshogi) costs one task, not the whole run.

Each worker is a `spawn`ed process that takes one task at a time over a pipe. When a
worker dies mid-task, the task is reported as a `TaskFailure` naming the signal
(or exit code) and a fresh worker takes the remaining tasks. An exception raised by
the function is also returned as a `TaskFailure`, with its message. Results are
yielded as they complete, tagged with the task's index.

This is deliberately not `multiprocessing.Pool` / `ProcessPoolExecutor`: both treat
a dead worker as the end of the whole pool (or hang), and neither says which task
killed it.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any


@dataclass(frozen=True)
class TaskFailure:
    """Why a task produced no result: the worker died, or the function raised."""

    message: str


def _worker_main(connection: Connection, function: Callable[[Any], Any]) -> None:
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
        connection.send((index, outcome))


def _death_message(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"worker process died with {name} while processing this task"
    return f"worker process exited with code {exitcode} while processing this task"


class _Worker:
    def __init__(self, context: Any, function: Callable[[Any], Any]) -> None:
        self.connection, child_end = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child_end, function), daemon=True)
        self.process.start()
        child_end.close()
        self.task_index: int | None = None

    def send(self, index: int, task: Any) -> None:
        self.task_index = index
        self.connection.send((index, task))

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
    pool = [_Worker(context, function) for _ in range(min(workers, len(pending)))]
    try:
        for worker in pool:
            worker.send(*pending.popleft())
        while any(worker.task_index is not None for worker in pool):
            busy = [worker for worker in pool if worker.task_index is not None]
            ready = set(wait([w.connection for w in busy] + [w.process.sentinel for w in busy]))
            for position, worker in enumerate(pool):
                if worker.task_index is None:
                    continue
                died = worker.process.sentinel in ready
                if worker.connection in ready:
                    try:
                        index, outcome = worker.connection.recv()
                    except EOFError:  # the worker died before it could answer
                        died = True
                    else:
                        worker.task_index = None
                        yield index, outcome
                        if pending:
                            worker.send(*pending.popleft())
                        continue
                if died:
                    failed_index, worker.task_index = worker.task_index, None
                    worker.process.join()
                    worker.connection.close()
                    yield failed_index, TaskFailure(_death_message(worker.process.exitcode))
                    if pending:
                        pool[position] = _Worker(context, function)
                        pool[position].send(*pending.popleft())
    finally:
        for worker in pool:
            if not worker.connection.closed:
                worker.stop()
