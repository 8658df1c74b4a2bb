"""A seeded sample of a labelled file that is balanced on the gold label and stratified by category.

``riskscope judge eval FILE --sample N --stratify``. A slow model judge can grade only a sample; a
simple random sample of a file with few safe records in some categories can miss them entirely,
and an unbalanced one makes accuracy mostly the majority class. So: half the sample unsafe, half
safe (a label with too few items gives all it has, the other fills the rest), and within each label
the quota is spread over the categories in proportion to that label's count in each (largest
remainder; a category with fewer items than its share gives them all, the rest go to the others).
Unlabelled items never enter. Deterministic for a seed and the file's order.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from riskscope.core import Outcome
from riskscope.judges._labelled import LabelledItem

__all__ = ["allocate", "balanced_sample"]


def allocate(total: int, sizes: dict[str, int]) -> dict[str, int]:
    """``total`` split over groups in proportion to ``sizes``, never more than a group has."""
    quota = {key: 0 for key in sizes}
    remaining = min(total, sum(sizes.values()))
    while remaining > 0:
        room = {k: sizes[k] - quota[k] for k in sizes if sizes[k] > quota[k]}
        weight = sum(room.values())
        exact = {k: remaining * room[k] / weight for k in room}
        given = {k: min(room[k], int(exact[k])) for k in room}
        left = remaining - sum(given.values())
        # Largest remainders first; the key breaks ties so the split never depends on dict order.
        for k in sorted(room, key=lambda k: (-(exact[k] - int(exact[k])), k)):
            if left == 0:
                break
            if given[k] < room[k]:
                given[k] += 1
                left -= 1
        for k, count in given.items():
            quota[k] += count
        remaining -= sum(given.values())
    return quota


def balanced_sample(items: Sequence[LabelledItem], n: int, seed: int) -> list[LabelledItem]:
    """At most ``n`` labelled items, balanced on the label and stratified by category (module docstring)."""
    rng = random.Random(seed)
    by_label: dict[Outcome, list[int]] = {Outcome.UNSAFE: [], Outcome.SAFE: []}
    for position, item in enumerate(items):
        if item.label in by_label:
            by_label[item.label].append(position)
    unsafe_quota = min(len(by_label[Outcome.UNSAFE]), max(n // 2, n - len(by_label[Outcome.SAFE])))
    safe_quota = min(len(by_label[Outcome.SAFE]), n - unsafe_quota)
    chosen: list[int] = []
    for label, quota in ((Outcome.UNSAFE, unsafe_quota), (Outcome.SAFE, safe_quota)):
        strata: dict[str, list[int]] = {}
        for position in by_label[label]:
            strata.setdefault(items[position].category or "", []).append(position)
        shares = allocate(quota, {k: len(v) for k, v in strata.items()})
        for category in sorted(strata):
            chosen.extend(rng.sample(strata[category], shares[category]))
    return [items[p] for p in sorted(chosen)]
