"""Turning a match engine SPEC into a `maou_kit.selfplay.Player`.

Specs:
- `net:CHECKPOINT`: the kit's network in this process (`NetPlayer`); nodes = PUCT
  playouts (policy only when none), movetime bounds its search;
- `net-usi:CHECKPOINT`: the same network as a `maou-kit usi` subprocess, driven over
  the USI pipes like any engine (tests the engine end to end);
- `builtin[:TEMPERATURE]`: the built-in material player (temperature in centipawns);
- `random`: the uniformly random legal mover;
- anything else: a USI engine name or path (`fairy-stockfish`, searched on PATH and
  /usr/games), searched with `go nodes N` or `go movetime MS` (default nodes 3000).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from maou_kit.play.puct import UNBOUNDED_PLAYOUTS
from maou_kit.play.random_player import RandomPlayer
from maou_kit.selfplay.engine_lookup import find_engine
from maou_kit.selfplay.records import Player
from maou_kit.selfplay.simple_player import DEFAULT_TEMPERATURE_CP, SimplePlayer
from maou_kit.selfplay.usi_engine import DEFAULT_NODES, SearchLimit, UsiEnginePlayer

NET_PREFIX = "net:"
NET_USI_PREFIX = "net-usi:"
BUILTIN = "builtin"
RANDOM = "random"


@dataclass(frozen=True)
class EngineSettings:
    """How hard one engine may think: nodes (net: playouts) or movetime in ms."""

    nodes: int | None = None
    movetime_ms: int | None = None

    def check(self, option: str) -> None:
        if self.nodes is not None and self.movetime_ms is not None:
            raise ValueError(f"{option}: give nodes or movetime, not both")
        for name, value in (("nodes", self.nodes), ("movetime", self.movetime_ms)):
            if value is not None and value <= 0:
                raise ValueError(f"{option}: {name} must be positive, got {value}")


def _checkpoint(spec: str, prefix: str, option: str) -> Path:
    path = Path(spec[len(prefix) :]).expanduser()
    if not str(path) or not path.exists():
        raise FileNotFoundError(f"{option}: no such checkpoint or run directory {str(path)!r}")
    return path.resolve()  # the usi subprocess runs in another folder


def make_player(spec: str, settings: EngineSettings, option: str) -> Player:
    """The player that `spec` names; ValueError / FileNotFoundError name `option`."""
    settings.check(option)
    if spec == RANDOM or spec == BUILTIN or spec.startswith(BUILTIN + ":"):
        if settings != EngineSettings():
            raise ValueError(f"{option}: {spec} takes no nodes or movetime (it does not search)")
    if spec == RANDOM:
        return RandomPlayer()
    if spec == BUILTIN or spec.startswith(BUILTIN + ":"):
        text = spec[len(BUILTIN) + 1 :]
        try:
            temperature = float(text) if text else DEFAULT_TEMPERATURE_CP
        except ValueError as error:
            raise ValueError(f"{option}: temperature {text!r} is not a number") from error
        if temperature < 0 or not math.isfinite(temperature):
            raise ValueError(f"{option}: temperature must be a finite number >= 0")
        return SimplePlayer(temperature)
    if spec.startswith(NET_PREFIX):
        from maou_kit.play.net_evaluator import NetEvaluator
        from maou_kit.play.net_player import NetPlayer

        path = _checkpoint(spec, NET_PREFIX, option)
        playouts = settings.nodes or (UNBOUNDED_PLAYOUTS if settings.movetime_ms else 0)
        return NetPlayer(
            NetEvaluator.from_checkpoint(path), playouts=playouts, movetime_ms=settings.movetime_ms
        )
    if spec.startswith(NET_USI_PREFIX):
        path = _checkpoint(spec, NET_USI_PREFIX, option)
        # The subprocess searches only when it has playouts; `go nodes` then bounds them.
        playouts = settings.nodes or (UNBOUNDED_PLAYOUTS if settings.movetime_ms else 0)
        if settings.movetime_ms:
            limit = SearchLimit(movetime_ms=settings.movetime_ms)
        else:
            limit = SearchLimit(nodes=settings.nodes or 1)  # `go nodes 1`: policy only
        args = ["-m", "maou_kit.cli", "usi", "--model", str(path), "--playouts", str(playouts)]
        return UsiEnginePlayer(sys.executable, limit, args=args)
    executable = find_engine(spec)
    if executable is None:
        raise ValueError(
            f"{option}: {spec!r} is not net:CHECKPOINT, net-usi:CHECKPOINT, builtin[:T], random, "
            "or an executable USI engine (searched PATH, /usr/games, /usr/local/games)"
        )
    if settings.movetime_ms:
        limit = SearchLimit(movetime_ms=settings.movetime_ms)
    else:
        limit = SearchLimit(nodes=settings.nodes or DEFAULT_NODES)
    return UsiEnginePlayer(executable, limit)
