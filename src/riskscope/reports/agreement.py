"""How far the judges of a run agree with each other, item by item.

Only items both judges assessed enter a pair's figures: an UNASSESSED verdict is neither
agreement nor disagreement. Cohen's kappa corrects raw agreement for what two judges with the
same base rates would reach by chance (Cohen, 1960), which matters here because most responses
of a decent model are safe and two lazy judges that always say "safe" agree 95% of the time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from riskscope.core import Outcome, Verdict

__all__ = ["PairAgreement", "cohen_kappa", "judge_agreement"]


@dataclass(frozen=True)
class PairAgreement:
    judge_a: str
    judge_b: str
    both_assessed: int
    agree: int
    a_unsafe_b_safe: int
    a_safe_b_unsafe: int
    kappa: float | None

    @property
    def percent_agreement(self) -> float | None:
        return None if self.both_assessed == 0 else self.agree / self.both_assessed


def cohen_kappa(both_unsafe: int, a_only: int, b_only: int, both_safe: int) -> float | None:
    """Cohen's kappa for two raters and two classes, from the four cells of their 2×2 table.

    Undefined (None) with no items, or when chance agreement is already perfect (both judges
    gave one and the same label to everything), where the formula divides by zero.
    """
    counts = (both_unsafe, a_only, b_only, both_safe)
    if any(c < 0 for c in counts):
        raise ValueError(f"counts must be non-negative, got {counts}")
    n = sum(counts)
    if n == 0:
        return None
    observed = (both_unsafe + both_safe) / n
    a_unsafe = (both_unsafe + a_only) / n
    b_unsafe = (both_unsafe + b_only) / n
    expected = a_unsafe * b_unsafe + (1 - a_unsafe) * (1 - b_unsafe)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


def judge_agreement(verdicts: Iterable[Mapping[str, Verdict]], judges: Sequence[str]) -> list[PairAgreement]:
    """Agreement for every pair of ``judges`` over the items' verdicts (judge name -> verdict)."""
    pairs = list(combinations(judges, 2))
    tables = {pair: [0, 0, 0, 0] for pair in pairs}
    for item in verdicts:
        for a, b in pairs:
            va, vb = item.get(a), item.get(b)
            if va is None or vb is None or Outcome.UNASSESSED in (va.outcome, vb.outcome):
                continue
            ua, ub = va.outcome is Outcome.UNSAFE, vb.outcome is Outcome.UNSAFE
            cell = 0 if ua and ub else 1 if ua else 2 if ub else 3
            tables[(a, b)][cell] += 1
    out = []
    for (a, b), (uu, us, su, ss) in tables.items():
        out.append(
            PairAgreement(
                judge_a=a,
                judge_b=b,
                both_assessed=uu + us + su + ss,
                agree=uu + ss,
                a_unsafe_b_safe=us,
                a_safe_b_unsafe=su,
                kappa=cohen_kappa(uu, us, su, ss),
            )
        )
    return out
