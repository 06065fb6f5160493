"""Locks down seeding: one call seeds python, numpy and torch, and captured RNG states
restore every generator (and survive a weights-only checkpoint round trip)."""

from __future__ import annotations

import random

import numpy as np
import torch

from maou_kit.train.checkpoints import load_checkpoint, save_checkpoint
from maou_kit.train.seeding import rng_state, seed_everything, set_rng_state


def _draws() -> tuple[float, float, float]:
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_seed_everything_makes_all_generators_repeat():
    seed_everything(123)
    first = _draws()
    seed_everything(123)
    assert _draws() == first


def test_rng_state_round_trips_through_a_checkpoint(tmp_path):
    seed_everything(5)
    path = save_checkpoint({"kind": "rng", "rng": rng_state()}, tmp_path / "rng.pt")
    expected = _draws()
    seed_everything(99)
    set_rng_state(load_checkpoint(path)["rng"])
    assert _draws() == expected
