"""``riskscope guard serve`` as a user starts it: a subprocess that listens, proxies and logs."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
from _fault_server import free_port
from _upstream import ScriptedServer

from _cli import CLI
from riskscope.store import StoreQuery

POLICY = "default: p\npolicies:\n  p:\n    output_judges: [embedded]\n"


def test_guard_serve_listens_proxies_and_logs(scripted: ScriptedServer, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    store = tmp_path / "guard.db"
    port = free_port()
    command = [
        *CLI, "guard", "serve", "--policy", str(policy), "--upstream", scripted.url(), "--port", str(port),
        "--store", str(store),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.HTTPError:
                assert process.poll() is None and time.monotonic() < deadline, "guard serve did not start"
                time.sleep(0.2)
        assert health.json() == {"status": "ok", "policies": ["p"], "default": "p"}
        body = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}
        answer = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=30)
        assert answer.status_code == 200 and answer.headers["x-riskscope-action"] == "pass"
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
    assert f"riskscope guard on http://127.0.0.1:{port}/v1 -> {scripted.url()}" in out
    with StoreQuery(store) as query:
        assert query.guard_count() == 1  # written before the process exited
