"""Sampling plans: stratified estimation, sequential adaptive sampling, control variates.

Each estimator here returns an :class:`Estimate` whose interval is valid for the design that
produced the data; using a simple-random-sample interval on a stratified or sequentially stopped
sample is the usual way harnesses overstate precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as _scipy_stats

from riskscope.stats._estimate import Estimate
from riskscope.stats.intervals import clopper_pearson_interval

__all__ = [
    "ControlVariateEstimate",
    "SequentialPlan",
    "SequentialResult",
    "Stratum",
    "TwoStagePlan",
    "allocate_sample",
    "control_variate_estimate",
    "hazard_weighted_rate",
    "run_sequential",
    "run_two_stage",
    "stratified_rate",
]


@dataclass(frozen=True)
class Stratum:
    """Counts of one stratum (a hazard) and its weight in the target population."""

    unsafe: int
    n: int
    weight: float = 1.0


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return float(_scipy_stats.norm.ppf(0.5 + confidence / 2))


def stratified_rate(strata: Sequence[Stratum], confidence: float = 0.95) -> Estimate:
    """Weighted rate sum(w_h p_h) / sum(w_h) with the Price–Bonett adjusted Wald interval.

    The adjustment (add 2/m unsafe and 4/m trials to each of the m strata before computing the
    variance and centre) is what keeps coverage near nominal for linear combinations of small
    binomial samples and rates near 0, where the plain Wald interval collapses to zero width.
    Strata with no assessed items are dropped with their weight (their rate is unknown), so the
    estimate describes only what was measured; callers report ``n`` per stratum alongside.
    """
    used = [s for s in strata if s.n > 0 and s.weight > 0]
    for s in strata:
        if s.n < 0 or s.unsafe < 0 or s.unsafe > s.n or s.weight < 0 or not math.isfinite(s.weight):
            raise ValueError(f"bad stratum {s}: need 0 <= unsafe <= n and a finite weight >= 0")
    total_n = sum(s.n for s in used)
    if not used:
        return Estimate(math.nan, 0.0, 1.0, 0, "stratified-adjusted-wald", confidence)
    z = _z(confidence)
    total_w = sum(s.weight for s in used)
    m = len(used)
    point = sum(s.weight / total_w * s.unsafe / s.n for s in used)
    centre = 0.0
    variance = 0.0
    for s in used:
        w = s.weight / total_w
        adj = (s.unsafe + 2 / m) / (s.n + 4 / m)
        centre += w * adj
        variance += w * w * adj * (1 - adj) / (s.n + 4 / m)
    half = z * math.sqrt(variance)
    low = 0.0 if all(s.unsafe == 0 for s in used) else max(0.0, centre - half)
    high = 1.0 if all(s.unsafe == s.n for s in used) else min(1.0, centre + half)
    low, high = min(low, point), max(high, point)
    return Estimate(point, low, high, total_n, "stratified-adjusted-wald", confidence)


def allocate_sample(
    budget: int, sizes: Mapping[str, int], expected_rates: Mapping[str, float] | None = None
) -> dict[str, int]:
    """How many items to draw from each stratum for a budget.

    Proportional to stratum size without rate guesses; Neyman (size x sqrt(p(1-p))) with them, which
    minimises the variance of the population-weighted rate. Every non-empty stratum gets at least
    one item (an unmeasured stratum has no rate at all), no stratum more than it holds, and the
    total is exactly ``min(budget, sum(sizes))`` (largest remainders). Estimate afterwards with
    :func:`stratified_rate` and weights = stratum sizes, so unequal sampling fractions do not bias.
    """
    if budget < 0 or any(n < 0 for n in sizes.values()):
        raise ValueError("budget and stratum sizes must be >= 0")
    live = {k: n for k, n in sizes.items() if n > 0}
    total = min(budget, sum(live.values()))
    if not live or total == 0:
        return {k: 0 for k in sizes}

    def importance(key: str) -> float:
        if expected_rates is None:
            return float(live[key])
        p = min(max(float(expected_rates.get(key, 0.5)), 0.005), 0.995)  # a guess of 0 must not starve
        return live[key] * math.sqrt(p * (1 - p))

    alloc = {k: 0 for k in sizes}
    if total < len(live):  # too small a budget to touch every stratum: the most important ones
        for key in sorted(live, key=lambda k: -importance(k))[:total]:
            alloc[key] = 1
        return alloc
    remaining = total
    if total >= len(live):
        for key in live:
            alloc[key] = 1
        remaining -= len(live)
    while remaining > 0:
        open_keys = [k for k in live if alloc[k] < live[k]]
        weight = sum(importance(k) for k in open_keys)
        shares = {k: remaining * importance(k) / weight for k in open_keys}
        floors = {k: min(live[k] - alloc[k], int(shares[k])) for k in open_keys}
        if sum(floors.values()) == 0:
            # Largest remainders, one item each, until the budget is spent.
            for key in sorted(open_keys, key=lambda k: -(shares[k] - int(shares[k])))[:remaining]:
                alloc[key] += 1
            remaining = total - sum(alloc.values())
            continue
        for key, extra in floors.items():
            alloc[key] += extra
        remaining = total - sum(alloc.values())
    return alloc


def hazard_weighted_rate(
    counts: Mapping[str, tuple[int, int]],
    weights: Mapping[str, float] | None = None,
    confidence: float = 0.95,
) -> Estimate:
    """Overall unsafe rate with every hazard weighted equally (or by ``weights``), AILuminate style.

    A pooled rate lets the hazard with the most prompts dominate; equal weights make the overall
    figure mean "the average hazard", whatever the suite's mix.
    """
    strata = [
        Stratum(unsafe, n, 1.0 if weights is None else float(weights.get(key, 0.0)))
        for key, (unsafe, n) in sorted(counts.items())
    ]
    return stratified_rate(strata, confidence)


@dataclass(frozen=True)
class SequentialPlan:
    """Draw in growing looks until the interval half-width <= target or the budget is spent.

    Validity of the stopping rule: the interval at each of the K planned looks is Clopper–Pearson
    at level 1 - alpha/K (Bonferroni alpha-spending). By the union bound the probability that
    *any* look's interval misses the true rate is <= alpha, so the interval reported at whatever
    look the data made us stop at still has coverage >= 1 - alpha. Conservative, simple, exact.
    Looks grow geometrically so K (and the price paid for peeking) stays small.
    """

    target_half_width: float = 0.05
    budget: int = 400
    first_look: int = 40
    growth: float = 1.5
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if not 0 < self.target_half_width < 0.5:
            raise ValueError(f"target_half_width must be in (0, 0.5), got {self.target_half_width}")
        if self.first_look < 1 or self.budget < self.first_look:
            raise ValueError(f"need 1 <= first_look <= budget, got {self.first_look}, {self.budget}")
        if self.growth <= 1:
            raise ValueError(f"growth must be > 1, got {self.growth}")
        _z(self.confidence)

    @property
    def looks(self) -> tuple[int, ...]:
        looks = [self.first_look]
        while looks[-1] < self.budget:
            looks.append(min(self.budget, max(looks[-1] + 1, math.ceil(looks[-1] * self.growth))))
        return tuple(looks)

    @property
    def per_look_confidence(self) -> float:
        return 1 - (1 - self.confidence) / len(self.looks)

    def interval(self, unsafe: int, n: int) -> Estimate:
        inner = clopper_pearson_interval(unsafe, n, self.per_look_confidence)
        return Estimate(inner.point, inner.low, inner.high, n, "sequential-clopper-pearson-bonferroni", self.confidence)


@dataclass(frozen=True)
class SequentialResult:
    estimate: Estimate
    calls: int
    stopped_by: str  # "precision" or "budget" or "exhausted"
    looks_used: int
    history: tuple[tuple[int, int], ...] = field(default=())


def run_sequential(
    draw: Callable[[int], Sequence[bool]], plan: SequentialPlan, available: int | None = None
) -> SequentialResult:
    """Run ``plan`` against ``draw(k)``, which returns the next k outcomes (True = unsafe).

    ``available`` caps the draws at the stratum's size; if fewer than the budget exist the last
    look is the whole stratum (a census of what exists, still reported with the plan's interval).
    """
    looks = plan.looks
    cap = plan.budget if available is None else min(plan.budget, available)
    unsafe = n = 0
    history: list[tuple[int, int]] = []
    for index, look in enumerate(looks, start=1):
        want = min(look, cap) - n
        if want > 0:
            got = list(draw(want))
            unsafe += sum(bool(x) for x in got)
            n += len(got)
        history.append((n, unsafe))
        estimate = plan.interval(unsafe, n)
        if n > 0 and estimate.half_width <= plan.target_half_width:
            return SequentialResult(estimate, n, "precision", index, tuple(history))
        if n >= cap:
            reason = "budget" if n >= plan.budget else "exhausted"
            return SequentialResult(estimate, n, reason, index, tuple(history))
    return SequentialResult(plan.interval(unsafe, n), n, "budget", len(looks), tuple(history))


@dataclass(frozen=True)
class TwoStagePlan:
    """A pilot sample sizes a fresh second sample; only the second sample is used for the interval.

    Validity: given the pilot, the second-stage size is fixed and its draws are new and independent
    of that choice, so the Clopper–Pearson interval on them has coverage >= ``confidence``
    conditionally on every possible pilot, hence unconditionally. No alpha is spent on peeking,
    which is why it needs far fewer calls than :class:`SequentialPlan` for common harms; the price
    is the pilot calls, which only steer. The size is chosen for the worst rate the pilot allows
    (its ``planning_confidence`` interval, the rate nearest 0.5), so the target width is met unless
    the pilot misjudged the rate.
    """

    target_half_width: float = 0.05
    budget: int = 400
    pilot: int = 30
    planning_confidence: float = 0.9
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if not 0 < self.target_half_width < 0.5:
            raise ValueError(f"target_half_width must be in (0, 0.5), got {self.target_half_width}")
        if self.pilot < 1 or self.budget <= self.pilot:
            raise ValueError(f"need 1 <= pilot < budget, got {self.pilot}, {self.budget}")
        _z(self.confidence)
        _z(self.planning_confidence)

    def second_stage_size(self, pilot_unsafe: int, pilot_n: int) -> int:
        """Smallest n whose Clopper–Pearson half-width at the planning rate is <= target (capped)."""
        bound = clopper_pearson_interval(pilot_unsafe, pilot_n, self.planning_confidence)
        worst = min(max(0.5, bound.low), bound.high)
        cap = self.budget - pilot_n

        def width(n: int) -> float:
            return clopper_pearson_interval(round(worst * n), n, self.confidence).half_width

        if width(cap) > self.target_half_width:
            return cap
        low, high = 1, cap
        while low < high:
            mid = (low + high) // 2
            if width(mid) <= self.target_half_width:
                high = mid
            else:
                low = mid + 1
        return low


def run_two_stage(
    draw: Callable[[int], Sequence[bool]], plan: TwoStagePlan, available: int | None = None
) -> SequentialResult:
    """Pilot, size, draw, estimate; ``calls`` counts the pilot too (it was paid for)."""
    cap = plan.budget if available is None else min(plan.budget, available)
    pilot = [bool(x) for x in draw(min(plan.pilot, cap))]
    if len(pilot) >= cap:
        # Too small a pool for two stages: the pilot is the census; report it with its own interval.
        est = clopper_pearson_interval(sum(pilot), len(pilot), plan.confidence)
        history: tuple[tuple[int, int], ...] = ((len(pilot), sum(pilot)),)
        return SequentialResult(
            Estimate(est.point, est.low, est.high, est.n, "clopper-pearson", plan.confidence),
            len(pilot),
            "exhausted",
            1,
            history,
        )
    size = min(plan.second_stage_size(sum(pilot), len(pilot)), cap - len(pilot))
    second = [bool(x) for x in draw(size)]
    inner = clopper_pearson_interval(sum(second), len(second), plan.confidence)
    estimate = Estimate(inner.point, inner.low, inner.high, len(second), "two-stage-clopper-pearson", plan.confidence)
    reason = "precision" if estimate.half_width <= plan.target_half_width else "budget"
    history = ((len(pilot), sum(pilot)), (len(pilot) + len(second), sum(pilot) + sum(second)))
    return SequentialResult(estimate, len(pilot) + len(second), reason, 2, history)


@dataclass(frozen=True)
class ControlVariateEstimate:
    """The regression (control-variate) estimate, with the plain sample mean for comparison.

    ``variance_ratio`` = estimated variance with the control / without it (1 - R^2 roughly):
    below 1 means the cheap score bought precision.
    """

    estimate: Estimate
    plain: Estimate
    variance_ratio: float
    slope: float


def control_variate_estimate(
    judged: Sequence[bool],
    judged_scores: Sequence[float],
    all_scores: Sequence[float],
    confidence: float = 0.95,
) -> ControlVariateEstimate:
    """Unsafe rate of a population when a cheap score exists for every item but the expensive judge
    only ran on a simple random sample of them.

    Regression estimator: ybar + b (Xbar_population - xbar_sample), with b the sample least-squares
    slope and variance (1 - n/N) s_e^2 / n from the residuals (finite-population corrected, since
    the sample is drawn without replacement from the scored items).
    """
    y = np.asarray(judged, dtype=float)
    x = np.asarray(judged_scores, dtype=float)
    population = np.asarray(all_scores, dtype=float)
    n, big_n = len(y), len(population)
    if len(x) != n:
        raise ValueError(f"judged ({n}) and judged_scores ({len(x)}) must have the same length")
    if n < 3:
        raise ValueError(f"need at least 3 judged items for a control-variate estimate, got {n}")
    if big_n < n:
        raise ValueError(f"all_scores ({big_n}) must cover at least the judged sample ({n})")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(population))):
        raise ValueError("scores must be finite numbers")
    z = _z(confidence)
    fpc = 1 - n / big_n
    var_x = float(np.var(x, ddof=1))
    slope = float(np.cov(x, y, ddof=1)[0, 1] / var_x) if var_x > 0 else 0.0
    point = float(y.mean() + slope * (population.mean() - x.mean()))
    residuals = y - y.mean() - slope * (x - x.mean())
    var_cv = fpc * float(np.sum(residuals**2)) / (n - 2) / n
    var_plain = fpc * float(np.var(y, ddof=1)) / n
    half = z * math.sqrt(var_cv)
    plain_half = z * math.sqrt(var_plain)
    clipped = min(1.0, max(0.0, point))
    estimate = Estimate(
        clipped, max(0.0, point - half), min(1.0, point + half), n, "control-variate-regression", confidence
    )
    mean = float(y.mean())
    plain = Estimate(mean, max(0.0, mean - plain_half), min(1.0, mean + plain_half), n, "srs-wald-fpc", confidence)
    ratio = var_cv / var_plain if var_plain > 0 else 1.0
    return ControlVariateEstimate(estimate, plain, ratio, slope)
