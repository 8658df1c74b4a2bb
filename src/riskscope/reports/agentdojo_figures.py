"""AgentDojo's three figures, per suite and attack and pooled: utility under attack, attack success
rate, and the no-attack baseline utility, each a rate with its Wilson interval.

Read from the ``agentdojo`` judge's verdict labels (``utility``, ``security``; ``judges.agentdojo``),
whatever the run's headline judge is. An UNASSESSED episode (a target error, the round cap, a check
that could not run) enters no denominator: it is counted beside the rates with its reason, never
as utility false or as a failed attack.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from riskscope.core import Outcome
from riskscope.stats import wilson_interval
from riskscope.store import ResultRow

__all__ = ["agentdojo_figures"]

JUDGE = "agentdojo"


def _rate(count: int, n: int) -> dict[str, Any]:
    """A count with its Wilson interval; no point estimate (None, not NaN) when nothing was assessed."""
    rate = wilson_interval(count, n).to_dict()
    return {"count": count, **rate, "point": rate["point"] if n else None}


def _reason_kind(reason: str | None) -> str:
    """A short kind for an unassessed reason (an episode's reason starts with its strategy spec)."""
    text = reason or "unknown"
    for kind in ("round cap", "target error", "tool emulator error", "AgentDojo check failed", "not an AgentDojo case"):
        if kind in text:
            return kind
    return text[:80]


def _group(rows: list[tuple[str, Any]]) -> dict[str, Any]:
    """Counts of one slice: (mode, verdict) pairs -> rates with intervals and unassessed reasons."""
    attacked = [v for mode, v in rows if mode == "attack"]
    baseline = [v for mode, v in rows if mode == "baseline"]
    out: dict[str, Any] = {}
    for name, verdicts in (("attacked", attacked), ("baseline", baseline)):
        assessed = [v for v in verdicts if v.outcome is not Outcome.UNASSESSED]
        reasons = Counter(_reason_kind(v.reason) for v in verdicts if v.outcome is Outcome.UNASSESSED)
        useful = sum(v.labels.get("utility") == "true" for v in assessed)
        block: dict[str, Any] = {
            "cases": len(verdicts),
            "assessed": len(assessed),
            "unassessed": len(verdicts) - len(assessed),
            "unassessed_reasons": dict(reasons),
            "utility": _rate(useful, len(assessed)),
        }
        if name == "attacked":
            hits = sum(v.labels.get("security") == "true" for v in assessed)
            block["attack_success"] = _rate(hits, len(assessed))
        out[name] = block if verdicts else None
    return out


def agentdojo_figures(rows: Iterable[ResultRow], judges: list[str]) -> dict[str, Any] | None:
    """Per (suite, attack) and pooled per attack; None when the run has no ``agentdojo`` verdicts."""
    if JUDGE not in judges:
        return None
    by_suite: dict[tuple[str, str], list[tuple[str, Any]]] = defaultdict(list)
    by_attack: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    baseline_by_suite: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for row in rows:
        meta = row.item.variant.case.metadata.get("agentdojo")
        verdict = row.verdicts.get(JUDGE)
        if not isinstance(meta, dict) or verdict is None:
            continue
        suite = str(meta.get("suite"))
        if meta.get("injection_task") is None:
            baseline_by_suite[suite].append(("baseline", verdict))
            continue
        attack = str(meta.get("attack"))
        by_suite[(suite, attack)].append(("attack", verdict))
        by_attack[attack].append(("attack", verdict))
    if not by_suite and not baseline_by_suite:
        return None
    suites = sorted({s for s, _ in by_suite} | set(baseline_by_suite))
    groups = []
    for suite in suites:
        attacks = sorted(a for s, a in by_suite if s == suite) or ["none"]
        for attack in attacks:
            figures = _group(by_suite.get((suite, attack), []) + baseline_by_suite.get(suite, []))
            groups.append({"suite": suite, "attack": attack, **figures})
    all_baseline = [p for suite in suites for p in baseline_by_suite.get(suite, [])]
    pooled = [
        {"suite": "all", "attack": attack, **_group(by_attack[attack] + all_baseline)} for attack in sorted(by_attack)
    ]
    if not pooled:
        pooled = [{"suite": "all", "attack": "none", **_group(all_baseline)}]
    return {"judge": JUDGE, "groups": groups, "pooled": pooled if len(suites) > 1 else []}
