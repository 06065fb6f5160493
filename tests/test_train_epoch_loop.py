"""Locks down the shared epoch loop: its stop rules are pluggable, and the learning rate an
epoch reports is the mean of the rates its optimizer steps ran at (not the warmup's first)."""

from __future__ import annotations

import pytest
from _train_loops import gated_loop

from maou_kit.train import TrainingStage
from maou_kit.train.epoch_loop import EpochBudget, EpochLoop
from maou_kit.train.training_parts import current_lr


def _epoch_rates(loop, epochs: int) -> list[float]:
    seen = []
    loop.on_epoch_end = lambda stage, epoch, record: seen.append(record["lr"])
    loop.stop_rules = (EpochBudget(),)
    loop.run()
    assert len(seen) == epochs
    return seen


def test_epoch_lr_is_the_mean_rate_of_its_steps():
    settings = dict(rows=16, batch_size=4, max_epochs=2, warmup_ratio=0.25)
    loop = gated_loop(TrainingStage.REACHABLE_SQUARES, **settings)
    first_rate = current_lr(loop.parts.optimizer)
    reported = _epoch_rates(loop, epochs=2)
    schedule = gated_loop(TrainingStage.REACHABLE_SQUARES, **settings).parts
    rates = []
    for _ in range(8):  # 4 steps per epoch: the rates the scheduler gives each step
        rates.append(current_lr(schedule.optimizer))
        schedule.optimizer.step()
        schedule.scheduler.step()
    assert reported == pytest.approx([sum(rates[:4]) / 4, sum(rates[4:]) / 4])
    assert reported[0] > first_rate


def test_stop_rules_are_pluggable():
    loop = gated_loop(TrainingStage.REACHABLE_SQUARES, threshold=0.01, max_epochs=3)
    assert isinstance(loop, EpochLoop)
    assert loop.run().epochs_trained == 1  # the gate stops it at once
    budget_only = gated_loop(TrainingStage.REACHABLE_SQUARES, threshold=0.01, max_epochs=3)
    budget_only.stop_rules = (EpochBudget(),)
    assert budget_only.run().epochs_trained == 3
