"""Attack success: per-attack rates, lift over the base case on the same prompts, best-of-k.

An attack's effect is measured on *paired* data: each base case is asked as written and attacked,
so the lift is a paired difference (exact McNemar, Newcombe interval) and the attacks are one
family of tests (Holm). An attack that produces k variants per case (k templates) is a success on
a case when any of them succeeded ("any of k"); the expected success of a user who tries j of the
k at random is the unbiased estimator 1 - C(k-c, j) / C(k, j) (Chen et al. 2021's pass@k), averaged
over the cases.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from riskscope.stats._estimate import Estimate
from riskscope.stats.intervals import wilson_interval
from riskscope.stats.paired import PairedTable, holm_adjust, mcnemar_exact, paired_difference_interval

__all__ = ["AttackLift", "attack_lifts", "success_at_k"]


def success_at_k(n: int, c: int, k: int) -> float:
    """P(at least one success among k of n variants drawn without replacement), c of n succeeded."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


@dataclass(frozen=True)
class AttackLift:
    """One attack's success against the base case on the same prompts (pairs assessed in both)."""

    attack: str
    table: PairedTable  # a = base case, b = attack (any of its variants)
    base_rate: Estimate
    attack_rate: Estimate
    lift: Estimate
    p_value: float
    p_adjusted: float
    verdict: str


def attack_lifts(
    pairs: Mapping[str, Sequence[tuple[bool, bool]]], *, alpha: float = 0.05, confidence: float = 0.95
) -> list[AttackLift]:
    """Per attack, from (base unsafe, attacked unsafe) per base case: rates, lift, exact McNemar, Holm."""
    tables: dict[str, PairedTable] = {}
    for name, outcomes in pairs.items():
        counts = [0, 0, 0, 0]
        for base, attacked in outcomes:
            counts[(0 if attacked else 3) if base == attacked else (1 if base else 2)] += 1
        tables[name] = PairedTable(*counts)
    p_values = {name: mcnemar_exact(t.only_a, t.only_b) for name, t in tables.items()}
    adjusted = holm_adjust(p_values) if p_values else {}
    out = []
    for name, table in sorted(tables.items()):
        lift = paired_difference_interval(table, confidence)
        significant = table.n > 0 and adjusted[name] < alpha
        verdict = "no significant lift" if not significant else ("raises" if lift.point > 0 else "lowers")
        out.append(
            AttackLift(
                attack=name,
                table=table,
                base_rate=wilson_interval(table.both_unsafe + table.only_a, table.n, confidence),
                attack_rate=wilson_interval(table.both_unsafe + table.only_b, table.n, confidence),
                lift=lift,
                p_value=p_values[name],
                p_adjusted=adjusted[name],
                verdict=verdict + (" (Holm-adjusted, exact McNemar)" if table.n else ""),
            )
        )
    return out
