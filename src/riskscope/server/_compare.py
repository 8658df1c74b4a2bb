"""Two runs side by side, paired item by item, tested with ``riskscope.stats.compare_paired``.

The pairing is ``riskscope.stats.figures.pair_outcomes``, the one ``riskscope compare`` uses, so
the dashboard and the CLI report the same tables, McNemar p-values, Holm adjustment and Newcombe
intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

from riskscope.stats import PairedComparison, compare_paired
from riskscope.stats.figures import ItemOutcomes, pair_outcomes


@dataclass(frozen=True)
class Paired:
    overall: PairedComparison
    hazards: list[PairedComparison]
    only_in_a: int
    only_in_b: int
    unassessed: int


def paired_comparison(a: ItemOutcomes, b: ItemOutcomes, *, alpha: float = 0.05) -> Paired:
    pairing = pair_outcomes(a, b)
    overall, per_hazard = compare_paired(pairing.tables, alpha=alpha)
    return Paired(overall, per_hazard, pairing.only_in_a, pairing.only_in_b, pairing.unassessed)
