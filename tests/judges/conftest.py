"""A real llama.cpp OpenAI-compatible server on 127.0.0.1, and a recording proxy in front of it.

SmolLM2-135M stands in for the guard and rubric models: it is not a competent judge, but it is a
real server speaking the real protocol. The proxy (also on loopback) keeps every request body byte
for byte, so tests can assert on the exact prompt the "guard model" received.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LlamaServer:
    url: str  # .../v1
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    pytest.importorskip("llama_cpp.server", reason="needs llama-cpp-python[server]")
    from riskscope.targets.llamacpp import embedded_model_path

    model = embedded_model_path()
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(model),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "4096",
                "--n_threads",
                "2",
                # ShieldGemma is scored from first-token log-probabilities, which llama.cpp
                # returns only when it keeps the logits.
                "--logits_all",
                "true",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"llama server exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(url + "/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("llama server did not start within 120 s")
            time.sleep(0.3)
        yield LlamaServer(url=url + "/v1", process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
