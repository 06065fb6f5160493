"""The mixed-precision path of the training loops, run on CPU.

The kit enables autocast on CUDA only, so on a machine without a GPU that path would
never run. These tests make `autocast_dtype` answer bf16 or fp16 on CPU (torch's CPU
autocast supports both, and `GradScaler("cpu")` exists) so the same loop code a GPU
run takes is exercised: reduced-precision forward passes, losses and metrics computed
from half-precision logits, and fp16's GradScaler inside the optimizer stepper and across a
resume.
"""

from __future__ import annotations

import pytest
import torch
from _train_loops import GATED_STAGES, gated_loop, policy_value_loop

from maou_kit.train import training_parts


@pytest.fixture
def cpu_autocast(monkeypatch):
    """Make the loops built after this call autocast to `dtype` on CPU, as they do on CUDA."""

    def use(dtype: torch.dtype) -> None:
        monkeypatch.setattr(
            training_parts,
            "autocast_dtype",
            lambda device, enabled=True: dtype if enabled else None,
        )

    return use


def _gated_loop(stage, rows: int = 16, batch_size: int = 8):
    return gated_loop(stage, rows=rows, batch_size=batch_size, max_epochs=2)


def _policy_value_loop():
    return policy_value_loop(rows=16, batch_size=8)


def _output_dtypes(module: torch.nn.Module) -> list[torch.dtype]:
    """The dtypes `module`'s forward returns from now on, recorded call by call."""
    seen: list[torch.dtype] = []
    module.register_forward_hook(lambda _module, _inputs, output: seen.append(output.dtype))
    return seen


@pytest.mark.parametrize("stage", list(GATED_STAGES))
def test_gated_stage_trains_with_bf16_logits(cpu_autocast, stage):
    cpu_autocast(torch.bfloat16)
    loop = _gated_loop(stage)
    dtypes = _output_dtypes(loop.model.head)
    metrics = loop.train_epoch()
    assert set(dtypes) == {torch.bfloat16}
    assert loop.parts.stepper.optimizer_steps == 2 and loop.parts.stepper.nonfinite_skips == 0
    assert torch.isfinite(torch.tensor(metrics["loss"]))


@pytest.mark.parametrize("stage", list(GATED_STAGES))
def test_gate_metrics_from_bf16_logits_match_fp32_within_rounding(cpu_autocast, stage):
    loop = _gated_loop(stage, rows=64, batch_size=64)
    for _ in range(3):
        loop.train_epoch()
    full = loop.evaluate()
    cpu_autocast(torch.bfloat16)
    half = _gated_loop(stage, rows=64, batch_size=64)
    half.model.load_state_dict(loop.model.state_dict())
    reduced = half.evaluate()
    assert reduced["loss"] == pytest.approx(full["loss"], rel=0.05)
    # Only logits within bf16 rounding of 0 may flip a prediction.
    for name in ("accuracy", "f1"):
        assert reduced[name] == pytest.approx(full[name], abs=0.01), name


def test_stage3_fp16_steps_through_a_grad_scaler_whose_state_is_saved(cpu_autocast):
    cpu_autocast(torch.float16)
    loop = _policy_value_loop()
    loop.train_epoch()
    scaler = loop.parts.stepper.scaler
    assert isinstance(scaler, torch.amp.GradScaler)
    assert loop.parts.stepper.optimizer_steps + loop.parts.stepper.overflow_skips == 2
    assert loop.parts.stepper.optimizer_steps >= 1
    assert loop.parts.state_dict()["scaler"]["scale"] == scaler.get_scale()


def test_stage3_validation_under_fp16_reports_finite_policy_and_value_metrics(cpu_autocast):
    cpu_autocast(torch.float16)
    loop = _policy_value_loop()
    loop.train_epoch()
    metrics = loop.validate()
    finite = {name: value for name, value in metrics.items() if value == value}
    assert {"loss", "top1_accuracy", "value_brier"} <= set(finite), metrics


def test_stage3_fp16_resume_restores_the_grad_scaler_state(cpu_autocast):
    cpu_autocast(torch.float16)
    trained = _policy_value_loop()
    trained.train_epoch()
    trained.parts.stepper.scaler.update(2.0**7)  # a scale no fresh scaler starts from
    resumed = _policy_value_loop()
    resumed.load_state_dict(trained.state_dict())
    assert resumed.parts.stepper.scaler.state_dict() == trained.parts.stepper.scaler.state_dict()
    assert resumed.parts.stepper.scaler.get_scale() != torch.amp.GradScaler("cpu").get_scale()
