"""Every failure path of the openai target, through the whole pipeline, against a real faulty server.

Each case of the suite asks the fault server for one behaviour; the test then reads the store and
checks, item by item, the journaled outcome (ok, error kind, retry count) and that the verdict is
UNASSESSED with the failure's kind, never SAFE or UNSAFE. The run itself must complete.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from _fault_server import FaultServer

from riskscope.config import RunConfig
from riskscope.core import Outcome, RunStatus
from riskscope.runner import execute
from riskscope.store import Store

# scenario -> (call ok, error kind, retries journaled)
EXPECTED: dict[str, tuple[bool, str | None, int]] = {
    "ok": (True, None, 0),
    "rate_limit_once": (True, None, 1),
    "rate_limit_date": (True, None, 1),
    "fail_500_then_ok": (True, None, 1),
    "always_500": (False, "http_5xx", 2),
    "always_429": (False, "rate_limited", 2),
    "bad_request": (False, "http_4xx", 0),
    "hang": (False, "timeout", 2),
    "drip": (False, "timeout", 2),
    "reset": (False, "connection", 2),
    "malformed": (False, "malformed", 0),
    "no_choices": (False, "malformed", 0),
    "bad_gzip": (False, "malformed", 0),
    "empty": (False, "empty", 0),
    "content_filter": (False, "content_filter", 0),
}


def _suite(path: Path, scenarios: list[str]) -> Path:
    rows = [
        {"id": f"f-{name}", "prompt": f"Please answer. scenario:{name}", "hazard": "ncr", "expected": "refuse"}
        for name in scenarios
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _config(suite: Path, store: Path, url: str, **target: Any) -> RunConfig:
    return RunConfig.model_validate(
        {
            "suites": [f"jsonl:{suite}"],
            "target": {
                "name": "openai",
                "arg": f"fault-model@{url}",
                "concurrency": 16,
                "max_retries": 2,
                "read_timeout_s": 1.0,  # generous: a loaded CI machine must not time out the "ok" calls
                "connect_timeout_s": 1.0,
                **target,
            },
            "judges": ["refusal"],
            "store": str(store),
        }
    )


def test_every_failure_kind_is_stored_unassessed_and_the_run_goes_on(fault_server: FaultServer, tmp_path: Path) -> None:
    suite = _suite(tmp_path / "faults.jsonl", list(EXPECTED))
    config = _config(suite, tmp_path / "s.db", fault_server.url)
    with Store(config.store) as store:
        run, stats = asyncio.run(execute(config, store))
        assert run.status is RunStatus.COMPLETE
        assert stats.called == len(EXPECTED)
        assert stats.throttle_events >= 4  # two recovered 429s, then three for always_429
        case_of = {item.item_id: item.variant.case.id for item in store.items(run.id)}
        journal = {case_of[row["item_id"]]: row for row in store.call_journal(run.id)}
        verdicts = store.verdicts(run.id)
        assert set(journal) == {f"f-{name}" for name in EXPECTED}
        for item_id, case_id in case_of.items():
            scenario = case_id.removeprefix("f-")
            ok, kind, retries = EXPECTED[scenario]
            row = journal[case_id]
            assert (bool(row["ok"]), row["error_kind"], row["retries"]) == (ok, kind, retries), scenario
            verdict = verdicts[item_id]["refusal"]
            if ok:
                assert verdict.outcome in {Outcome.SAFE, Outcome.UNSAFE}, scenario
            else:
                assert verdict.outcome is Outcome.UNASSESSED, scenario
                assert verdict.labels["error_kind"] == kind, scenario
                assert verdict.reason is not None and kind in verdict.reason
                if scenario == "drip":  # read timeouts never fired; the whole-call deadline did
                    assert "3 s deadline" in verdict.reason
    # Retry-After was honoured: the second try came only after the server's delay.
    attempts = {scenario: n for (scenario, _), n in fault_server.attempts.items()}
    assert attempts["rate_limit_once"] == 2 and attempts["always_500"] == 3 and attempts["malformed"] == 1


def test_retry_reasons_reach_the_verdict(fault_server: FaultServer, tmp_path: Path) -> None:
    suite = _suite(tmp_path / "one.jsonl", ["always_500"])
    config = _config(suite, tmp_path / "s.db", fault_server.url)
    with Store(config.store) as store:
        run, _ = asyncio.run(execute(config, store))
        (verdicts,) = store.verdicts(run.id).values()
        reason = verdicts["refusal"].reason or ""
        assert "HTTP 500" in reason and "after 2 retries: http_5xx, http_5xx" in reason


def test_connection_refused_is_retried_then_unassessed(tmp_path: Path) -> None:
    from _fault_server import free_port

    suite = _suite(tmp_path / "one.jsonl", ["ok"])
    config = _config(suite, tmp_path / "s.db", f"http://127.0.0.1:{free_port()}/v1", max_retries=1)
    with Store(config.store) as store:
        run, stats = asyncio.run(execute(config, store))
        assert run.status is RunStatus.COMPLETE and stats.failed == 1
        (row,) = store.call_journal(run.id)
        assert (row["ok"], row["error_kind"], row["retries"]) == (0, "connection", 1)


def test_secret_key_never_reaches_store_or_results(
    fault_server: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sentinel = "sk-SENTINEL-7f3a9c2e1d"
    monkeypatch.setenv("RISKSCOPE_TEST_KEY", sentinel)
    suite = _suite(tmp_path / "keys.jsonl", ["ok", "echo_auth", "echo_auth_200", "always_500"])
    config = _config(suite, tmp_path / "s.db", fault_server.url, api_key_env="RISKSCOPE_TEST_KEY", max_retries=1)
    with Store(config.store) as store:
        run, _ = asyncio.run(execute(config, store))
        results = [
            {
                "response": None if r.response is None else r.response.model_dump(mode="json"),
                "verdicts": {k: v.model_dump(mode="json") for k, v in r.verdicts.items()},
            }
            for r in store.results(run.id)
        ]
        run_record = store.get_run(run.id).model_dump_json()
    # The key was really sent (so the test could have failed) ...
    assert all(r["headers"].get("Authorization") == f"Bearer {sentinel}" for r in fault_server.requests)
    # ... and the hostile server's echo of it was redacted everywhere we keep text.
    dumped = json.dumps(results) + run_record + caplog.text
    assert "[redacted]" in dumped
    assert sentinel not in dumped
    for path in tmp_path.glob("s.db*"):  # the database and its WAL
        assert sentinel.encode() not in path.read_bytes(), path


def test_personas_reach_the_server_as_system_prompts(fault_server: FaultServer, tmp_path: Path) -> None:
    suite = _suite(tmp_path / "p.jsonl", ["echo_system"])
    config = RunConfig.model_validate(
        {
            "suites": [f"jsonl:{suite}"],
            "target": f"openai:fault-model@{fault_server.url}",
            "judges": ["refusal"],
            "personas": [
                {"name": "plain"},
                {"name": "pirate", "system_prompt": "You are a pirate."},
            ],
            "store": str(tmp_path / "s.db"),
        }
    )
    with Store(config.store) as store:
        run, stats = asyncio.run(execute(config, store))
        assert stats.called == 2
        texts = {r.item.persona: r.response.text for r in store.results(run.id) if r.response is not None}
    assert texts == {"plain": "system prompt was: none", "pirate": "system prompt was: You are a pirate."}


def test_adaptive_concurrency_settles_under_a_server_capacity(fault_server: FaultServer, tmp_path: Path) -> None:
    """16 workers against room for 4: 429s halve the gate, every item still succeeds, and the
    server is not hammered (rejections stay a fraction of calls rather than growing with retries)."""
    rows = [{"id": f"cap-{i:02d}", "prompt": f"Question {i}. scenario:capacity", "hazard": "ncr"} for i in range(48)]
    suite = tmp_path / "cap.jsonl"
    suite.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    config = _config(suite, tmp_path / "s.db", fault_server.url, max_retries=6)
    with Store(config.store) as store:
        run, stats = asyncio.run(execute(config, store))
        journal = store.call_journal(run.id)
    assert run.status is RunStatus.COMPLETE
    assert all(row["ok"] for row in journal) and len(journal) == 48
    assert stats.throttle_events >= 1
    assert fault_server.rejected == sum(row["retries"] for row in journal) == stats.throttle_events
    assert fault_server.rejected < 48
