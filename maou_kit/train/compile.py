"""Optional `torch.compile` of a model, falling back to eager when compiling fails.

`maybe_compile(model, enabled=True)` compiles the model's own `forward` in place and
returns the same module object. Nothing is wrapped, so `state_dict()` keys, the
parameter objects the optimizer holds and attributes such as `model.backbone` are
exactly those of the eager model; only calls go through the compiled forward.

Compilation is lazy: `torch.compile` itself rarely fails, the first call does
(no C compiler, an unsupported Python or operator). If `torch.compile` or a
compiled call raises, the same call is run eagerly; when the eager call succeeds,
the failure was the compiler's, so one `RuntimeWarning` naming the error is
emitted and the model stays eager for the rest of the run. When the eager call
raises too, the error is the model's or the input's and propagates unchanged.

The compiled forward lives on the instance, so `copy.deepcopy` or pickling the
whole module is not supported while compiled; checkpoints use `state_dict()`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import nn


def maybe_compile(model: nn.Module, enabled: bool) -> nn.Module:
    """`model` itself, its forward compiled with `torch.compile` when `enabled`.

    Falls back to eager (one warning) if compiling or running the compiled forward
    fails. Calling it again on an already compiled model changes nothing.
    """
    if not enabled or isinstance(model.__dict__.get("forward"), CompiledForward):
        return model
    model.forward = CompiledForward(model.forward)  # type: ignore[method-assign]
    return model


class CompiledForward:
    """A module's forward run through `torch.compile`, or eagerly once compiling failed."""

    def __init__(self, eager_forward: Callable[..., Any]) -> None:
        self.eager_forward = eager_forward
        self.fallback_reason: str | None = None
        self.compiled_forward: Callable[..., Any] | None
        try:
            self.compiled_forward = torch.compile(eager_forward)
        except Exception as error:  # any compiler failure means: run eager
            self.compiled_forward = None
            self._fall_back(error)

    @property
    def is_compiled(self) -> bool:
        """True while calls still go through the compiled forward."""
        return self.compiled_forward is not None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.compiled_forward is None:
            return self.eager_forward(*args, **kwargs)
        try:
            return self.compiled_forward(*args, **kwargs)
        except Exception as compile_error:  # judged by the eager rerun below
            outputs = self.eager_forward(*args, **kwargs)  # raises if the model is at fault
            self.compiled_forward = None
            self._fall_back(compile_error)
            return outputs

    def _fall_back(self, error: BaseException) -> None:
        lines = str(error).strip().splitlines()
        self.fallback_reason = f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
        warnings.warn(
            f"torch.compile failed ({self.fallback_reason}); running the model eagerly",
            RuntimeWarning,
            stacklevel=3,
        )
