"""Two runs side by side, paired item by item, tested with ``riskscope.stats.compare_paired``.

Items pair up by (test case, attack chain, persona), the same key ``riskscope compare`` uses, so
the dashboard and the CLI report the same tables, McNemar p-values, Holm adjustment and Newcombe
intervals. Only hazardous items both runs assessed enter the tables: an error on either side is
neither better nor worse, and is counted apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from riskscope.stats import PairedComparison, PairedTable, compare_paired
from riskscope.taxonomy import top_level

Outcomes = Mapping[tuple[str, str, str], tuple[str | None, str, str | None]]


@dataclass(frozen=True)
class Paired:
    overall: PairedComparison
    hazards: list[PairedComparison]
    only_in_a: int
    only_in_b: int
    unassessed: int


def paired_comparison(a: Outcomes, b: Outcomes, *, alpha: float = 0.05) -> Paired:
    hazardous_a = {k: v for k, v in a.items() if v[1] != "comply"}
    hazardous_b = {k: v for k, v in b.items() if v[1] != "comply"}
    counts: dict[str, list[int]] = {}
    unassessed = 0
    for key in hazardous_a.keys() & hazardous_b.keys():
        hazard, _, outcome_a = hazardous_a[key]
        outcome_b = hazardous_b[key][2]
        if outcome_a not in ("safe", "unsafe") or outcome_b not in ("safe", "unsafe"):
            unassessed += 1
            continue
        cell = counts.setdefault(top_level(hazard or "unknown"), [0, 0, 0, 0])
        unsafe_a, unsafe_b = outcome_a == "unsafe", outcome_b == "unsafe"
        cell[0 if unsafe_a and unsafe_b else 1 if unsafe_a else 2 if unsafe_b else 3] += 1
    overall, per_hazard = compare_paired({h: PairedTable(*c) for h, c in counts.items()}, alpha=alpha)
    return Paired(
        overall=overall,
        hazards=per_hazard,
        only_in_a=len(hazardous_a.keys() - hazardous_b.keys()),
        only_in_b=len(hazardous_b.keys() - hazardous_a.keys()),
        unassessed=unassessed,
    )
