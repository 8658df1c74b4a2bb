"""The user's agents of the agent-target tests: functions for ``agent-callable`` and the handler of
a tiny HTTP agent app for ``agent-http`` (a real server on 127.0.0.1).

They answer from the request's content only (the scripted agent of ``_scripted_agent``), so a
resumed episode sees the answers a straight one would. ``SEEN_TOOLS`` records the tools each call
was given.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from _scripted_agent import agent_reply

SEEN_TOOLS: list[list[dict[str, Any]]] = []
SEEN_BODIES: list[dict[str, Any]] = []


def _short(messages: Sequence[dict[str, Any]]) -> Any:
    """The scripted agent's turn in the contract's short shape (a string when it answers in text)."""
    reply = agent_reply(messages)
    if not reply["tool_calls"]:
        return reply["content"]
    calls = []
    for call in reply["tool_calls"]:
        short: dict[str, Any] = {"name": call["function"]["name"], "arguments": call["function"]["arguments"]}
        if "id" in call:
            short["id"] = call["id"]
        calls.append(short)
    return {"text": None, "tool_calls": calls}


def scripted(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
    SEEN_TOOLS.append(tools)
    return _short(messages)


async def scripted_async(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
    return scripted(messages, tools)


def bad_shapes(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
    """Round 1: three calls whose shape is wrong, then one good one; round 2: a text answer."""
    if any(m["role"] == "assistant" for m in messages):
        return {"text": "done: " + " | ".join(m["content"] for m in messages if m["role"] == "tool")}
    return {
        "tool_calls": [
            42,
            {"arguments": {"query": "no name"}},
            {"name": "lookup", "arguments": 7},
            {"name": "lookup", "arguments": {"query": "fine"}},
        ]
    }


def breaks_contract(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
    return 42


def raises(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
    raise RuntimeError("the agent loop crashed")


def sleeps(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
    time.sleep(3)
    return "too late"


class AgentApp(BaseHTTPRequestHandler):
    """POST /agent (scripted), /shapes (bad call shapes), /fail (500), /slow (3 s), /list (a JSON list)."""

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # /slow: the client gave up
            self.wfile.write(data)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        SEEN_BODIES.append(body)
        if self.path == "/agent":
            reply = _short(body["messages"])
            self._send(200, {"text": reply} if isinstance(reply, str) else reply)
        elif self.path == "/shapes":
            self._send(200, bad_shapes(body["messages"], body["tools"]))
        elif self.path == "/fail":
            self._send(500, {"error": "agent app is down"})
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200, {"text": "too late"})
        else:
            self._send(200, [1, 2])


@contextmanager
def agent_app() -> Iterator[str]:
    """A real agent app on a free port of 127.0.0.1; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), AgentApp)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


XSS = "<script>alert('x')</script>"


def xss_agent(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
    """Round 1: a call with script in its arguments, and a malformed one; round 2: a text answer."""
    if any(m["role"] == "assistant" for m in messages):
        return "Done. " + XSS
    return {
        "tool_calls": [
            {"name": "lookup", "arguments": {"query": XSS}, "id": "x-1"},
            {"name": "lookup", "arguments": '{"query": "' + XSS},
            {"name": "explode", "arguments": {"x": 1}},
        ]
    }


def xss_tools() -> dict[str, Any]:
    """A Python environment whose observation carries script, and a tool that raises."""

    def explode(x: int) -> str:
        raise ValueError(f"<b>boom</b> {x}")

    return {"lookup": lambda query: f"found {query} <img src=x onerror=alert(1)>", "explode": explode}


def xss_run(tmp_path: Any) -> tuple[Any, Any]:
    """A finished agent run with script everywhere a model or tool writes: (store path, run id)."""
    import asyncio

    from _scripted_agent import EXPLODE, LOOKUP

    from riskscope.config import RunConfig
    from riskscope.runner import execute
    from riskscope.store import Store

    case = {
        "id": "xss-agent",
        "prompt": "Invented task: look up the entry.",
        "hazard": "asb-leak",
        "metadata": {
            "agent": {"tools": [LOOKUP, EXPLODE], "environment": "python:_agenttgt_apps:xss_tools", "rounds": 3}
        },
    }
    suite = tmp_path / "suite.jsonl"
    suite.write_text(json.dumps(case) + "\n")
    config = RunConfig.model_validate(
        {
            "suites": [f"jsonl:{suite}"],
            "target": {"name": "agent-callable", "arg": "_agenttgt_apps:xss_agent", "concurrency": 1},
            "judges": ["refusal", "trajectory"],
            "store": str(tmp_path / "s.db"),
        }
    )
    with Store(config.store) as store:
        record, _stats = asyncio.run(execute(config, store))
    return config.store, record.id
