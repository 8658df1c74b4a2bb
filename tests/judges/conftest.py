"""A recording proxy in front of the session's real llama.cpp server (tests/conftest.py `llama_server`).

SmolLM2-135M stands in for the guard and rubric models: it is not a competent judge, but it is a
real server speaking the real protocol. The proxy (also on loopback) keeps every request body byte
for byte, so tests can assert on the exact prompt the "guard model" received.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from _llama_server import LlamaServer


@dataclass
class RecordingProxy:
    """Forwards POSTs to the upstream server and keeps (path, raw body, parsed body, reply)."""

    url: str
    upstream: str
    requests: list[tuple[str, bytes, dict[str, Any]]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)

    def clear(self) -> None:
        self.requests.clear()
        self.replies.clear()


def _handler(proxy: RecordingProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            path = self.path.removeprefix("/v1")
            proxy.requests.append((path, raw, json.loads(raw)))
            upstream = httpx.post(
                proxy.upstream + path, content=raw, headers={"Content-Type": "application/json"}, timeout=300
            )
            try:
                proxy.replies.append(upstream.json())
            except ValueError:
                proxy.replies.append({})
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            self.wfile.write(upstream.content)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture(scope="session")
def recording_proxy(llama_server: LlamaServer) -> Iterator[RecordingProxy]:
    proxy = RecordingProxy(url="", upstream=llama_server.url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def proxy(recording_proxy: RecordingProxy) -> RecordingProxy:
    recording_proxy.clear()
    return recording_proxy


ROOT = Path(__file__).resolve().parents[2]
