"""One place that seeds, captures and restores every random number generator a run uses.

The global generators (python, numpy, torch, CUDA) and a DataLoader's own generator,
which draws its shuffle order, its worker seeds and a streaming dataset's epoch key.

RNG states are stored as plain lists and tensors (no numpy objects), so a
checkpoint that carries them still loads with `torch.load(weights_only=True)`.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed python's `random`, numpy's global generator and torch (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device


def rng_state() -> dict[str, Any]:
    """The current states of python, numpy and torch (and CUDA when present) generators."""
    version, internal, gauss = random.getstate()
    kind, keys, position, has_gauss, cached_gauss = np.random.get_state()
    state: dict[str, Any] = {
        "python": [version, list(internal), gauss],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached_gauss],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore generator states captured by `rng_state`."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, cached_gauss = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached_gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def stage_seed(seed: int, stage: int) -> int:
    """The seed a stage starts from, derived from the run seed and the stage number.

    Each stage reseeds before it builds its head, so a stage's run depends only on the
    run seed and the weights it starts from, not on how many random numbers earlier
    stages drew: a resumed run that starts Stage 3 afresh draws what an uninterrupted
    run drew there.
    """
    entropy = [seed % 2**64, stage]
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0] >> 1)


def loader_generator_state(loader: Any) -> torch.Tensor | None:
    """The state of a DataLoader's generator (shuffle order, worker seeds, streaming epoch key)."""
    generator = getattr(loader, "generator", None)
    return generator.get_state() if generator is not None else None


def set_loader_generator_state(loader: Any, state: torch.Tensor | None) -> None:
    """Restore a state from `loader_generator_state`, so the next epochs see the same orders."""
    generator = getattr(loader, "generator", None)
    if generator is not None and state is not None:
        generator.set_state(state)
