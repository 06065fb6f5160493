"""`maou-kit usi` through pipes: the handshake, positions with promotions and drops, `go` as
Black and as White, time limits, `go infinite` + `stop`, `quit`.

The network is a tiny Stage 3 checkpoint whose policy prefers fixed labels in every
position: 7g7f's label first (for White, in White's frame, that label is 3c3d), then
White's bishop drop on 8h (legal only once the position's captures and drops were
applied). A colour-frame mix-up in the move decoding plays another move.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import cshogi
import pytest
from _play_models import prefer_labels, save_model, tiny_model

from maou_kit.shogi import move_label

HIRATE = "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1"
# Black's bishop takes on 2b and promotes, the silver takes back, Black drops its bishop:
# White then holds a bishop and 8h is empty.
EXCHANGE_MOVES = "7g7f 3c3d 8h2b+ 3a2b B*5e"
READ_TIMEOUT_S = 30.0


def _after(moves: str) -> str:
    board = cshogi.Board()
    for usi in moves.split():
        board.push_usi(usi)
    return board.sfen()


class Engine:
    """A `maou-kit usi` subprocess with a line reader that never blocks the test forever."""

    def __init__(self, model: Path):
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "maou_kit.cli", "usi", "--model", str(model)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def send(self, command: str) -> None:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def read_until(self, prefix: str, timeout_s: float = READ_TIMEOUT_S) -> list[str]:
        """Lines up to and including the first that starts with `prefix`."""
        seen = []
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {prefix!r} within {timeout_s} s; got {seen}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            seen.append(line)
            if line.startswith(prefix):
                return seen

    def bestmove(self, position: str, go: str = "go byoyomi 1000") -> str:
        self.send(position)
        self.send(go)
        return self.read_until("bestmove")[-1].split()[1]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    preferred = [
        move_label(HIRATE, "7g7f"),
        move_label(_after(EXCHANGE_MOVES), "B*8h"),
    ]
    model = save_model(prefer_labels(tiny_model(), preferred), tmp_path_factory.mktemp("usi"))
    process = Engine(model)
    process.send("usi")
    process.handshake = process.read_until("usiok")
    yield process
    if process.proc.poll() is None:
        process.proc.kill()
        process.proc.wait()


def test_usi_handshake_names_the_engine_and_its_options(engine):
    assert any(line.startswith("id name ") for line in engine.handshake)
    assert any(line.startswith("id author ") for line in engine.handshake)
    assert any(line.startswith("option name Playouts type spin") for line in engine.handshake)
    engine.send("setoption name USI_Hash value 256")
    engine.send("isready")
    assert engine.read_until("readyok")[-1] == "readyok"


def test_go_as_black_plays_the_preferred_move(engine):
    engine.send("usinewgame")
    assert engine.bestmove("position startpos") == "7g7f"


def test_go_as_white_plays_the_preferred_label_in_whites_frame(engine):
    assert engine.bestmove("position startpos moves 2g2f") == "3c3d"


def test_position_sfen_with_promotion_capture_and_drop_moves(engine):
    # B*8h is legal only if 8h2b+, 3a2b and B*5e were all applied.
    assert engine.bestmove(f"position sfen {HIRATE} moves {EXCHANGE_MOVES}") == "B*8h"


def test_go_sends_info_with_score_and_pv_before_bestmove(engine):
    engine.send("position startpos")
    engine.send("go btime 10000 wtime 10000 binc 1000 winc 1000")
    lines = engine.read_until("bestmove")
    info = [line for line in lines if line.startswith("info ") and " pv " in line]
    assert info and " score cp " in info[-1] and info[-1].endswith("pv 7g7f")


def test_search_respects_byoyomi(engine):
    engine.send("setoption name Playouts value 1000000")
    engine.send("position startpos moves 2g2f")
    started = time.monotonic()
    engine.send("go btime 0 wtime 0 byoyomi 500")
    move = engine.read_until("bestmove")[-1].split()[1]
    engine.send("setoption name Playouts value 0")
    assert time.monotonic() - started < 2.0
    assert cshogi.Board(_after("2g2f")).is_legal(cshogi.Board(_after("2g2f")).move_from_usi(move))


def test_go_nodes_bounds_the_search(engine):
    engine.send("setoption name Playouts value 1000")
    engine.send("position startpos moves 2g2f")
    engine.send("go nodes 24")
    lines = engine.read_until("bestmove")
    engine.send("setoption name Playouts value 0")
    final = [line for line in lines if line.startswith("info depth")][-1]
    assert " nodes 24 " in final


def test_go_infinite_waits_for_stop(engine):
    engine.send("setoption name Playouts value 1000000")
    engine.send("position startpos")
    engine.send("go infinite")
    time.sleep(0.7)
    early = []
    while not engine.lines.empty():
        early.append(engine.lines.get())
    engine.send("stop")
    lines = engine.read_until("bestmove", timeout_s=5)
    engine.send("setoption name Playouts value 0")
    assert not any(line.startswith("bestmove") for line in early)
    searched = [line for line in early + lines if line.startswith("info depth")]
    assert searched and int(searched[-1].split(" nodes ")[1].split()[0]) > 1
    board = cshogi.Board()
    assert board.is_legal(board.move_from_usi(lines[-1].split()[1]))


def test_quit_ends_the_process(engine):
    engine.send("quit")
    assert engine.proc.wait(timeout=10) == 0


def test_missing_model_is_a_one_line_error(tmp_path, capsys):
    from maou_kit.cli import main

    assert main(["usi", "--model", str(tmp_path / "absent.pt")]) == 2
    assert "maou-kit usi: error: " in capsys.readouterr().err
