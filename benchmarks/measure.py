"""Row type, run options and timing helpers shared by every benchmark module."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass
class Row:
    """One figure beside its anchor: value / anchor_value = ratio, judged against `goal`.

    `status` is set when the figure could not be judged normally: "not available: <why>"
    for a row that could not run, or a note such as a missed gate ("gate missed: ...").
    """

    figure: str
    value: float
    unit: str
    anchor: str = ""
    anchor_value: float | None = None
    goal: str = ""
    spread: str = ""
    settings: dict = field(default_factory=dict)
    status: str = ""

    @property
    def ratio(self) -> float | None:
        if self.anchor_value in (None, 0):
            return None
        return self.value / self.anchor_value

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio}


@dataclass(frozen=True)
class Options:
    """Settings every row module receives: where it runs and at what model size.

    `amp` only matters on CUDA (the kit is fp32 on CPU); `preset` is the backbone size
    (`small` is the CPU default, `large` the upstream-sized GPU preset).
    """

    device: str = "cpu"
    preset: str = "small"
    amp: bool = True


def not_available(figure: str, unit: str, reason: str, goal: str = "") -> Row:
    """A row that could not be measured; the runner shows the reason instead of a verdict."""
    return Row(figure, float("nan"), unit, goal=goal, status=f"not available: {reason}")


def synchronize(device: str) -> None:
    """Wait for queued GPU work, so a timer read after this measures finished work."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def rates_interleaved(
    candidates: dict[str, Callable[[], object]], work: int, repetitions: int
) -> dict[str, list[float]]:
    """Rates (work / second) of each callable, measured alternately so drift hits all alike."""
    rates: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repetitions):
        for name, run in candidates.items():
            start = time.perf_counter()
            run()
            rates[name].append(work / (time.perf_counter() - start))
    return rates


def median_and_spread(values: list[float]) -> tuple[float, str]:
    """Median and the min..max range as text."""
    return statistics.median(values), f"{min(values):.4g}..{max(values):.4g} (n={len(values)})"
