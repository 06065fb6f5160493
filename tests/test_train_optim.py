"""Locks down optimisation: no weight decay on biases/norm weights, a schedule sized and
stepped in optimizer steps (also with gradient accumulation), accumulation of K
micro-batches equal to one big batch, the non-finite loss guard, fp32 on CPU, and the
stepper around a real GradScaler (CPU) on dropped windows and overflows."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from _train_tables import stage2_frame, tiny_backbone
from torch import nn

from maou_kit.data.datasets import Stage2Dataset
from maou_kit.data.loader import DataLoaderFactory
from maou_kit.model import LegalMovesHead
from maou_kit.train.engine import MultiLabelTask, run_epoch
from maou_kit.train.losses import WeightedBCEWithLogits
from maou_kit.train.models import MultiLabelModel
from maou_kit.train.optim import build_scheduler, parameter_groups, warmup_cosine_factor
from maou_kit.train.stages import StageConfig, TrainingStage
from maou_kit.train.stepper import (
    NonFiniteLossError,
    OptimizerStepper,
    autocast_dtype,
    make_grad_scaler,
)
from maou_kit.train.training_parts import build_training_parts

CPU = torch.device("cpu")


def _config(**overrides) -> StageConfig:
    settings = dict(
        stage=TrainingStage.LEGAL_MOVES, batch_size=2, max_epochs=2, learning_rate=1e-2,
        threshold=0.95, warmup_ratio=0.0,
    )  # fmt: skip
    settings.update(overrides)
    return StageConfig(**settings)


def _small_model() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 1))


def _stepper(model: nn.Module, **options) -> OptimizerStepper:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = build_scheduler(optimizer, total_steps=10, warmup_ratio=0.0)
    return OptimizerStepper(model, optimizer, scheduler, **options)


def test_biases_and_norm_weights_get_no_weight_decay():
    model = _small_model()
    decayed, not_decayed = parameter_groups(model, weight_decay=0.1)
    assert decayed["weight_decay"] == 0.1 and not_decayed["weight_decay"] == 0.0
    assert {id(p) for p in decayed["params"]} == {id(model[0].weight), id(model[2].weight)}
    norm_and_biases = {id(model[1].weight), id(model[1].bias), id(model[0].bias), id(model[2].bias)}
    assert {id(p) for p in not_decayed["params"]} == norm_and_biases


def test_warmup_is_linear_and_cosine_decays_to_zero():
    assert warmup_cosine_factor(0, total_steps=10, warmup_steps=4) == pytest.approx(0.25)
    assert warmup_cosine_factor(3, total_steps=10, warmup_steps=4) == pytest.approx(1.0)
    assert warmup_cosine_factor(4, total_steps=10, warmup_steps=4) == pytest.approx(1.0)
    assert warmup_cosine_factor(7, total_steps=10, warmup_steps=4) == pytest.approx(0.5)
    assert warmup_cosine_factor(10, total_steps=10, warmup_steps=4) == pytest.approx(0.0)


@pytest.fixture(scope="module")
def dataset() -> Stage2Dataset:
    return Stage2Dataset.from_frame(stage2_frame(14))


@pytest.mark.parametrize("accumulation", [1, 3])
def test_scheduler_steps_equal_optimizer_steps(dataset, accumulation):
    backbone = tiny_backbone()
    model = MultiLabelModel(backbone, LegalMovesHead(backbone.feature_dim))
    config = _config(gradient_accumulation_steps=accumulation)
    loader = DataLoaderFactory().train_loader(dataset, batch_size=2)  # 7 micro-batches
    parts = build_training_parts(model, config, len(loader), CPU)
    task = MultiLabelTask(WeightedBCEWithLogits())
    for _ in range(config.max_epochs):
        run_epoch(model, loader, task, CPU, stepper=parts.stepper)
    expected_steps = math.ceil(7 / accumulation) * config.max_epochs
    assert parts.stepper.optimizer_steps == expected_steps
    assert parts.scheduler.last_epoch == parts.stepper.optimizer_steps == parts.total_steps


def test_accumulating_four_quarter_batches_equals_one_full_batch():
    rows = Stage2Dataset.from_frame(stage2_frame(8))
    torch.manual_seed(0)
    backbone = tiny_backbone("mlp-mixer")
    reference = MultiLabelModel(backbone, LegalMovesHead(backbone.feature_dim))
    accumulated = copy.deepcopy(reference)
    initial = copy.deepcopy(reference.state_dict())
    task = MultiLabelTask(WeightedBCEWithLogits())
    factory = DataLoaderFactory()
    runs = ((reference, 8, 1), (accumulated, 2, 4))
    for model, batch_size, steps in runs:
        # SGD: the update is the averaged gradient itself (Adam's first step is ~lr*sign(g),
        # which turns float rounding in near-zero gradients into visible differences).
        config = _config(
            gradient_accumulation_steps=steps, max_epochs=1, optimizer="sgd", momentum=0.0,
            learning_rate=0.5,
        )  # fmt: skip
        loader = factory.eval_loader(rows, batch_size)  # same rows, same order
        parts = build_training_parts(model, config, len(loader), CPU)
        run_epoch(model, loader, task, CPU, stepper=parts.stepper)
        assert parts.stepper.optimizer_steps == 1
    for (name, expected), actual in zip(
        reference.state_dict().items(), accumulated.state_dict().values(), strict=True
    ):
        assert torch.allclose(expected, actual, atol=1e-6), name
    trained = reference.state_dict()
    assert any(not torch.allclose(initial[name], trained[name]) for name in initial)


def test_nonfinite_loss_skips_the_step_and_the_schedule():
    model = _small_model()
    stepper = _stepper(model)
    before = copy.deepcopy(model.state_dict())
    loss = model(torch.ones(2, 3)).sum() * float("nan")
    stepper.backward(loss)
    assert stepper.nonfinite_skips == 1 and stepper.optimizer_steps == 0
    assert stepper.scheduler.last_epoch == 0
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def test_consecutive_nonfinite_losses_raise_a_clear_error():
    model = _small_model()
    stepper = _stepper(model, max_consecutive_nonfinite=3)
    for _ in range(2):
        stepper.backward(model(torch.ones(1, 3)).sum() * float("inf"))
    with pytest.raises(NonFiniteLossError, match="3 optimizer steps in a row"):
        stepper.backward(model(torch.ones(1, 3)).sum() * float("inf"))


def test_a_finite_step_resets_the_nonfinite_count():
    model = _small_model()
    stepper = _stepper(model, max_consecutive_nonfinite=2)
    stepper.backward(model(torch.ones(1, 3)).sum() * float("nan"))
    stepper.backward(model(torch.ones(1, 3)).sum())
    stepper.backward(model(torch.ones(1, 3)).sum() * float("nan"))
    assert stepper.nonfinite_skips == 2 and stepper.optimizer_steps == 1


def test_cpu_runs_in_fp32_without_a_grad_scaler():
    assert autocast_dtype(CPU, enabled=True) is None
    assert make_grad_scaler(None, "cpu") is None


class _RecordingScaler:
    """Stands in for torch.amp.GradScaler (CUDA-only) and records what the stepper calls."""

    def __init__(self, scale_after_update: float = 2.0**16) -> None:
        self.calls: list[str] = []
        self.scale_value = 2.0**16
        self.scale_after_update = scale_after_update

    def scale(self, loss):
        self.calls.append("scale")
        return loss

    def unscale_(self, optimizer) -> None:
        self.calls.append("unscale_")

    def step(self, optimizer) -> None:
        self.calls.append("step")

    def update(self) -> None:
        self.calls.append("update")
        self.scale_value = self.scale_after_update

    def get_scale(self) -> float:
        return self.scale_value


def test_a_dropped_nonfinite_window_never_updates_the_grad_scaler():
    model = _small_model()
    scaler = _RecordingScaler()
    stepper = _stepper(model, scaler=scaler)
    stepper.backward(model(torch.ones(1, 3)).sum() * float("nan"))
    assert scaler.calls == ["scale"]
    assert stepper.nonfinite_skips == 1 and stepper.scheduler.last_epoch == 0


def test_a_step_the_grad_scaler_skipped_does_not_step_the_schedule():
    model = _small_model()
    scaler = _RecordingScaler(scale_after_update=2.0**15)  # lowered scale: inf gradients
    stepper = _stepper(model, scaler=scaler)
    stepper.backward(model(torch.ones(1, 3)).sum())
    assert scaler.calls == ["scale", "unscale_", "step", "update"]
    assert stepper.overflow_skips == 1
    assert stepper.optimizer_steps == 0 and stepper.scheduler.last_epoch == 0


def test_a_dropped_nonfinite_window_leaves_a_real_grad_scaler_unchanged():
    model = _small_model()
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=1)
    stepper = _stepper(model, scaler=scaler)
    stepper.backward(model(torch.ones(1, 3)).sum() * float("nan"))
    assert scaler.get_scale() == 2.0**10 and scaler.state_dict()["_growth_tracker"] == 0
    assert stepper.optimizer_steps == 0 and stepper.scheduler.last_epoch == 0


def test_a_real_grad_scaler_overflow_skips_the_step_and_the_schedule():
    model = _small_model()
    before = copy.deepcopy(model.state_dict())
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**16)
    stepper = _stepper(model, scaler=scaler)
    # A finite loss whose scaled gradients (1e34 x 2^16) overflow fp32.
    stepper.backward((model[0].weight * 1e34).sum())
    assert scaler.get_scale() == 2.0**15 and stepper.overflow_skips == 1
    assert stepper.optimizer_steps == 0 and stepper.scheduler.last_epoch == 0
    assert all(torch.equal(before[name], value) for name, value in model.state_dict().items())
