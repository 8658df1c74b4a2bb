"""Confidence intervals for binomial proportions."""

from __future__ import annotations

import math

from scipy import stats as _scipy_stats

from riskscope.stats._estimate import Estimate


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return float(_scipy_stats.norm.ppf(0.5 + confidence / 2))


def _check_counts(successes: int, n: int) -> None:
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """Wilson score interval: good coverage for small n and rates near 0, unlike the Wald interval.

    With n = 0 nothing is known: the interval is [0, 1] and the point is NaN.
    """
    _check_counts(successes, n)
    if n == 0:
        return Estimate(math.nan, 0.0, 1.0, 0, "wilson", confidence)
    z = _z(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Estimate(p, low, high, n, "wilson", confidence)


def clopper_pearson_interval(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """Exact (Clopper–Pearson) interval: guaranteed coverage, conservative; what auditors ask for."""
    _check_counts(successes, n)
    if n == 0:
        return Estimate(math.nan, 0.0, 1.0, 0, "clopper-pearson", confidence)
    alpha = 1 - confidence
    low = 0.0 if successes == 0 else float(_scipy_stats.beta.ppf(alpha / 2, successes, n - successes + 1))
    high = 1.0 if successes == n else float(_scipy_stats.beta.ppf(1 - alpha / 2, successes + 1, n - successes))
    return Estimate(successes / n, low, high, n, "clopper-pearson", confidence)
