"""The proxy over real HTTP: a scripted upstream, a Llama Guard judge behind a scripted endpoint.

Each test runs the real proxy (uvicorn on 127.0.0.1) and reads the client's raw bytes, the
upstream's record of what it was sent and the store's decision log.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
from _guard_proxy import Proxy, guard_judge
from _upstream import MARKER, ScriptedServer

from riskscope.store import Store

KEY = "sk-test-guard-secret-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


def policies(server: ScriptedServer, **extra: Any) -> dict[str, Any]:
    judge = guard_judge(server)
    return {
        "default": "standard",
        "policies": {
            "standard": {
                "input_judges": [judge],
                "output_judges": [judge],
                "refusal_message": "Blocked by policy.",
                **extra,
            },
            "audit": {"output_judges": [judge], "on_unsafe": "flag"},
            "open": {},
        },
    }


def ask(url: str, text: str, *, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
    payload = {"model": "scripted", "messages": [{"role": "user", "content": text}], **body}
    return httpx.post(f"{url}/chat/completions", json=payload, headers={**AUTH, **(headers or {})}, timeout=30)


def decisions(store: Path) -> list[dict[str, Any]]:
    with Store(store) as opened:
        return [d.__dict__ for d in reversed(opened.guard_page(limit=1000))]


def test_pass_block_and_flag_non_streaming(scripted: ScriptedServer, tmp_path: Path) -> None:
    store = tmp_path / "guard.db"
    with Proxy(policies(scripted), scripted.url(), store) as proxy:
        fine = ask(proxy.url, "What is the capital of France?")
        out_blocked = ask(proxy.url, "say: here it is {M} recipe")
        in_blocked = ask(proxy.url, f"tell me the {MARKER} thing")
        flagged = ask(proxy.url, "say: {M} again", headers={"X-Riskscope-Policy": "audit"})
        models = httpx.get(f"{proxy.url}/models", headers=AUTH, timeout=10)
    assert (
        fine.status_code == 200 and fine.json()["choices"][0]["message"]["content"] == "Paris is the capital of France."
    )
    assert fine.headers["x-riskscope-action"] == "pass" and "riskscope_guard" not in fine.json()
    body = out_blocked.json()
    assert body["choices"][0]["message"]["content"] == "Blocked by policy."
    assert body["choices"][0]["finish_reason"] == "content_filter"
    assert body["riskscope_guard"]["stage"] == "output" and MARKER not in out_blocked.text
    assert in_blocked.json()["riskscope_guard"]["stage"] == "input"
    assert flagged.json()["choices"][0]["message"]["content"] == f"{MARKER} again"
    assert flagged.json()["riskscope_guard"]["action"] == "flag"
    assert models.status_code == 200 and models.json()["data"][0]["id"] == "scripted"
    # The input block never reached the upstream; the other three did.
    sent = [r["body"]["messages"][-1]["content"] for r in scripted.chat_requests()]
    assert f"tell me the {MARKER} thing" not in sent
    log = decisions(store)
    assert [(d["policy"], d["action"], d["stage"]) for d in log] == [
        ("standard", "pass", "none"),
        ("standard", "block", "output"),
        ("standard", "block", "input"),
        ("audit", "flag", "output"),
    ]
    assert [(v["stage"], v["judge"], v["outcome"]) for v in log[1]["verdicts"]] == [
        ("input", "llama-guard-4", "safe"),
        ("output", "llama-guard-4", "unsafe"),
    ]
    assert all(d["check_latency_s"] <= d["total_latency_s"] for d in log)


def test_policy_selection_by_header_or_body_and_unknown_is_400(scripted: ScriptedServer, tmp_path: Path) -> None:
    with Proxy(policies(scripted), scripted.url(), tmp_path / "g.db") as proxy:
        by_body = ask(proxy.url, "say: {M}", safety_config="open")
        unknown = ask(proxy.url, "hi", headers={"X-Riskscope-Policy": "nope"})
        unknown_body = ask(proxy.url, "hi", safety_config="nope")
        clash = ask(proxy.url, "hi", headers={"X-Riskscope-Policy": "open"}, safety_config="audit")
        not_json = httpx.post(f"{proxy.url}/chat/completions", content=b"{", headers=AUTH, timeout=10)
    assert by_body.status_code == 200 and by_body.json()["choices"][0]["message"]["content"] == MARKER
    assert "safety_config" not in scripted.chat_requests()[-1]["body"]  # the upstream never sees it
    for response in (unknown, unknown_body):
        assert response.status_code == 400 and "unknown policy 'nope'" in response.json()["error"]["message"]
    assert clash.status_code == 400 and "disagree" in clash.json()["error"]["message"]
    assert not_json.status_code == 400


def test_the_api_key_is_forwarded_upstream_and_never_stored(scripted: ScriptedServer, tmp_path: Path) -> None:
    store = tmp_path / "guard.db"
    with Proxy(policies(scripted), scripted.url(), store) as proxy:
        ask(proxy.url, "hello")
        ask(proxy.url, "say: {M}", stream=True)
    with Proxy(policies(scripted), scripted.url("echo_auth"), store) as proxy:
        refused = ask(proxy.url, "hello")
    with Proxy(policies(scripted), "http://127.0.0.1:9/v1", store) as proxy:  # nothing listens on port 9
        unreachable = ask(proxy.url, "hello")
    forwarded = [{k.lower(): v for k, v in r["headers"].items()} for r in scripted.chat_requests()]
    assert forwarded and all(h.get("authorization") == f"Bearer {KEY}" for h in forwarded)
    assert refused.status_code == 401  # the upstream's own answer goes back to its client, as it is
    assert unreachable.status_code == 502
    assert len(decisions(store)) == 4
    for path in store.parent.iterdir():  # the database and its WAL: no trace of the key anywhere
        assert KEY.encode() not in path.read_bytes(), path.name
    with sqlite3.connect(store) as db:
        reasons = [r[0] for r in db.execute("SELECT reason FROM guard_decisions WHERE reason IS NOT NULL")]
    assert any("401" in r for r in reasons) and any("unreachable" in r for r in reasons)
    assert [d["action"] for d in decisions(store)][-2:] == ["error", "error"]


def test_a_judge_that_times_out_or_fails_blocks_by_default(scripted: ScriptedServer, tmp_path: Path) -> None:
    hang = guard_judge(scripted, "guard_hang")
    down = guard_judge(scripted, "guard_500")
    config = {
        "default": "closed",
        "policies": {
            "closed": {"output_judges": [hang], "judge_timeout_s": 0.5},
            "down": {"output_judges": [down]},
            "open": {"output_judges": [hang], "judge_timeout_s": 0.5, "on_judge_error": "pass"},
        },
    }
    store = tmp_path / "guard.db"
    with Proxy(config, scripted.url(), store) as proxy:
        closed = ask(proxy.url, "hello")
        closed_stream = httpx.post(
            f"{proxy.url}/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "say: " + "word " * 80}], "stream": True},
            headers=AUTH,
            timeout=30,
        )
        failed = ask(proxy.url, "hello", headers={"X-Riskscope-Policy": "down"})
        opened = ask(proxy.url, "hello", headers={"X-Riskscope-Policy": "open"})
    assert closed.json()["choices"][0]["finish_reason"] == "content_filter"
    assert "word" not in closed_stream.text and "content_filter" in closed_stream.text
    assert failed.json()["choices"][0]["finish_reason"] == "content_filter"
    assert opened.json()["choices"][0]["message"]["content"] == "Paris is the capital of France."
    log = decisions(store)
    assert [d["action"] for d in log] == ["block", "block", "block", "pass"]
    reasons = [v.get("reason", "") for d in log for v in d["verdicts"]]
    assert any("timed out after 0.5 s" in r for r in reasons)
    assert any("judge endpoint error" in r for r in reasons)


def test_upstream_faults_reach_the_client_as_errors_and_the_log(tmp_path: Path) -> None:
    """The targets' fault-injecting server as the upstream: an error status passes through, a
    malformed answer is never forwarded unchecked, a hanging upstream times out; each is logged."""
    from _fault_server import FaultServer

    fault = FaultServer(hang_s=3.0).start()
    store = tmp_path / "guard.db"
    config = {"default": "p", "policies": {"p": {"output_judges": ["embedded"]}}}
    try:
        answers = {}
        for scenario in ("always_500", "malformed", "hang", "ok"):
            proxy = Proxy(config, fault.scenario_url(scenario), store, timeout_s=1.0)
            with proxy:
                answers[scenario] = ask(proxy.url, "hello")
    finally:
        fault.stop()
    assert answers["always_500"].status_code == 500
    assert answers["malformed"].status_code == 502 and "unreadable" in answers["malformed"].text
    assert answers["hang"].status_code == 502 and "ReadTimeout" in answers["hang"].text
    assert answers["ok"].status_code == 200
    log = decisions(store)
    assert [(d["upstream_status"], d["action"]) for d in log] == [
        (500, "error"),
        (200, "error"),
        (None, "error"),
        (200, "pass"),
    ]
    assert [bool(d["reason"]) for d in log] == [True, True, True, False]
