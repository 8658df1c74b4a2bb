"""The dashboard's guard page lists the proxy's decisions from the store, filtered and escaped."""

from __future__ import annotations

from pathlib import Path

import httpx
from _dashboard import RunningServer

from riskscope.server import create_app
from riskscope.store import GuardDecision, Store


def _decision(i: int, action: str, policy: str, reason: str | None = None) -> GuardDecision:
    return GuardDecision(
        request_hash=f"req{i:04d}",
        policy=policy,
        stage="none" if action == "pass" else "output",
        action=action,
        verdicts=[{"stage": "output", "judge": "embedded", "outcome": "unsafe" if action == "block" else "safe"}],
        stream=False,
        check_latency_s=0.002,
        total_latency_s=0.05,
        upstream_status=200,
        reason=reason,
    )


def test_guard_page_counts_filters_pages_and_escapes(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with Store(path) as store:
        rows = [_decision(i, "block" if i % 3 == 0 else "pass", "standard") for i in range(60)]
        rows.append(_decision(60, "flag", "audit", reason="<script>alert(1)</script>"))
        store.record_guard_decisions(rows)
    with RunningServer(create_app(path)) as url:
        page = httpx.get(f"{url}/guard", timeout=10)
        blocks = httpx.get(f"{url}/guard", params={"action": "block"}, timeout=10)
        older = httpx.get(f"{url}/guard", params={"page": "2"}, timeout=10)
        bad = httpx.get(f"{url}/guard", params={"action": "explode"}, timeout=10)
        empty_store = tmp_path / "empty.db"
        Store(empty_store).close()
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    assert "61 decisions" in page.text and "req0060" in page.text and "req0000" not in page.text  # newest first
    assert "20 decisions matching" in blocks.text and "req0001" not in blocks.text
    assert "req0000" in older.text
    assert bad.status_code == 400
    with RunningServer(create_app(empty_store)) as url:
        assert "No decisions in this store yet" in httpx.get(f"{url}/guard", timeout=10).text
