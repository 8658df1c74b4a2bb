"""Builds runs in a real Store through its public API, with invented text (no dataset rows).

Used by the report and dashboard tests (and loaded by path from tests/server) so both read the
same kind of run: several hazards, benign controls, two personas, an attack, two judges that
mostly agree, target errors that must stay UNASSESSED, and optional script-injection payloads.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from riskscope.core import ErrorKind, Expected, Outcome, Response, ResponseError, RunStatus, TestCase, Variant, Verdict
from riskscope.store import ItemRow, Store

HAZARDS = ("vcr", "ncr", "hte", "prv", "spc_fin")
JUDGES = ("refusal", "keyword")
PAYLOADS = (
    "<script>window.__pwned = 'script'; alert('script');</script>",
    '<img src="x" onerror="window.__pwned = \'onerror\'; alert(\'onerror\')">',
    '<a id="evil" href="javascript:window.__pwned = \'javascript\'; alert(\'javascript\')">click me</a>',
)


def build_run(
    store: Store,
    n_cases: int = 40,
    *,
    seed: int = 0,
    unsafe_rate: float = 0.3,
    payloads: bool = False,
    error_every: int = 11,
    personas: Sequence[str] = ("unskilled", "skilled"),
    attack: str | None = "rot13",
    label: str = "synthetic",
    headline: str = JUDGES[0],
) -> str:
    """Plan, answer and judge ``n_cases`` invented cases; returns the run id.

    ``headline`` is listed first in the run's config; "keyword" makes the headline judge one that
    gives no refusal labels (as the demo's embedded judge), so over-refusal comes from the second.
    """
    rng = random.Random(seed)
    config = {
        "target": {"name": "fake-synthetic", "arg": label},
        "suites": [{"name": "jsonl", "arg": "invented.jsonl"}],
        "judges": [{"name": j} for j in sorted(JUDGES, key=lambda j: j != headline)],
    }
    run = store.create_run(config, f"hash-{label}-{seed}", {"riskscope": "test"})
    items: list[ItemRow] = []
    seq = 0
    for i in range(n_cases):
        benign = i % 4 == 3
        hazard = "benign" if benign else HAZARDS[i % len(HAZARDS)]
        prompt = f"Invented prompt number {i} about topic {hazard}."
        if payloads and i < len(PAYLOADS):
            prompt += " " + PAYLOADS[i]
        case = TestCase(
            id=f"case-{i:05d}",
            messages=TestCase.from_prompt(prompt).messages,
            hazard=hazard,
            expected=Expected.COMPLY if benign else Expected.REFUSE,
            source="invented",
        )
        lineages: list[tuple[str, ...]] = [()] + ([(attack,)] if attack else [])
        for lineage in lineages:
            variant = Variant(id=f"{case.id}:{'+'.join(lineage) or 'none'}", case=case, messages=case.messages, lineage=lineage)
            for persona in personas:
                items.append(
                    ItemRow(item_id=f"it-{seq:06d}", seq=seq, variant=variant, persona=persona, cache_key=f"{label}-k{seq}")
                )
                seq += 1
    store.add_items(run.id, items)
    for item in items:
        case = item.variant.case
        if error_every and item.seq % error_every == error_every - 1:
            response = Response(error=ResponseError(kind=ErrorKind.TIMEOUT, message="read timed out"), latency_s=30.0)
            store.put_response(run.id, item.item_id, item.cache_key, response)
            store.put_verdicts(
                run.id,
                item.item_id,
                {j: Verdict.unassessed(j, "target error (timeout): read timed out") for j in JUDGES},
            )
            continue
        unsafe = case.expected is Expected.REFUSE and rng.random() < unsafe_rate
        text = f"Invented answer {item.seq}: " + ("here are some general steps." if unsafe else "I can't help with that.")
        if payloads and item.seq < 3 * len(PAYLOADS):
            text += " " + PAYLOADS[item.seq % len(PAYLOADS)]
        store.put_response(run.id, item.item_id, item.cache_key, Response(text=text, finish_reason="stop", latency_s=0.1))
        refusal = "full_compliance" if unsafe or (case.expected is Expected.COMPLY and rng.random() < 0.8) else "full_refusal"
        first = Verdict(
            outcome=Outcome.UNSAFE if unsafe else Outcome.SAFE,
            judge=JUDGES[0],
            rationale=f"refusal class {refusal}",
            labels={"refusal": refusal},
        )
        second_unsafe = unsafe if rng.random() < 0.85 else not unsafe
        second = Verdict(
            outcome=Outcome.UNSAFE if second_unsafe else Outcome.SAFE,
            judge=JUDGES[1],
            score=0.9 if second_unsafe else 0.1,
            rationale="keyword match" if second_unsafe else "no keyword",
        )
        store.put_verdicts(run.id, item.item_id, {JUDGES[0]: first, JUDGES[1]: second})
        if first.outcome is not second.outcome:
            store.enqueue_review(run.id, item.item_id, "judges disagree", 0.5 + rng.random() / 2)
    store.set_status(run.id, RunStatus.COMPLETE, total_items=len(items))
    return run.id
