"""A USI engine as a self-play `Player`, driven through `cshogi.usi.Engine`.

cshogi's Engine spawns the process and speaks the protocol; this module adds what
unattended data generation needs on top: a search limit (`go nodes|depth|movetime`),
the score and PV of the chosen move parsed from `info` lines, a watchdog that kills an
engine that stops answering, detection of a dead engine (cshogi's read loops would spin
forever on end-of-file), and a `close()` / context manager / finalizer so no engine
process outlives its player.
"""

from __future__ import annotations

import os
import subprocess
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import cshogi
from cshogi.usi import Engine

from maou_kit.selfplay.records import DECLARE_WIN, RESIGN, MoveDecision

DEFAULT_NODES = 3000
DEFAULT_TIMEOUT_S = 60.0
QUIT_GRACE_S = 2.0


class UsiEngineError(RuntimeError):
    """The engine died, did not answer in time, or is not a USI engine."""


@dataclass(frozen=True)
class SearchLimit:
    """Exactly one of nodes / depth / movetime_ms bounds each search."""

    nodes: int | None = None
    depth: int | None = None
    movetime_ms: int | None = None

    def __post_init__(self) -> None:
        given = {
            name: value
            for name, value in (
                ("nodes", self.nodes),
                ("depth", self.depth),
                ("movetime_ms", self.movetime_ms),
            )
            if value is not None
        }
        if len(given) != 1:
            raise ValueError(f"give exactly one search limit (nodes, depth, movetime_ms): {given}")
        name, value = next(iter(given.items()))
        if value <= 0:
            raise ValueError(f"search limit {name} must be positive, got {value}")

    def go_command(self) -> str:
        if self.nodes is not None:
            return f"go nodes {self.nodes}"
        if self.depth is not None:
            return f"go depth {self.depth}"
        return f"go movetime {self.movetime_ms}"

    def describe(self) -> str:
        return self.go_command().removeprefix("go ")


@dataclass(frozen=True)
class InfoLine:
    """The parts of one `info` line that a game record keeps."""

    score_cp: int | None
    mate_in: int | None
    pv: tuple[str, ...]


def parse_info_line(line: str) -> InfoLine | None:
    """Score and PV of a USI `info` line; None when the line carries neither."""
    tokens = line.split()
    if not tokens or tokens[0] != "info":
        return None
    score_cp = mate_in = None
    pv: tuple[str, ...] = ()
    index = 1
    while index < len(tokens):
        token = tokens[index]
        if token == "string":
            break  # free text to the end of the line
        if token == "pv":
            pv = tuple(tokens[index + 1 :])
            break
        if token == "score" and index + 2 < len(tokens):
            kind, value = tokens[index + 1], tokens[index + 2]
            # `mate +` / `mate -` give the sign without a distance; garbage is ignored.
            number = {"+": 1, "-": -1}.get(value) if kind == "mate" else None
            if number is None and value.lstrip("+-").isdigit():
                number = int(value)
            if kind == "cp":
                score_cp = number
            elif kind == "mate":
                mate_in = number
            index += 3
            continue
        index += 1
    if score_cp is None and mate_in is None and not pv:
        return None
    return InfoLine(score_cp, mate_in, pv)


class _GuardedEngine(Engine):
    """cshogi's Engine with bounded waits and end-of-file detection."""

    def __init__(self, cmd: str, timeout_s: float, args: Sequence[str] = ()):
        self.timeout_s = timeout_s
        self.args = list(args)
        self.options: dict[str, str] = {}
        self._timed_out = False
        self._waiting_for = "usi"
        super().__init__(cmd, connect=True)

    def connect(self, listener: Callable[[str], None] | None = None) -> None:
        cwd = os.path.dirname(self.cmd) or None
        try:
            # stderr is discarded: an unread pipe would block a chatty engine.
            self.proc = subprocess.Popen(
                [self.cmd, *self.args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=cwd,
            )
        except OSError as error:
            raise UsiEngineError(f"cannot start {self.cmd}: {error}") from error
        self.name = Path(self.cmd).name
        try:
            with self.deadline("usi"):
                self._write("usi")
                for line in self._lines():
                    if line.startswith("id name "):
                        self.name = line[len("id name ") :]
                    elif line.startswith("option name "):
                        name = line[len("option name ") :].split(" type ")[0]
                        self.options[name] = line
                    elif line == "usiok":
                        return
        except BaseException:
            _kill(self.proc)  # no player object exists yet to close it
            raise

    @contextmanager
    def deadline(self, what: str) -> Iterator[None]:
        """Kill the engine if `what` takes longer than timeout_s; report it as UsiEngineError."""
        self._timed_out = False
        self._waiting_for = what

        def expire() -> None:
            self._timed_out = True
            self.proc.kill()

        timer = threading.Timer(self.timeout_s, expire)
        timer.daemon = True
        timer.start()
        try:
            yield
        except OSError as error:  # typically a broken pipe: the engine is gone
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=QUIT_GRACE_S)
            raise UsiEngineError(f"{self.name}: {self._failure()} ({error})") from error
        finally:
            timer.cancel()
        if self._timed_out:
            raise UsiEngineError(f"{self.name}: {self._failure()}")

    def _failure(self) -> str:
        if self._timed_out:
            return f"no answer to {self._waiting_for!r} within {self.timeout_s} s"
        if self.proc.poll() is not None:
            return f"exited (code {self.proc.returncode}) during {self._waiting_for!r}"
        return f"lost the connection during {self._waiting_for!r}"

    def guard(self, line: str) -> None:
        """Listener for cshogi's read loops: they see '' forever once the engine is gone."""
        if line == "" and self.proc.poll() is not None:
            raise UsiEngineError(f"{self.name}: {self._failure()}")

    def _write(self, command: str) -> None:
        self.proc.stdin.write(command.encode("ascii") + b"\n")
        self.proc.stdin.flush()

    def _lines(self) -> Iterator[str]:
        while True:
            raw = self.proc.stdout.readline()
            if raw == b"":
                self.proc.wait()
                self.guard("")
            yield raw.decode("utf-8", errors="replace").strip()

    def search(self, limit: SearchLimit) -> tuple[str, InfoLine | None]:
        """Run one search; the best move and the info line that belongs to it."""
        self._write(limit.go_command())
        infos: list[InfoLine] = []
        for line in self._lines():
            if line.startswith("info "):
                info = parse_info_line(line)
                if info is not None and (info.score_cp is not None or info.mate_in is not None):
                    infos.append(info)
            elif line.startswith("bestmove"):
                parts = line.split()
                bestmove = parts[1] if len(parts) > 1 else "resign"
                # Prefer the last scored line whose PV starts with the chosen move.
                for info in reversed(infos):
                    if info.pv and info.pv[0] == bestmove:
                        return bestmove, info
                return bestmove, (infos[-1] if infos else None)
        raise AssertionError("unreachable: _lines ends only by raising")


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


class UsiEnginePlayer:
    """A USI engine answering each position with a fixed search limit.

    `options` are sent as `setoption` (only those the engine announces); `Threads`
    defaults to 1 so that a node-limited search gives the same move every run.
    `args` are command-line arguments for the engine (e.g. `maou-kit usi --model ...`).
    """

    def __init__(
        self,
        path: str | Path,
        limit: SearchLimit | None = None,
        options: Mapping[str, str | int] | None = None,
        name: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        args: Sequence[str] = (),
    ):
        self.limit = limit or SearchLimit(nodes=DEFAULT_NODES)
        if self.limit.movetime_ms is not None:
            timeout_s += self.limit.movetime_ms / 1000
        self._engine = _GuardedEngine(str(path), timeout_s, args)
        self._finalizer = weakref.finalize(self, _kill, self._engine.proc)
        try:
            self._configure(dict(options or {}))
        except BaseException:
            self.close()
            raise
        self.engine_name = self._engine.name
        self.name = name or f"{self.engine_name} ({self.limit.describe()})"

    @property
    def is_running(self) -> bool:
        """Whether the engine process is still alive."""
        return self._engine.proc.poll() is None

    def _configure(self, options: dict[str, str | int]) -> None:
        engine = self._engine
        unknown = sorted(set(options) - set(engine.options))
        if unknown:
            raise UsiEngineError(f"{engine.name} has no option(s) {', '.join(unknown)}")
        # Defaults only where the engine announces them: one thread keeps node-limited
        # searches reproducible; Fairy-Stockfish plays many variants and must play shogi.
        defaults = {"Threads": 1, "UCI_Variant": "shogi"}
        settings = {k: v for k, v in defaults.items() if k in engine.options} | options
        with engine.deadline("setoption/isready"):
            for option_name, value in settings.items():
                engine.setoption(option_name, value)
            engine.isready(listener=engine.guard)

    def new_game(self, seed: int) -> None:
        """Start a fresh game (the engine clears its hash); the seed is not used."""
        engine = self._engine
        with engine.deadline("isready/usinewgame"):
            engine.isready(listener=engine.guard)
            engine.usinewgame()

    def choose_move(
        self, board: cshogi.Board, start_sfen: str, usi_moves: Sequence[str]
    ) -> MoveDecision:
        engine = self._engine
        position = "startpos" if start_sfen == cshogi.STARTING_SFEN else f"sfen {start_sfen}"
        with engine.deadline("go"):
            engine.position(list(usi_moves), sfen=position)
            bestmove, info = engine.search(self.limit)
        if info is None:
            return MoveDecision(
                bestmove, pv=() if bestmove in (RESIGN, DECLARE_WIN) else (bestmove,)
            )
        pv = info.pv if info.pv and info.pv[0] == bestmove else (bestmove,)
        return MoveDecision(bestmove, score_cp=info.score_cp, mate_in=info.mate_in, pv=pv)

    def close(self) -> None:
        """Ask the engine to quit, kill it if it lingers; safe to call twice."""
        proc = getattr(self._engine, "proc", None)
        if proc is None or not self._finalizer.alive:
            return
        try:
            if proc.poll() is None:
                proc.stdin.write(b"quit\n")
                proc.stdin.flush()
                proc.wait(timeout=QUIT_GRACE_S)
        except (OSError, subprocess.TimeoutExpired):
            pass
        finally:
            self._finalizer()  # kills and reaps if still running, then detaches

    def __enter__(self) -> UsiEnginePlayer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
