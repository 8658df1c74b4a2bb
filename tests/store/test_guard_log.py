"""The guard's decision log in the store: written in batches, read newest first, counted in SQL."""

from __future__ import annotations

from pathlib import Path

from riskscope.store import SCHEMA_VERSION, GuardDecision, Store


def decision(i: int, action: str, policy: str = "standard") -> GuardDecision:
    verdicts = [{"stage": "output", "judge": "embedded", "outcome": "unsafe" if action == "block" else "safe"}]
    return GuardDecision(
        request_hash=f"h{i}",
        policy=policy,
        stage="output" if action != "pass" else "none",
        action=action,
        verdicts=verdicts,
        stream=i % 2 == 0,
        check_latency_s=0.01 * i,
        total_latency_s=0.1 * i,
        upstream_status=200,
    )


def test_decisions_round_trip_and_count_by_policy_and_action(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        store.record_guard_decisions([decision(1, "pass"), decision(2, "block"), decision(3, "flag", "audit")])
        store.record_guard_decisions([decision(4, "block")])
        store.record_guard_decisions([])
    with Store(path) as store:  # reopened: what was written is on disk
        log = store  # the reads: StoreQuery
        assert log.guard_count() == 4 and log.guard_count(action="block") == 2 and log.guard_count(policy="audit") == 1
        newest = log.guard_page(limit=2)
        assert [d.request_hash for d in newest] == ["h4", "h3"]
        assert newest[0].verdicts[0]["outcome"] == "unsafe" and newest[0].stream is True
        assert [d.request_hash for d in log.guard_page(limit=2, offset=2)] == ["h2", "h1"]
        assert [d.request_hash for d in log.guard_page(policy="standard", action="block")] == ["h4", "h2"]
        counts = {(c["policy"], c["action"]): c["count"] for c in log.guard_action_counts()}
        assert counts == {("audit", "flag"): 1, ("standard", "block"): 2, ("standard", "pass"): 1}
