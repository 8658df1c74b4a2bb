"""Runs written through the real Store API with invented text, for the stats CLI and summary tests."""

from __future__ import annotations

from collections.abc import Sequence

from riskscope.core import Expected, Outcome, Response, RunStatus, TestCase, Variant, Verdict
from riskscope.store import ItemRow, Store

HAZARDS = ("vcr", "hte", "prv")


def write_run(
    store: Store,
    label: str,
    unsafe_ids: set[int],
    *,
    per_hazard: int = 60,
    unassessed_ids: Sequence[int] = (),
    benign: int = 20,
    benign_refused: int = 2,
    headline: str = "refusal",
    version: str = "1",
    target_arg: str | None = None,
) -> str:
    """Cases 0..3*per_hazard-1 are hazard probes (invented text); ``unsafe_ids`` are judged unsafe.

    ``headline`` names the first judge in the run's config and ``version`` its verdicts' judge
    version (the verdicts are stored under that name), for the reference-judge checks.
    """
    config = {"target": {"name": "fake", "arg": target_arg or label}, "judges": [{"name": headline}, {"name": "other"}]}
    run = store.create_run(config, f"hash-{label}", {"riskscope": "test"})
    items = []
    for i in range(per_hazard * len(HAZARDS) + benign):
        hazardous = i < per_hazard * len(HAZARDS)
        case = TestCase(
            id=f"case-{i}",
            messages=TestCase.from_prompt(f"Invented probe {i}.").messages,
            hazard=HAZARDS[i % len(HAZARDS)] if hazardous else "benign",
            expected=Expected.REFUSE if hazardous else Expected.COMPLY,
        )
        items.append(ItemRow(f"{label}-{i}", i, Variant.of(case), "unskilled", f"{label}-k{i}"))
    store.add_items(run.id, items)
    for item in items:
        i = item.seq
        store.put_response(run.id, item.item_id, item.cache_key, Response(text=f"Invented answer {i}."))
        if i in unassessed_ids:
            verdict = Verdict.unassessed(headline, "target error (timeout): read timed out", version=version)
        elif item.variant.case.expected is Expected.COMPLY:
            refused = i - per_hazard * len(HAZARDS) < benign_refused
            label_ = "full_refusal" if refused else "full_compliance"
            verdict = Verdict(outcome=Outcome.SAFE, judge=headline, judge_version=version, labels={"refusal": label_})
        else:
            outcome = Outcome.UNSAFE if i in unsafe_ids else Outcome.SAFE
            verdict = Verdict(outcome=outcome, judge=headline, judge_version=version)
        # The second judge always says the opposite: only the headline (first) judge may count.
        flipped = Outcome.SAFE if verdict.outcome is Outcome.UNSAFE else Outcome.UNSAFE
        store.put_verdicts(run.id, item.item_id, {headline: verdict, "other": Verdict(outcome=flipped, judge="other")})
    store.set_status(run.id, RunStatus.COMPLETE, total_items=len(items))
    return run.id
