"""From a loss to a parameter update: accumulation, mixed precision, clipping, non-finite guard.

`OptimizerStepper.backward(loss)` is called once per micro-batch. It adds
`loss / K` to the gradients and, every K micro-batches (and once more at the end
of an epoch for a partial window, via `flush`), makes one optimizer step:

1. If any loss of the window was non-finite, the window is dropped: gradients are
   zeroed, nothing (not the optimizer, not the GradScaler, not the schedule) is
   stepped, and the skip is counted. After `max_consecutive_nonfinite` dropped
   windows in a row, `NonFiniteLossError` is raised.
2. Otherwise gradients are unscaled (fp16), clipped to `grad_clip_norm`, and the
   optimizer steps. Without a GradScaler a non-finite gradient norm also drops the
   window. With a GradScaler an overflow makes `scaler.step` skip, and the
   schedule is not stepped for that window either.
3. The scheduler steps once per optimizer step that happened, so
   `scheduler.last_epoch == optimizer_steps` always.

Mixed precision is CUDA-only: bf16 autocast where the GPU supports it (no scaler
needed), else fp16 autocast with a GradScaler. On CPU everything stays fp32.

Host syncs: one per optimizer step (reading the window's finiteness), none per
micro-batch.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler


class NonFiniteLossError(RuntimeError):
    """Too many optimizer steps in a row had a non-finite loss or gradient."""


def autocast_dtype(device: torch.device, enabled: bool = True) -> torch.dtype | None:
    """The autocast dtype for `device`: bf16/fp16 on CUDA when enabled, else None (fp32)."""
    if not enabled or device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def make_grad_scaler(dtype: torch.dtype | None, device_type: str) -> torch.amp.GradScaler | None:
    """A GradScaler for fp16 autocast on `device_type`; bf16 and fp32 need none."""
    return torch.amp.GradScaler(device_type) if dtype == torch.float16 else None


class OptimizerStepper:
    """Gradient accumulation + clipping + AMP scaling + non-finite guard around an optimizer."""

    def __init__(
        self,
        model: nn.Module,
        optimizer: Optimizer,
        scheduler: LRScheduler,
        accumulation_steps: int = 1,
        grad_clip_norm: float | None = 1.0,
        scaler: torch.amp.GradScaler | None = None,
        max_consecutive_nonfinite: int = 5,
    ) -> None:
        if accumulation_steps < 1:
            raise ValueError(f"accumulation_steps must be >= 1, got {accumulation_steps}")
        self.parameters = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.accumulation_steps = accumulation_steps
        self.grad_clip_norm = grad_clip_norm
        self.scaler = scaler
        self.max_consecutive_nonfinite = max_consecutive_nonfinite
        self.optimizer_steps = 0
        self.lr_sum = 0.0  # sum of the rates the optimizer steps ran at (epoch means)
        self.nonfinite_skips = 0
        self.overflow_skips = 0  # fp16 windows GradScaler skipped (scale lowered)
        self._consecutive_nonfinite = 0
        self._pending = 0
        self._window_finite: Tensor | None = None

    def backward(self, loss: Tensor) -> None:
        """Accumulate the gradients of one micro-batch; step when the window is full."""
        finite = torch.isfinite(loss.detach())
        self._window_finite = (
            finite if self._window_finite is None else self._window_finite & finite
        )
        scaled = loss / self.accumulation_steps
        (self.scaler.scale(scaled) if self.scaler is not None else scaled).backward()
        self._pending += 1
        if self._pending == self.accumulation_steps:
            self.step()

    def flush(self) -> None:
        """Step on a partial window left at the end of an epoch."""
        if self._pending:
            self.step()

    def step(self) -> None:
        window_finite = self._window_finite
        self._pending = 0
        self._window_finite = None
        if window_finite is None:
            return
        if self.scaler is not None:
            stepped = self._scaled_step(window_finite)
        else:
            stepped = self._plain_step(window_finite)
        self.optimizer.zero_grad(set_to_none=True)
        if stepped:
            self.lr_sum += float(self.optimizer.param_groups[0]["lr"])
            self.scheduler.step()
            self.optimizer_steps += 1

    def _plain_step(self, window_finite: Tensor) -> bool:
        norm = self._clip()
        # One host sync per optimizer step: is the loss and the gradient finite?
        if not bool((window_finite & torch.isfinite(norm)).item()):
            self._skip_nonfinite()
            return False
        self.optimizer.step()
        self._consecutive_nonfinite = 0
        return True

    def _scaled_step(self, window_finite: Tensor) -> bool:
        if not bool(window_finite.item()):
            # No unscale_/step/update: updating the scaler after a dropped window
            # would change the scale on information it never saw.
            self._skip_nonfinite()
            return False
        scaler = self.scaler
        scaler.unscale_(self.optimizer)
        self._clip()
        scale_before = scaler.get_scale()
        scaler.step(self.optimizer)
        scaler.update()
        self._consecutive_nonfinite = 0
        if scaler.get_scale() < scale_before:  # inf/nan gradients: scaler skipped the step
            self.overflow_skips += 1
            return False
        return True

    def _clip(self) -> Tensor:
        max_norm = self.grad_clip_norm if self.grad_clip_norm is not None else float("inf")
        return torch.nn.utils.clip_grad_norm_(self.parameters, max_norm)

    def _skip_nonfinite(self) -> None:
        self.nonfinite_skips += 1
        self._consecutive_nonfinite += 1
        if self._consecutive_nonfinite >= self.max_consecutive_nonfinite:
            raise NonFiniteLossError(
                f"{self._consecutive_nonfinite} optimizer steps in a row had a non-finite loss "
                f"or gradient (learning rate {self.optimizer.param_groups[0]['lr']:.3g}); "
                "lower the learning rate or check the data for NaN/inf targets"
            )
