"""A scripted OpenAI-compatible upstream and a scripted Llama Guard endpoint, on 127.0.0.1.

The upstream answers the text after ``say:`` in the last user message, ``{M}`` written as the
marker (so an answer can hold it when the request does not), else a fixed sentence;
whole or streamed a few characters per event; the path ``/hang/v1`` waits before answering and
``/echo_auth/v1`` answers 401 quoting the Authorization header back. The guard endpoint
(``/guard/v1``) answers like Llama Guard: ``unsafe\\nS1`` when the text it grades contains
``FORBIDDEN``, ``safe`` otherwise, and ``/guard_hang/v1`` and ``/guard_500/v1`` misbehave. Every
request is recorded (path, headers, body) so tests can check what went over the wire.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "targets"))
from _fault_server import completion

MARKER = "FORBIDDEN"
DEFAULT_ANSWER = "Paris is the capital of France."


def answer_for(body: dict[str, Any]) -> str:
    last_user = next((m.get("content", "") for m in reversed(body.get("messages", [])) if m.get("role") == "user"), "")
    _, said, text = str(last_user).partition("say:")
    return text.strip().replace("{M}", MARKER) if said else DEFAULT_ANSWER


class ScriptedServer:
    def __init__(self, piece_chars: int = 3, hang_s: float = 3.0) -> None:
        self.piece_chars = piece_chars
        self.hang_s = hang_s
        self.requests: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                owner.requests.append({"path": self.path, "headers": dict(self.headers), "body": None})
                self._send(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                body = json.loads(raw or b"{}")
                owner.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                owner._handle(self, body)

            def _send(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

            def handle_error(self, request: Any, client_address: Any) -> None:
                return

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, scenario: str = "") -> str:
        return f"http://127.0.0.1:{self.port}" + (f"/{scenario}" if scenario else "") + "/v1"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["body"] is not None and "/guard" not in r["path"]]

    def _handle(self, handler: Any, body: dict[str, Any]) -> None:
        path = handler.path
        if path.startswith("/guard"):
            if path.startswith("/guard_hang/"):
                time.sleep(self.hang_s)
            if path.startswith("/guard_500/"):
                handler._send(500, {"error": {"message": "guard down"}})
                return
            graded = str((body.get("messages") or [{}])[-1].get("content", ""))
            handler._send(200, completion("unsafe\nS1" if MARKER in graded else "safe"))
            return
        if path.startswith("/hang/"):
            time.sleep(self.hang_s)
        if path.startswith("/echo_auth/"):
            handler._send(401, {"error": {"message": f"bad key {handler.headers.get('Authorization')}"}})
            return
        text = answer_for(body)
        if not body.get("stream"):
            handler._send(200, completion(text))
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        base = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": 1, "model": "scripted"}

        def event(delta: dict[str, Any], finish: str | None = None) -> None:
            payload = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            handler.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
            handler.wfile.flush()

        event({"role": "assistant", "content": ""})
        for i in range(0, len(text), self.piece_chars):
            event({"content": text[i : i + self.piece_chars]})
        event({}, "stop")
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()
