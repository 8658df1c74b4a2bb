"""Cohen's kappa checked against a published worked example and an independent computation."""

from __future__ import annotations

import random

import numpy as np
import pytest

from riskscope.core import Outcome, Verdict
from riskscope.reports import cohen_kappa, judge_agreement


def test_kappa_matches_the_textbook_example() -> None:
    # The worked example in Wikipedia's "Cohen's kappa" article: 50 proposals, two readers;
    # 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no gives p_o = 0.7, p_e = 0.5, kappa = 0.4.
    assert cohen_kappa(20, 5, 10, 15) == pytest.approx(0.4)


def test_kappa_edge_cases() -> None:
    assert cohen_kappa(0, 0, 0, 0) is None
    assert cohen_kappa(0, 0, 0, 30) is None  # both judges said "safe" to everything: undefined
    assert cohen_kappa(10, 0, 0, 10) == pytest.approx(1.0)
    assert cohen_kappa(0, 10, 10, 0) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="non-negative"):
        cohen_kappa(-1, 0, 0, 1)


def _independent_kappa(a: list[int], b: list[int]) -> float:
    confusion = np.zeros((2, 2))
    for x, y in zip(a, b, strict=True):
        confusion[x, y] += 1
    n = confusion.sum()
    observed = np.trace(confusion) / n
    expected = float((confusion.sum(0) * confusion.sum(1)).sum() / n**2)
    return float((observed - expected) / (1 - expected))


def test_judge_agreement_matches_an_independent_kappa_and_skips_unassessed() -> None:
    rng = random.Random(7)
    items, a_labels, b_labels = [], [], []
    for i in range(500):
        a = rng.random() < 0.3
        b = a if rng.random() < 0.8 else not a
        if i % 17 == 0:
            items.append({"a": Verdict.unassessed("a", "judge output unparseable"), "b": _v("b", b)})
            continue
        items.append({"a": _v("a", a), "b": _v("b", b)})
        a_labels.append(int(a))
        b_labels.append(int(b))
    [pair] = judge_agreement(items, ["a", "b"])
    assert pair.both_assessed == len(a_labels)
    assert pair.agree == sum(x == y for x, y in zip(a_labels, b_labels, strict=True))
    assert pair.kappa == pytest.approx(_independent_kappa(a_labels, b_labels))


def _v(judge: str, unsafe: bool) -> Verdict:
    return Verdict(outcome=Outcome.UNSAFE if unsafe else Outcome.SAFE, judge=judge)
