"""The running proxy for the guard's tests: uvicorn on 127.0.0.1 before any upstream."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from _dashboard import RunningServer
from _upstream import ScriptedServer

from riskscope.guard import PolicyFile, create_proxy_app


def guard_judge(server: ScriptedServer, scenario: str = "guard", timeout_s: float = 5.0) -> dict[str, Any]:
    """Llama Guard 4 (chat mode) behind the scripted guard endpoint: blocks text containing FORBIDDEN."""
    return {
        "name": "llama-guard-4",
        "arg": f"guard@{server.url(scenario)}",
        "options": {"timeout_s": timeout_s, "max_retries": 0},
    }


class Proxy:
    """A running proxy; ``url`` is its /v1 base."""

    def __init__(self, policies: dict[str, Any], upstream: str, store: Path | None, timeout_s: float = 5.0) -> None:
        self.policies = PolicyFile.model_validate(policies)
        self.app = create_proxy_app(self.policies, upstream, store_path=store, upstream_timeout_s=timeout_s)
        self._running = RunningServer(self.app)
        self.url = ""

    def __enter__(self) -> Proxy:
        self.url = self._running.__enter__() + "/v1"
        return self

    def __exit__(self, *exc: object) -> None:
        self._running.__exit__(*exc)
