"""How good is a judge? Agreement with human labels, each figure with a bootstrap interval.

A judge's verdicts are compared with gold labels read from one of the public formats below. Items
the judge leaves UNASSESSED are *not* counted as right or wrong: they are reported as coverage and
excluded from accuracy, precision, recall, F1 and kappa (the report says so), because guessing a
label for them would hide exactly the failures a user needs to see.

"Positive" is UNSAFE throughout: precision is "of what the judge called unsafe, how much was",
recall is "of what was unsafe, how much the judge caught".

Intervals are percentile bootstrap intervals (Efron & Tibshirani 1993, ch. 13) over items, with a
seedable numpy generator, so two runs with the same seed print the same figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from riskscope.core import Expected, Outcome, Response, TestCase, Verdict
from riskscope.judges._base import Judge, judge_many
from riskscope.judges._labelled import LabelledItem

__all__ = [
    "CI",
    "EvaluationReport",
    "Metrics",
    "compute_metrics",
    "evaluate_judge",
    "evaluate_verdicts",
    "judge_items",
]

_METRICS = ("accuracy", "precision", "recall", "f1", "kappa")
# Cells of the 2x2 table, positive = UNSAFE: (gold, judge).
_TP, _FN, _FP, _TN = 0, 1, 2, 3


@dataclass(frozen=True)
class CI:
    """A point estimate with its bootstrap interval; ``None`` where the figure is undefined."""

    point: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {"point": self.point, "low": self.low, "high": self.high}

    def __str__(self) -> str:
        if self.point is None:
            return "n/a"
        if self.low is None or self.high is None:
            return f"{self.point:.3f}"
        return f"{self.point:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True)
class Metrics:
    """Agreement figures of one judge against gold labels on the items it assessed."""

    n: int
    confusion: dict[str, int]
    confusion_rate: dict[str, CI]
    figures: dict[str, CI]

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "confusion": dict(self.confusion),
            "confusion_rate": {k: v.to_dict() for k, v in self.confusion_rate.items()},
            **{k: v.to_dict() for k, v in self.figures.items()},
        }


@dataclass(frozen=True)
class EvaluationReport:
    judge: str
    source: str
    total: int
    unlabelled: int
    assessed: int
    coverage: CI
    overall: Metrics
    by_category: dict[str, Metrics]
    unassessed_reasons: dict[str, int]
    refusal_agreement: dict[str, Any] | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "judge": self.judge,
            "source": self.source,
            "total": self.total,
            "unlabelled": self.unlabelled,
            "assessed": self.assessed,
            "coverage": self.coverage.to_dict(),
            "note": "UNASSESSED verdicts are excluded from accuracy, precision, recall, F1 and kappa; "
            "coverage is the share of labelled items the judge assessed. Positive class: unsafe.",
            "overall": self.overall.to_dict(),
            "by_category": {k: v.to_dict() for k, v in self.by_category.items()},
            "unassessed_reasons": dict(self.unassessed_reasons),
            "refusal_agreement": self.refusal_agreement,
            "settings": dict(self.settings),
        }


def _figures_from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Vectorised figures from an (m, 4) array of TP, FN, FP, TN counts; NaN where undefined."""
    tp, fn, fp, tn = (counts[:, i].astype(np.float64) for i in range(4))
    n = tp + fn + fp + tn
    with np.errstate(divide="ignore", invalid="ignore"):
        accuracy = (tp + tn) / n
        precision = tp / (tp + fp)
        recall = tp / (tp + fn)
        f1 = 2 * tp / (2 * tp + fp + fn)
        observed = accuracy
        chance = ((tp + fn) * (tp + fp) + (tn + fp) * (tn + fn)) / (n * n)
        kappa = (observed - chance) / (1 - chance)
        # Chance agreement of exactly 1 (both raters gave one label to everything) leaves kappa
        # undefined, not infinite.
        kappa = np.where(np.isclose(chance, 1.0), np.nan, kappa)
    return {"accuracy": accuracy, "precision": precision, "recall": recall, "f1": f1, "kappa": kappa}


def _point(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def compute_metrics(
    gold_unsafe: Sequence[bool],
    judged_unsafe: Sequence[bool],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Metrics:
    """Accuracy, precision, recall, F1, kappa and the confusion matrix, each with a bootstrap CI."""
    if len(gold_unsafe) != len(judged_unsafe):
        raise ValueError("gold and judged labels differ in length")
    gold = np.asarray(gold_unsafe, dtype=bool)
    pred = np.asarray(judged_unsafe, dtype=bool)
    cells = np.where(gold, np.where(pred, _TP, _FN), np.where(pred, _FP, _TN))
    n = int(cells.size)
    counts = np.bincount(cells, minlength=4).reshape(1, 4)
    points = {k: float(v[0]) for k, v in _figures_from_counts(counts).items()}
    names = ("tp", "fn", "fp", "tn")
    confusion = {name: int(counts[0, i]) for i, name in enumerate(names)}
    if n == 0:
        empty = CI(None, None, None)
        return Metrics(0, confusion, {k: empty for k in names}, {k: empty for k in _METRICS})
    rng = np.random.default_rng(seed)
    alpha = (1 - confidence) / 2
    boot = np.zeros((n_boot, 4), dtype=np.int64)
    # Resample in chunks so memory stays bounded on large files (n_boot x n indices at once).
    chunk = max(1, 2_000_000 // n)
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        sampled = cells[idx]
        for cell in range(4):
            boot[start:stop, cell] = (sampled == cell).sum(axis=1)
    boot_figures = _figures_from_counts(boot)
    figures: dict[str, CI] = {}
    for name in _METRICS:
        values = boot_figures[name]
        values = values[~np.isnan(values)]
        point = _point(points[name])
        if point is None or values.size == 0:
            figures[name] = CI(point, None, None)
            continue
        low, high = np.quantile(values, [alpha, 1 - alpha])
        figures[name] = CI(point, float(low), float(high))
    rates: dict[str, CI] = {}
    for i, name in enumerate(names):
        share = boot[:, i] / n
        low, high = np.quantile(share, [alpha, 1 - alpha])
        rates[name] = CI(counts[0, i] / n, float(low), float(high))
    return Metrics(n, confusion, rates, figures)


def _wilson(successes: int, n: int, z: float = 1.959964) -> CI:
    if n == 0:
        return CI(None, None, None)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return CI(p, max(0.0, centre - half), min(1.0, centre + half))


def case_of(item: LabelledItem) -> TestCase:
    """The test case a judge sees for one labelled item (the request the response answers)."""
    return TestCase(
        id=item.id,
        messages=TestCase.from_prompt(item.prompt).messages,
        hazard=item.hazard,
        expected=item.expected,
        source=item.source,
        metadata=dict(item.metadata),
    )


def _reason_key(verdict: Verdict) -> str:
    reason = verdict.reason or "no reason given"
    return reason.split(":", 1)[0][:80]


def evaluate_verdicts(
    judge_name: str,
    items: Sequence[LabelledItem],
    verdicts: Sequence[Verdict],
    *,
    source: str = "",
    n_boot: int = 1000,
    seed: int = 0,
) -> EvaluationReport:
    """Score verdicts already computed (e.g. from a run) against the items' gold labels."""
    if len(items) != len(verdicts):
        raise ValueError("one verdict per item is required")
    labelled = [(item, v) for item, v in zip(items, verdicts, strict=True) if item.label is not None]
    assessed = [(item, v) for item, v in labelled if v.outcome is not Outcome.UNASSESSED]
    reasons: dict[str, int] = {}
    for _, v in labelled:
        if v.outcome is Outcome.UNASSESSED:
            key = _reason_key(v)
            reasons[key] = reasons.get(key, 0) + 1
    gold = [item.label is Outcome.UNSAFE for item, _ in assessed]
    pred = [v.outcome is Outcome.UNSAFE for _, v in assessed]
    overall = compute_metrics(gold, pred, n_boot=n_boot, seed=seed)
    groups: dict[str, list[int]] = {}
    for i, (item, _) in enumerate(assessed):
        groups.setdefault(item.category or "(none)", []).append(i)
    by_category: dict[str, Metrics] = {}
    if len(groups) > 1 or "(none)" not in groups:
        for name in sorted(groups):
            idx = groups[name]
            by_category[name] = compute_metrics(
                [gold[i] for i in idx], [pred[i] for i in idx], n_boot=n_boot, seed=seed
            )
    return EvaluationReport(
        judge=judge_name,
        source=source,
        total=len(items),
        unlabelled=len(items) - len(labelled),
        assessed=len(assessed),
        coverage=_wilson(len(assessed), len(labelled)),
        overall=overall,
        by_category=by_category,
        unassessed_reasons=reasons,
        refusal_agreement=_refusal_agreement(
            [(item, v) for item, v in zip(items, verdicts, strict=True) if item.refusal_class is not None],
            n_boot=n_boot,
            seed=seed,
        ),
        settings={"bootstrap_resamples": n_boot, "seed": seed, "confidence": 0.95},
    )


def _refusal_agreement(
    pairs_in: Sequence[tuple[LabelledItem, Verdict]], *, n_boot: int = 1000, seed: int = 0
) -> dict[str, Any] | None:
    """Agreement on refusal, when gold refusal labels exist and the judge reports a refusal class.

    Refusal vs compliance (positive = refused, fully or partly) over every such item; XSTest's
    3-class table only when every gold names its class (a source may only say "refused")."""
    pairs = [
        (item.refusal_class, v.labels["refusal"])
        for item, v in pairs_in
        if item.refusal_class is not None and "refusal" in v.labels
    ]
    if not pairs:
        return None
    classes = ["full_compliance", "full_refusal", "partial_refusal"]
    matrix = {g: {p: 0 for p in classes} for g in classes}
    if all(g in matrix for g, _ in pairs):  # a source that only says "refused" has no 3-class table
        for g, p in pairs:
            if p in matrix[g]:
                matrix[g][p] += 1
    agree = sum(matrix[c][c] for c in classes)
    total = sum(sum(row.values()) for row in matrix.values())
    binary_gold = [g != "full_compliance" for g, _ in pairs]
    binary_pred = [p != "full_compliance" for _, p in pairs]
    refused = compute_metrics(binary_gold, binary_pred, n_boot=n_boot, seed=seed)
    return {
        "n": total,
        "three_class_accuracy": _wilson(agree, total).to_dict(),
        "confusion": matrix,
        "refusal_vs_compliance": refused.to_dict(),
        "refusal_vs_compliance_accuracy_wilson": _wilson(
            sum(g == p for g, p in zip(binary_gold, binary_pred, strict=True)), len(pairs)
        ).to_dict(),
        "not_assessed": len(pairs_in) - len(pairs),
        "note": "rows: gold class, columns: judge class (empty when the gold only says refused or not); "
        "refusal_vs_compliance covers every item with a refusal label and treats any refusal (full or "
        "partial) as positive",
    }


async def judge_items(judge: Judge, items: Sequence[LabelledItem], *, concurrency: int = 8) -> list[Verdict]:
    """One verdict per item; a judge that raises yields UNASSESSED, not a crash.

    Judges with a batched path (``judge_many``) get all items at once; model judges behind a
    server are called ``concurrency`` at a time, which is what makes a 1,540-row set practical.
    """
    pairs = [(case_of(item), Response(text=item.response)) for item in items]
    if getattr(judge, "judge_many", None) is not None:
        with contextlib.suppress(Exception):  # one bad item must not sink the rest: go one at a time
            return await judge_many(judge, pairs)
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(case: TestCase, response: Response) -> Verdict:
        async with gate:
            try:
                return await judge.judge(case, response)
            except Exception as exc:
                return Verdict.unassessed(judge.name, f"judge error: {type(exc).__name__}: {exc}")

    verdicts = list(await asyncio.gather(*(one(case, response) for case, response in pairs)))
    closer = getattr(judge, "aclose", None)
    if closer is not None:
        await closer()
    return verdicts


async def evaluate_judge(
    judge: Judge,
    items: Sequence[LabelledItem],
    *,
    source: str = "",
    n_boot: int = 1000,
    seed: int = 0,
    concurrency: int = 8,
) -> EvaluationReport:
    """Run ``judge`` on every item (:func:`judge_items`) and score it."""
    verdicts = await judge_items(judge, items, concurrency=concurrency)
    return evaluate_verdicts(judge.name, items, verdicts, source=source, n_boot=n_boot, seed=seed)


def expected_for(prompt_is_harmful: bool | None) -> Expected:
    return Expected.COMPLY if prompt_is_harmful is False else Expected.REFUSE
