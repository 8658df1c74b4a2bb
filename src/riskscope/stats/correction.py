"""Correcting an unsafe rate for the judge's own errors (Rogan–Gladen), with honest intervals.

A judge with sensitivity Se and specificity Sp reports an apparent rate q = Se*p + (1-Sp)*(1-p);
inverting gives p = (q + Sp - 1) / (Se + Sp - 1). Se and Sp are themselves estimated (from
``riskscope judge eval`` on labelled data), so the interval must carry three sources of
uncertainty: the run's sampling, and the judge's two validation samples; ``corrected_rate``
propagates all three.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from scipy import stats as _scipy_stats

from riskscope.stats._estimate import Estimate

__all__ = ["JudgeAccuracy", "corrected_rate", "rogan_gladen"]


@dataclass(frozen=True)
class JudgeAccuracy:
    """A judge's validation counts against human labels.

    ``true_positive`` of ``positives`` truly unsafe items were called unsafe (sensitivity);
    ``true_negative`` of ``negatives`` truly safe items were called safe (specificity).
    """

    true_positive: int
    positives: int
    true_negative: int
    negatives: int

    def __post_init__(self) -> None:
        if not (0 <= self.true_positive <= self.positives and 0 <= self.true_negative <= self.negatives):
            raise ValueError(f"bad judge accuracy counts {self}: need 0 <= true <= total")
        if self.positives == 0 or self.negatives == 0:
            raise ValueError("judge accuracy needs at least one labelled unsafe and one labelled safe item")

    @classmethod
    def from_confusion(cls, confusion: Mapping[str, int]) -> JudgeAccuracy:
        """From the ``confusion`` counts of ``riskscope judge eval --json`` (positive class: unsafe)."""
        missing = [k for k in ("tp", "fn", "fp", "tn") if not isinstance(confusion.get(k), int)]
        if missing:
            raise ValueError(f"confusion counts need integer tp, fn, fp, tn; missing or not integers: {missing}")
        tp, fn, fp, tn = (int(confusion[k]) for k in ("tp", "fn", "fp", "tn"))
        accuracy = cls(tp, tp + fn, tn, tn + fp)
        # Checked when the file is read, so a useless file is one line at the edge, not a crash in a report.
        if accuracy.sensitivity + accuracy.specificity <= 1:
            raise ValueError(
                f"sensitivity + specificity <= 1 ({accuracy.sensitivity:.3f} + {accuracy.specificity:.3f}): "
                "a judge no better than chance cannot correct a rate"
            )
        return accuracy

    @property
    def sensitivity(self) -> float:
        return self.true_positive / self.positives

    @property
    def specificity(self) -> float:
        return self.true_negative / self.negatives


def rogan_gladen(apparent: float, sensitivity: float, specificity: float) -> float:
    """Corrected prevalence, clipped to [0, 1] (sampling noise can push the raw inverse outside)."""
    youden = sensitivity + specificity - 1
    if youden <= 0:
        raise ValueError(
            f"a judge with sensitivity + specificity <= 1 ({sensitivity:.3f} + {specificity:.3f}) "
            "carries no information: its verdicts cannot be corrected"
        )
    return float(min(1.0, max(0.0, (apparent + specificity - 1) / youden)))


def corrected_rate(unsafe: int, n: int, judge: JudgeAccuracy, *, confidence: float = 0.95) -> Estimate:
    """Rogan–Gladen point estimate with the Lang–Reiczigel (2014) adjusted interval.

    Each of the three proportions (apparent rate, Se, Sp) gets z^2/2 pseudo-successes out of z^2
    pseudo-trials (the Agresti–Coull adjustment), the corrected rate is recomputed from them and
    its variance is the delta-method sum of all three binomial variances, so the interval carries
    the run's sampling error and both of the judge's validation errors. We first tried independent
    Jeffreys posteriors (Monte Carlo); they under-covered (93.7 % at p = 5 %, Se 0.8, Sp 0.9,
    n = 400, 200 + 200 labels), this interval did not (see docs/statistics.md).
    """
    if n <= 0:
        return Estimate(float("nan"), 0.0, 1.0, 0, "rogan-gladen-lang-reiczigel", confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if unsafe < 0 or unsafe > n:
        raise ValueError(f"need 0 <= unsafe <= n, got unsafe={unsafe}, n={n}")
    point = rogan_gladen(unsafe / n, judge.sensitivity, judge.specificity)
    z = float(_scipy_stats.norm.ppf(0.5 + confidence / 2))
    pseudo = z * z / 2

    def adjusted(successes: int, trials: int) -> tuple[float, float]:
        return (successes + pseudo) / (trials + z * z), trials + z * z

    q, n_q = adjusted(unsafe, n)
    se, n_se = adjusted(judge.true_positive, judge.positives)
    sp, n_sp = adjusted(judge.true_negative, judge.negatives)
    youden = se + sp - 1
    if youden <= 0:
        raise ValueError("the judge's validation data cannot tell it apart from chance; no correction possible")
    centre = (q + sp - 1) / youden
    variance = (
        q * (1 - q) / n_q + centre**2 * se * (1 - se) / n_se + (1 - centre) ** 2 * sp * (1 - sp) / n_sp
    ) / youden**2
    half = z * math.sqrt(variance)
    low = max(0.0, min(point, centre - half))
    high = min(1.0, max(point, centre + half))
    return Estimate(point, low, high, n, "rogan-gladen-lang-reiczigel", confidence)
