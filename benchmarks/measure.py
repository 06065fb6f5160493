"""Row type and timing helpers shared by every benchmark module."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass
class Row:
    """One figure beside its anchor: value / anchor_value = ratio, judged against `goal`."""

    figure: str
    value: float
    unit: str
    anchor: str = ""
    anchor_value: float | None = None
    goal: str = ""
    spread: str = ""
    settings: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.anchor_value in (None, 0):
            return None
        return self.value / self.anchor_value

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio}


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
