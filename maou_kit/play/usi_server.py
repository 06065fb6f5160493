"""The USI protocol on a pair of text streams, for `maou-kit usi` (a GUI or match runner talks to it).

Commands: usi, isready, setoption, usinewgame, position (startpos / sfen, with moves),
go (btime wtime binc winc byoyomi movetime nodes depth infinite ponder mate), stop,
ponderhit, gameover, quit. Anything else is answered with an `info string` and ignored.

`go` starts a worker thread so that `stop` and `ponderhit` are read while it thinks;
the worker prints `info` lines (depth, seldepth, nodes, time, nps, score cp/mate, pv)
and exactly one `bestmove` per `go`. Under `infinite` and `ponder` the bestmove waits
for `stop` (or `ponderhit`, after which the normal time budget applies), as USI asks.
`go nodes N` bounds the search when playouts are on; policy-only answers at once.
If the worker fails, the error goes out as `info string` and the move is still legal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import TextIO

import cshogi

from maou_kit.play.net_evaluator import value_to_cp
from maou_kit.play.net_player import NetPlayer, Thought
from maou_kit.play.puct import UNBOUNDED_PLAYOUTS, SearchProgress
from maou_kit.play.time_control import GoCommand, parse_go
from maou_kit.selfplay.records import DECLARE_WIN, RESIGN

ENGINE_AUTHOR = "maou_kit"
MAX_PLAYOUTS_OPTION = 1_000_000
MAX_BATCH_OPTION = 1024


class UsiServer:
    """One engine session: reads commands with `run(lines)`, answers on `output`."""

    def __init__(self, player: NetPlayer, output: TextIO, name: str | None = None):
        self.player = player
        self.output = output
        self.name = name or player.name
        self.board = cshogi.Board()
        self._write_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._stop = threading.Event()
        self._ponderhit = threading.Event()
        self._ponderhit_at = 0.0

    # -- output ---------------------------------------------------------------
    def send(self, line: str) -> None:
        with self._write_lock:
            self.output.write(line + "\n")
            self.output.flush()

    # -- the command loop -----------------------------------------------------
    def run(self, lines: Iterable[str]) -> int:
        """Serve until `quit` or end of input; returns the exit code (0)."""
        try:
            for line in lines:
                if not self.handle(line.strip()):
                    break
        finally:
            self._finish_search()
        return 0

    def handle(self, line: str) -> bool:
        """Process one command line; False after `quit`."""
        if not line:
            return True
        command, *args = line.split()
        if command == "quit":
            return False
        handler = {
            "usi": self._usi,
            "isready": lambda _args: self.send("readyok"),
            "setoption": self._setoption,
            "usinewgame": lambda _args: None,
            "position": self._position,
            "go": self._go,
            "stop": lambda _args: self._finish_search(),
            "ponderhit": self._ponderhit_command,
            "gameover": lambda _args: self._finish_search(),
        }.get(command)
        if handler is None:
            self.send(f"info string unknown command {command}")
        else:
            handler(args)
        return True

    def _usi(self, _args: list[str]) -> None:
        self.send(f"id name {self.name}")
        self.send(f"id author {ENGINE_AUTHOR}")
        self.send(
            f"option name Playouts type spin default {self.player.playouts} "
            f"min 0 max {MAX_PLAYOUTS_OPTION}"
        )
        self.send(
            f"option name BatchSize type spin default {self.player.search.batch_size} "
            f"min 1 max {MAX_BATCH_OPTION}"
        )
        self.send("usiok")

    def _setoption(self, args: list[str]) -> None:
        # setoption name <id> [value <x>]; names may contain spaces.
        if "name" not in args:
            self.send("info string setoption without a name ignored")
            return
        rest = args[args.index("name") + 1 :]
        if "value" in rest:
            cut = rest.index("value")
            name, value = " ".join(rest[:cut]), " ".join(rest[cut + 1 :])
        else:
            name, value = " ".join(rest), ""
        limits = {"Playouts": (0, MAX_PLAYOUTS_OPTION), "BatchSize": (1, MAX_BATCH_OPTION)}
        if name not in limits:
            self.send(f"info string option {name} ignored")  # USI_Hash, USI_Ponder, ...
            return
        low, high = limits[name]
        try:
            number = int(value)
        except ValueError:
            self.send(f"info string option {name}: {value!r} is not an integer; ignored")
            return
        number = min(max(number, low), high)
        if name == "Playouts":
            self.player.playouts = number
        else:
            self.player.search.batch_size = number

    def _position(self, args: list[str]) -> None:
        self._finish_search()
        if args and args[0] == "startpos":
            sfen, rest = cshogi.STARTING_SFEN, args[1:]
        elif args and args[0] == "sfen":
            end = args.index("moves") if "moves" in args else len(args)
            sfen, rest = " ".join(args[1:end]), args[end:]
        else:
            self.send("info string position needs startpos or sfen")
            return
        try:
            board = cshogi.Board(sfen)  # the constructor raises on a bad SFEN (set_sfen aborts)
        except (RuntimeError, UnicodeEncodeError, ValueError) as error:
            self.send(f"info string bad sfen {sfen!r}: {error}")
            return
        for usi in rest[1:] if rest and rest[0] == "moves" else []:
            move = board.move_from_usi(usi)
            if not move or not board.is_legal(move):
                self.send(f"info string illegal move {usi} in position; ignoring it and the rest")
                break
            board.push(move)  # pushed, not set as a SFEN: the history serves repetition checks
        self.board = board

    # -- searching ------------------------------------------------------------
    def _go(self, args: list[str]) -> None:
        self._finish_search()
        try:
            go = parse_go(args)
        except ValueError as error:
            self.send(f"info string {error}; searching without it")
            go = GoCommand()
        self._stop.clear()
        self._ponderhit.clear()
        self._worker = threading.Thread(
            target=self._search, args=(self.board.copy(), go), name="maou_kit-usi-search"
        )
        self._worker.start()

    def _ponderhit_command(self, _args: list[str]) -> None:
        self._ponderhit_at = time.perf_counter()
        self._ponderhit.set()

    def _finish_search(self) -> None:
        """Stop a running search and wait for its bestmove (no-op when idle)."""
        if self._worker is not None:
            self._stop.set()
            self._worker.join()
            self._worker = None

    def _search(self, board: cshogi.Board, go: GoCommand) -> None:
        started = time.perf_counter()
        waits_for_stop = go.infinite or go.ponder
        deadline = None if waits_for_stop else _deadline(started, go.budget_s(board.turn))

        def should_stop() -> bool:
            nonlocal deadline
            if self._stop.is_set():
                return True
            if go.ponder and self._ponderhit.is_set() and deadline is None:
                deadline = _deadline(self._ponderhit_at, go.after_ponderhit().budget_s(board.turn))
            return deadline is not None and time.perf_counter() >= deadline

        if go.nodes is not None:
            playouts = go.nodes if self.player.playouts > 0 else 0
        elif waits_for_stop and self.player.playouts > 0:
            playouts = UNBOUNDED_PLAYOUTS
        else:
            playouts = self.player.playouts
        try:
            thought = self.player.think(
                board,
                playouts=playouts,
                should_stop=should_stop,
                on_progress=lambda progress: self._send_progress(progress),
            )
            self._send_final_info(thought, started)
            bestmove = thought.decision.move
        except Exception as error:  # a legal move all the same: the GUI must not hang
            self.send(f"info string search failed: {type(error).__name__}: {error}")
            legal = list(board.legal_moves)
            bestmove = cshogi.move_to_usi(legal[0]) if legal else RESIGN
        if go.ponder:
            # USI: a pondering engine answers only after ponderhit or stop.
            while not (self._stop.is_set() or self._ponderhit.is_set()):
                self._stop.wait(0.01)
        elif go.infinite:
            self._stop.wait()
        self.send(f"bestmove {bestmove}")

    def _send_progress(self, progress: SearchProgress) -> None:
        elapsed_ms = max(int(progress.elapsed_s * 1000), 1)
        pv = " ".join(cshogi.move_to_usi(move) for move in progress.pv)
        self.send(
            f"info depth {progress.max_depth} seldepth {progress.max_depth} "
            f"nodes {progress.playouts} time {elapsed_ms} "
            f"nps {progress.playouts * 1000 // elapsed_ms} "
            f"score cp {value_to_cp(progress.value)} pv {pv}"
        )

    def _send_final_info(self, thought: Thought, started: float) -> None:
        decision = thought.decision
        if decision.move == RESIGN:
            self.send("info string no legal move: resign")
            return
        if decision.move == DECLARE_WIN:
            self.send("info string entering-king declaration")
            return
        elapsed_ms = max(int((time.perf_counter() - started) * 1000), 1)
        score = (
            f"mate {decision.mate_in}"
            if decision.mate_in is not None
            else f"cp {decision.score_cp}"
        )
        self.send(
            f"info depth {max(thought.depth, 1)} seldepth {max(thought.depth, 1)} "
            f"nodes {max(thought.nodes, 1)} time {elapsed_ms} "
            f"nps {max(thought.nodes, 1) * 1000 // elapsed_ms} score {score} "
            f"pv {' '.join(decision.pv)}"
        )


def _deadline(start: float, budget_s: float | None) -> float | None:
    return None if budget_s is None else start + budget_s
