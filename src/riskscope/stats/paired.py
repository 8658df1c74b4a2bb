"""Paired comparison of two runs on the same items: exact McNemar, Newcombe interval, Holm.

Only discordant pairs carry evidence of a change, so an unpaired two-proportion test on the same
prompts throws away power and misstates the variance; these functions use the 2x2 paired table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats as _scipy_stats

from riskscope.stats._estimate import Estimate
from riskscope.stats.intervals import wilson_interval

__all__ = [
    "PairedComparison",
    "PairedTable",
    "compare_paired",
    "holm_adjust",
    "mcnemar_exact",
    "paired_difference_interval",
]


@dataclass(frozen=True)
class PairedTable:
    """Items assessed in both runs: ``only_a`` unsafe in A but safe in B, ``only_b`` the reverse."""

    both_unsafe: int
    only_a: int
    only_b: int
    both_safe: int

    def __post_init__(self) -> None:
        if min(self.both_unsafe, self.only_a, self.only_b, self.both_safe) < 0:
            raise ValueError(f"paired table counts must be >= 0, got {self}")

    @property
    def n(self) -> int:
        return self.both_unsafe + self.only_a + self.only_b + self.both_safe

    def __add__(self, other: PairedTable) -> PairedTable:
        return PairedTable(
            self.both_unsafe + other.both_unsafe,
            self.only_a + other.only_a,
            self.only_b + other.only_b,
            self.both_safe + other.both_safe,
        )


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value: a binomial test of the discordant pairs against 1/2."""
    if only_a < 0 or only_b < 0:
        raise ValueError("discordant counts must be >= 0")
    discordant = only_a + only_b
    if discordant == 0:
        return 1.0
    return float(min(1.0, 2 * _scipy_stats.binom.cdf(min(only_a, only_b), discordant, 0.5)))


def paired_difference_interval(table: PairedTable, confidence: float = 0.95) -> Estimate:
    """Rate of B minus rate of A with Newcombe's (1998, method 10) hybrid score interval.

    It combines the two marginal Wilson intervals with the correlation of the pairs, so it stays
    inside [-1, 1], is not degenerate at 0 discordant pairs, and has near-nominal coverage.
    """
    n = table.n
    if n == 0:
        return Estimate(math.nan, -1.0, 1.0, 0, "newcombe-paired", confidence)
    a, b, c, d = table.both_unsafe, table.only_a, table.only_b, table.both_safe
    rate_b = (a + c) / n
    rate_a = (a + b) / n
    diff = rate_b - rate_a
    wb = wilson_interval(a + c, n, confidence)
    wa = wilson_interval(a + b, n, confidence)
    denominator = (a + b) * (c + d) * (a + c) * (b + d)
    phi = (a * d - b * c) / math.sqrt(denominator) if denominator > 0 else 0.0
    lower_gap = (rate_b - wb.low) ** 2 - 2 * phi * (rate_b - wb.low) * (wa.high - rate_a) + (wa.high - rate_a) ** 2
    upper_gap = (wb.high - rate_b) ** 2 - 2 * phi * (wb.high - rate_b) * (rate_a - wa.low) + (rate_a - wa.low) ** 2
    low = max(-1.0, diff - math.sqrt(max(0.0, lower_gap)))
    high = min(1.0, diff + math.sqrt(max(0.0, upper_gap)))
    return Estimate(diff, min(low, diff), max(high, diff), n, "newcombe-paired", confidence)


def holm_adjust(p_values: Mapping[str, float]) -> dict[str, float]:
    """Holm step-down adjusted p-values: controls the family-wise error across hazards."""
    ordered = sorted(p_values.items(), key=lambda kv: kv[1])
    m = len(ordered)
    adjusted: dict[str, float] = {}
    running = 0.0
    for rank, (key, p) in enumerate(ordered):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p-value for {key!r} must be in [0, 1], got {p}")
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[key] = running
    return adjusted


@dataclass(frozen=True)
class PairedComparison:
    """One slice (a hazard or everything) of a paired comparison; difference = B - A."""

    key: str
    table: PairedTable
    rate_a: float
    rate_b: float
    difference: Estimate
    p_value: float
    p_adjusted: float
    significant: bool
    verdict: str  # "regression", "improvement" or "no significant change"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("rate_a", "rate_b"):
            if math.isnan(data[key]):
                data[key] = None
        if math.isnan(data["difference"]["point"]):
            data["difference"]["point"] = None
        return data


def _comparison(key: str, table: PairedTable, p_adjusted: float, alpha: float, confidence: float) -> PairedComparison:
    n = table.n
    rate_a = (table.both_unsafe + table.only_a) / n if n else math.nan
    rate_b = (table.both_unsafe + table.only_b) / n if n else math.nan
    significant = p_adjusted < alpha
    if not significant:
        verdict = "no significant change"
    else:
        verdict = "regression" if table.only_b > table.only_a else "improvement"
    return PairedComparison(
        key,
        table,
        rate_a,
        rate_b,
        paired_difference_interval(table, confidence),
        mcnemar_exact(table.only_a, table.only_b),
        p_adjusted,
        significant,
        verdict,
    )


def compare_paired(
    tables: Mapping[str, PairedTable], *, alpha: float = 0.05, confidence: float = 0.95
) -> tuple[PairedComparison, list[PairedComparison]]:
    """Overall (pooled table, its own test) and per-key comparisons, Holm-adjusted across keys."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    raw = {key: mcnemar_exact(t.only_a, t.only_b) for key, t in tables.items()}
    adjusted = holm_adjust(raw)
    per_key = [_comparison(key, tables[key], adjusted[key], alpha, confidence) for key in sorted(tables)]
    pooled = PairedTable(0, 0, 0, 0)
    for table in tables.values():
        pooled = pooled + table
    overall = _comparison("all", pooled, mcnemar_exact(pooled.only_a, pooled.only_b), alpha, confidence)
    return overall, per_key
