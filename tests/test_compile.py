"""Locks down optional torch.compile: off changes nothing; on keeps the module, its
parameters and state_dict keys, computes what eager computes, and falls back to
eager with one warning when the compiler fails."""

from __future__ import annotations

import shutil
import warnings

import pytest
import torch
from torch import nn

from maou_kit.train.compile import maybe_compile


def tiny_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))


class PassThroughCompile:
    """Stands in for torch.compile: returns the function itself and counts calls through it."""

    def __init__(self) -> None:
        self.compiles = 0
        self.calls = 0

    def __call__(self, function, **options):
        self.compiles += 1

        def compiled(*args, **kwargs):
            self.calls += 1
            return function(*args, **kwargs)

        return compiled


def broken_compile(message: str):
    """A torch.compile whose compiled function raises on every call, counting the calls."""

    def compile_(function, **options):
        def compiled(*args, **kwargs):
            compiled.calls += 1
            raise RuntimeError(message)

        compiled.calls = 0
        compile_.compiled = compiled
        return compiled

    return compile_


def test_disabled_returns_the_module_untouched():
    model = tiny_model()
    assert maybe_compile(model, enabled=False) is model
    assert "forward" not in model.__dict__


def test_enabled_keeps_the_module_parameters_and_state_dict_keys(monkeypatch):
    monkeypatch.setattr(torch, "compile", PassThroughCompile())
    model = tiny_model()
    parameters = list(model.parameters())
    keys = list(model.state_dict())
    compiled = maybe_compile(model, enabled=True)
    assert compiled is model
    assert all(a is b for a, b in zip(compiled.parameters(), parameters, strict=True))
    assert list(compiled.state_dict()) == keys


def test_enabled_calls_go_through_the_compiled_forward(monkeypatch):
    fake = PassThroughCompile()
    monkeypatch.setattr(torch, "compile", fake)
    model = maybe_compile(tiny_model(), enabled=True)
    model(torch.randn(3, 8))
    model(torch.randn(3, 8))
    assert (fake.compiles, fake.calls) == (1, 2)


def test_compiling_twice_compiles_once(monkeypatch):
    fake = PassThroughCompile()
    monkeypatch.setattr(torch, "compile", fake)
    model = maybe_compile(maybe_compile(tiny_model(), enabled=True), enabled=True)
    model(torch.randn(3, 8))
    assert (fake.compiles, fake.calls) == (1, 1)


@pytest.mark.skipif(shutil.which("g++") is None, reason="inductor on CPU needs a C++ compiler")
def test_real_compile_matches_eager_outputs_and_gradients():
    eager, compiled = tiny_model(), maybe_compile(tiny_model(), enabled=True)
    inputs = torch.randn(5, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a fallback would hide a broken compile
        compiled_out = compiled(inputs)
    eager_out = eager(inputs)
    torch.testing.assert_close(compiled_out, eager_out)
    compiled_out.square().sum().backward()
    eager_out.square().sum().backward()
    for got, want in zip(compiled.parameters(), eager.parameters(), strict=True):
        torch.testing.assert_close(got.grad, want.grad)
    assert compiled.forward.is_compiled


def test_failing_compiled_call_falls_back_to_eager_with_a_warning(monkeypatch):
    monkeypatch.setattr(torch, "compile", broken_compile("no backend for this op"))
    model = maybe_compile(tiny_model(), enabled=True)
    inputs = torch.randn(4, 8)
    with pytest.warns(RuntimeWarning, match="RuntimeError: no backend for this op"):
        outputs = model(inputs)
    torch.testing.assert_close(outputs, tiny_model()(inputs))


def test_after_a_fallback_the_compiled_forward_is_not_tried_again(monkeypatch):
    compile_ = broken_compile("boom")
    monkeypatch.setattr(torch, "compile", compile_)
    model = maybe_compile(tiny_model(), enabled=True)
    with pytest.warns(RuntimeWarning):
        model(torch.randn(4, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model(torch.randn(4, 8))
    assert compile_.compiled.calls == 1
    assert not model.forward.is_compiled


def test_torch_compile_raising_falls_back_to_eager_with_a_warning(monkeypatch):
    def unavailable(function, **options):
        raise RuntimeError("Dynamo is not supported on this Python")

    monkeypatch.setattr(torch, "compile", unavailable)
    with pytest.warns(RuntimeWarning, match="Dynamo is not supported"):
        model = maybe_compile(tiny_model(), enabled=True)
    inputs = torch.randn(2, 8)
    torch.testing.assert_close(model(inputs), tiny_model()(inputs))


def test_an_error_of_the_model_itself_propagates_and_keeps_the_compiled_forward(monkeypatch):
    monkeypatch.setattr(torch, "compile", PassThroughCompile())
    model = maybe_compile(tiny_model(), enabled=True)
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        model(torch.randn(2, 5))
    assert model.forward.is_compiled
