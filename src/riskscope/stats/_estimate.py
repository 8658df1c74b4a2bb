"""Statistics are value objects: a point estimate always travels with its interval and method."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Estimate:
    """A proportion (or difference) with its confidence interval.

    ``n`` is the number of assessed items behind it (unassessed items never enter ``n``).
    """

    point: float
    low: float
    high: float
    n: int
    method: str
    confidence: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2
