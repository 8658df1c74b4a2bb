"""The proxy before a real model: llama.cpp's server with the embedded SmolLM2, judged by the embedded
judge, streamed and not; then a riskscope run replayed through the proxy as an ``openai:`` target."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from _guard_proxy import Proxy

from _cli import riskscope
from _llama_server import LlamaServer
from riskscope.store import Store

pytestmark = pytest.mark.slow

POLICY = {
    "default": "standard",
    "policies": {
        "standard": {
            "input_judges": ["embedded"],
            "output_judges": ["embedded"],
            "stream": {"chunk_chars": 40, "overlap_chars": 16},
        }
    },
}


def test_real_upstream_streamed_and_whole_with_the_embedded_judge(llama_server: LlamaServer, tmp_path: Path) -> None:
    upstream = llama_server.url
    store = tmp_path / "guard.db"
    body = {
        "model": "smollm2",
        "messages": [{"role": "user", "content": "Name three colours of the rainbow."}],
        "max_tokens": 24,
        "temperature": 0.0,
        "seed": 0,
    }
    # Twice: the first call warms the server's KV cache, after which a greedy answer repeats
    # (tests/_llama_server.py); the proxy's call then meets the same warm cache.
    httpx.post(f"{upstream}/chat/completions", json=body, timeout=600)
    direct = httpx.post(f"{upstream}/chat/completions", json=body, timeout=600).json()
    with Proxy(POLICY, upstream, store, timeout_s=300) as proxy:
        whole = httpx.post(f"{proxy.url}/chat/completions", json=body, timeout=600)
        with httpx.stream("POST", f"{proxy.url}/chat/completions", json={**body, "stream": True}, timeout=600) as r:
            raw = b"".join(r.iter_raw())
    assert whole.status_code == 200 and whole.headers["x-riskscope-action"] == "pass"
    # A pass forwards the model's own answer untouched.
    assert whole.json()["choices"][0]["message"]["content"] == direct["choices"][0]["message"]["content"]
    events = [json.loads(line[6:]) for line in raw.decode().splitlines() if line.startswith("data: {")]
    streamed = "".join(e["choices"][0]["delta"].get("content") or "" for e in events)
    assert streamed.strip() and events[-1]["choices"][0]["finish_reason"] in ("stop", "length")
    assert raw.decode().rstrip().endswith("data: [DONE]")
    with Store(store) as opened:
        log = list(reversed(opened.guard_page()))
    assert [d.stream for d in log] == [False, True] and all(d.action == "pass" for d in log)
    judged = {(v["stage"], v.get("judge")) for d in log for v in d.verdicts}
    assert ("input", "embedded") in judged and ("output", "embedded") in judged
    assert log[1].verdicts[-1]["windows"] >= 1


def test_a_run_replays_through_the_proxy_as_an_openai_target(llama_server: LlamaServer, tmp_path: Path) -> None:
    store = tmp_path / "runs.db"
    with Proxy(POLICY, llama_server.url, store, timeout_s=300) as proxy:
        result = riskscope(
            "run", "--target", f"openai:smollm2@{proxy.url}", "--suite", "demo", "--limit", "3",
            "--judge", "refusal", "--store", str(store), "--out", str(tmp_path / "out"), "--max-tokens", "24",
            timeout=600,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    with Store(store) as opened:
        run = opened.latest_run()
        assert sum(1 for _ in opened.results(run.id)) == 3
        calls = opened.call_journal(run.id)
        # One decision per request the run sent (a retried call sends more than one).
        assert opened.guard_count() == sum(1 + c["retries"] for c in calls) >= 3
