"""Early warning across runs: sequential change detection on a hazard's unsafe rate.

A monitored endpoint is re-evaluated run after run; the question is whether its unsafe rate has
risen, asked after every run without the false alarms of re-testing each time. riskscope uses a
binomial CUSUM (Page 1954; Reynolds & Stoumbos 1999 for Bernoulli data): the in-control rate p0 is
estimated from the first ``baseline`` runs, the alternative is the rate whose *odds* are
``odds_ratio`` times p0's, each run adds its log-likelihood ratio

    LLR = x ln(p1/p0) + (n - x) ln((1 - p1)/(1 - p0)),  S_t = max(0, S_{t-1} + LLR_t),

and an alarm fires when S_t exceeds h. h is calibrated by simulation under p0 with the series'
own per-run sample sizes, so the probability of *any* false alarm over the monitored runs is at
most ``false_alarm`` (the stated rate; ``tests/stats/test_trend.py`` checks it by simulation).
p0 itself is estimated, which makes real false alarms somewhat more frequent than stated; the
baseline size is reported with every result.

Beside the alarm, the indicators of critical slowing down (rising variance and lag-1
autocorrelation of the per-run rates, as early-warning-signal reviews use) are reported, with
Kendall's tau of each over a rolling window, when a series has at least 8 monitored runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import kendalltau

__all__ = ["CusumResult", "binomial_cusum", "cusum_threshold", "early_warning_indicators"]


def _p1(p0: float, odds_ratio: float) -> float:
    odds = p0 / (1 - p0) * odds_ratio
    return odds / (1 + odds)


def _llr(x: np.ndarray, n: np.ndarray, p0: float, p1: float) -> np.ndarray:
    out: np.ndarray = x * math.log(p1 / p0) + (n - x) * math.log((1 - p1) / (1 - p0))
    return out


def cusum_threshold(
    p0: float,
    sizes: Sequence[int],
    *,
    odds_ratio: float = 2.0,
    false_alarm: float = 0.05,
    sims: int = 20_000,
    seed: int = 0,
) -> float:
    """The h for which P(any alarm over runs of these sizes | rate p0) is ``false_alarm`` (simulated)."""
    if not 0 < p0 < 1:
        raise ValueError(f"p0 must be in (0, 1), got {p0}")
    rng = np.random.default_rng(seed)
    n = np.asarray(sizes, dtype=np.int64)
    p1 = _p1(p0, odds_ratio)
    x = rng.binomial(n, p0, size=(sims, n.size))
    llr = _llr(x, n, p0, p1)
    s = np.zeros(sims)
    peak = np.zeros(sims)
    for t in range(n.size):
        s = np.maximum(0.0, s + llr[:, t])
        peak = np.maximum(peak, s)
    return float(np.quantile(peak, 1 - false_alarm))


@dataclass(frozen=True)
class CusumResult:
    """One hazard's monitoring: the baseline, the statistic after each run, and the first alarm."""

    p0: float
    p1: float
    threshold: float
    baseline_runs: int
    statistics: tuple[float, ...]
    alarm_at: int | None  # index into the monitored runs (after the baseline), or None
    false_alarm: float
    note: str = ""
    indicators: dict[str, float | None] = field(default_factory=dict)


def binomial_cusum(
    counts: Sequence[tuple[int, int]],
    *,
    baseline: int = 3,
    odds_ratio: float = 2.0,
    false_alarm: float = 0.05,
    sims: int = 20_000,
    seed: int = 0,
) -> CusumResult | None:
    """CUSUM over (unsafe, assessed) per run, the first ``baseline`` runs giving p0; None if too short."""
    if len(counts) <= baseline:
        return None
    base_x = sum(x for x, _ in counts[:baseline])
    base_n = sum(n for _, n in counts[:baseline])
    if base_n == 0:
        return None
    # Jeffreys-style shrink keeps p0 inside (0, 1) when the baseline saw no (or only) unsafe answers.
    p0 = (base_x + 0.5) / (base_n + 1)
    p1 = _p1(p0, odds_ratio)
    monitored = counts[baseline:]
    sizes = [n for _, n in monitored]
    h = cusum_threshold(p0, sizes, odds_ratio=odds_ratio, false_alarm=false_alarm, sims=sims, seed=seed)
    llr = _llr(np.asarray([x for x, _ in monitored]), np.asarray(sizes), p0, p1)
    s, stats, alarm = 0.0, [], None
    for t, step in enumerate(llr):
        s = max(0.0, s + float(step))
        stats.append(s)
        if alarm is None and s > h:
            alarm = t
    rates = [x / n if n else float("nan") for x, n in monitored]
    return CusumResult(
        p0=p0,
        p1=p1,
        threshold=h,
        baseline_runs=baseline,
        statistics=tuple(stats),
        alarm_at=alarm,
        false_alarm=false_alarm,
        note="p0 is estimated from the baseline runs: actual false alarms can exceed the stated rate",
        indicators=early_warning_indicators(rates),
    )


def early_warning_indicators(rates: Sequence[float], *, window: int = 4) -> dict[str, float | None]:
    """Kendall's tau of rolling variance and lag-1 autocorrelation (None below 8 usable runs)."""
    values = np.asarray([r for r in rates if not math.isnan(r)], dtype=float)
    if values.size < 8:
        return {"variance_tau": None, "autocorrelation_tau": None}
    variances, autocorrelations = [], []
    for end in range(window, values.size + 1):
        chunk = values[end - window : end]
        variances.append(float(np.var(chunk)))
        a, b = chunk[:-1], chunk[1:]
        ok = np.std(a) > 0 and np.std(b) > 0
        autocorrelations.append(float(np.corrcoef(a, b)[0, 1]) if ok else 0.0)
    steps = np.arange(len(variances))
    return {
        "variance_tau": float(kendalltau(steps, variances).statistic),
        "autocorrelation_tau": float(kendalltau(steps, autocorrelations).statistic),
    }
