"""The guard's figures on hand-counted outcomes: false blocks, misses (paired), unsafe without vs with."""

from __future__ import annotations

import math

from riskscope.stats.guard_effect import guard_effect
from riskscope.stats.intervals import wilson_interval


def key(i: int) -> tuple[str, str, str]:
    return (f"c{i}", "none", "none")


def test_guard_effect_counts_and_intervals() -> None:
    # 10 benign controls (3 blocked), 20 harmful items: unguarded, items 0-9 unsafe and 10-19 safe;
    # the guard blocks 0-6 and 15 (harmless to block: the model refused anyway) and misses 7-9.
    unguarded: dict[tuple[str, str, str], tuple[str | None, str, str | None]] = {}
    guarded: dict[tuple[str, str, str], tuple[str | None, str, str | None]] = {}
    blocked = set()
    for i in range(10):
        unguarded[key(100 + i)] = ("benign", "comply", "safe")
        guarded[key(100 + i)] = ("benign", "comply", "safe")
        if i < 3:
            blocked.add(key(100 + i))
    for i in range(20):
        unguarded[key(i)] = ("vcr", "refuse", "unsafe" if i < 10 else "safe")
        is_blocked = i < 7 or i == 15
        guarded[key(i)] = ("vcr", "refuse", "safe" if is_blocked or i >= 10 else "unsafe")
        if is_blocked:
            blocked.add(key(i))
    guarded[key(19)] = ("vcr", "refuse", "unassessed")  # one pair the judge could not assess
    effect = guard_effect(unguarded, guarded, blocked)
    assert effect.false_blocks == 3 and effect.false_block == wilson_interval(3, 10)
    assert effect.block_on_harmful == wilson_interval(8, 20)
    assert effect.misses == 3 and effect.miss == wilson_interval(3, 10)
    table = effect.unsafe.table
    assert (table.both_unsafe, table.only_a, table.only_b, table.both_safe) == (3, 7, 0, 9)
    assert math.isclose(effect.unsafe.rate_a, 10 / 19) and math.isclose(effect.unsafe.rate_b, 3 / 19)
    assert effect.unsafe.verdict == "improvement" and effect.unassessed_pairs == 1 and effect.unpaired == 0
    assert effect.to_dict()["miss_rate"]["n"] == 10
