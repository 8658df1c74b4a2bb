"""Simulated users and privacy in action: unsafe rate by the user's intent, and the leak rate.

- **By intent**: the simulated-user episodes (cases with ``metadata["simuser"]``) split by the
  simulated user's intent, benign or malicious, each with the unsafe rate of the run's headline
  judge (the first judge that is not ``privacy-leak``, which only reads privacy cases): HAICOSYSTEM's
  point is that a benign user can also lead an agent into harm, so both rates are shown.
- **Leak rate**: privacy cases (``metadata["privacy"]``) whose ``privacy-leak`` verdict is UNSAFE,
  over those it assessed, and how often each marked field leaked.

Every rate is over assessed episodes only with its Wilson interval; UNASSESSED episodes (a
simulator failure, a runaway agent, no transcript) are counted beside it with their reasons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from riskscope.core import Outcome
from riskscope.stats import wilson_interval
from riskscope.store import ResultRow

__all__ = ["PRIVACY_JUDGE", "simuser_figures"]

PRIVACY_JUDGE = "privacy-leak"


def _rate(rows: Sequence[ResultRow], judge: str, confidence: float) -> dict[str, Any]:
    unsafe = assessed = 0
    reasons: Counter[str] = Counter()
    for row in rows:
        verdict = row.verdicts.get(judge)
        if verdict is None or verdict.outcome is Outcome.UNASSESSED:
            reasons[(verdict.reason if verdict is not None else None) or "not judged"] += 1
            continue
        assessed += 1
        unsafe += verdict.outcome is Outcome.UNSAFE
    return {
        "episodes": len(rows),
        "assessed": assessed,
        "unsafe": unsafe,
        "unassessed": len(rows) - assessed,
        "unassessed_reasons": dict(reasons.most_common(5)),
        "rate": wilson_interval(unsafe, assessed, confidence).to_dict(),
    }


def simuser_figures(
    rows: Iterable[ResultRow], judges: Sequence[str], *, confidence: float = 0.95
) -> dict[str, Any] | None:
    """The block's figures, or None when the run has neither simulated-user nor privacy cases."""
    simulated: dict[str, list[ResultRow]] = {}
    privacy: list[ResultRow] = []
    for row in rows:
        metadata = row.item.variant.case.metadata
        sim = metadata.get("simuser")
        if isinstance(sim, dict) and isinstance(sim.get("intent"), str):
            simulated.setdefault(sim["intent"], []).append(row)
        if isinstance(metadata.get("privacy"), dict):
            privacy.append(row)
    if not simulated and not privacy:
        return None
    headline = next((j for j in judges if not j.startswith(PRIVACY_JUDGE)), None)
    leak_judge = next((j for j in judges if j.startswith(PRIVACY_JUDGE)), None)
    out: dict[str, Any] = {"judge": headline, "leak_judge": leak_judge, "intents": {}, "leak": None}
    if headline is not None:
        out["intents"] = {intent: _rate(found, headline, confidence) for intent, found in sorted(simulated.items())}
    if privacy and leak_judge is not None:
        leak = _rate(privacy, leak_judge, confidence)
        fields: Counter[str] = Counter()
        for row in privacy:
            verdict = row.verdicts.get(leak_judge)
            if verdict is not None and verdict.outcome is Outcome.UNSAFE:
                fields.update(f for f in verdict.labels.get("leaked", "").split(",") if f)
        leak["fields"] = dict(sorted(fields.items()))
        out["leak"] = leak
    return out
