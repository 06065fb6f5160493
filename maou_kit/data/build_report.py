"""What a table build did, counted: nothing is dropped without a reason and a number."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class BuildReport:
    """Counts of a stage-table build (`counts`) and of rows left out, by reason (`skipped`)."""

    counts: dict[str, int] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        out = [f"{name}: {value}" for name, value in self.counts.items()]
        if self.skipped:
            out += [
                f"skipped ({reason}): {count}" for reason, count in sorted(self.skipped.items())
            ]
        else:
            out.append("skipped: 0")
        return out
