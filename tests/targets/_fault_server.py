"""A real OpenAI-compatible HTTP server on 127.0.0.1 that misbehaves on request.

The scenario comes from the URL path (``/s/<scenario>/v1/chat/completions``) or from a marker
``scenario:<name>`` in the last user message, so one run can mix behaviours item by item. Every
request is recorded so tests can check what actually went over the wire (headers, bodies).
"""

from __future__ import annotations

import email.utils
import json
import re
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_MARKER = re.compile(r"scenario:([a-z0-9_]+)")


def free_port() -> int:
    """A port nothing listens on right now (for servers we start, and for refused connections)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def completion(text: str | None, finish: str = "stop", **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    message.update(extra.pop("message_extra", {}))
    choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": finish}
    choice.update(extra.pop("choice_extra", {}))
    return {
        "id": "cmpl-test",
        "object": "chat.completion",
        "model": "fault-model",
        "choices": [choice],
        "usage": {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12},
        **extra,
    }


class FaultServer:
    """Start with ``FaultServer().start()``; ``url`` is the OpenAI base URL (ends in /v1)."""

    def __init__(self, hang_s: float = 3.0) -> None:
        self.hang_s = hang_s
        self.requests: list[dict[str, Any]] = []
        self.attempts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self.capacity = 4
        # Scripted scenarios a test adds: name -> function of the request's messages giving the
        # answer text, served after ``script_delay_s`` (a conversation partner with a fixed latency).
        self.scripts: dict[str, Any] = {}
        self.script_delay_s = 0.0
        self.in_flight = self.peak_in_flight = self.rejected = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                self._send(200, {"object": "list", "data": [{"id": "fault-model"}]})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                body = json.loads(raw or b"{}")
                owner._handle(self, body)

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128  # the default 5 drops SYNs under 16 parallel connects

            def handle_error(self, request: Any, client_address: Any) -> None:
                return  # resets and hangs leave broken sockets behind on purpose

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def scenario_url(self, scenario: str) -> str:
        return f"http://127.0.0.1:{self.port}/s/{scenario}/v1"

    def _handle(self, handler: Any, body: dict[str, Any]) -> None:
        messages = body.get("messages") or [{}]
        last_user = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
        path_match = re.match(r"/s/([a-z0-9_]+)/", handler.path)
        marker = _MARKER.search(last_user)
        scenario = path_match.group(1) if path_match else (marker.group(1) if marker else "ok")
        with self._lock:
            key = (scenario, last_user)
            self.attempts[key] = self.attempts.get(key, 0) + 1
            attempt = self.attempts[key]
            self.requests.append({"scenario": scenario, "headers": dict(handler.headers), "body": body})
        send = handler._send
        if scenario in self.scripts:
            time.sleep(self.script_delay_s)
            reply = self.scripts[scenario](messages)
            if isinstance(reply, dict):  # a scripted agent turn: text and tool calls (ids as scripted)
                calls = reply.get("tool_calls") or None
                extra = {"message_extra": {"tool_calls": calls}} if calls else {}
                send(200, completion(reply.get("content") or None, finish="tool_calls" if calls else "stop", **extra))
            else:
                send(200, completion(reply))
        elif scenario == "ok":
            send(200, completion("Paris is the capital of France."))
        elif scenario == "refuse":
            send(200, completion("I'm sorry, but I can't help with that."))
        elif scenario == "echo_system":
            system = next((m["content"] for m in messages if m.get("role") == "system"), "none")
            send(200, completion(f"system prompt was: {system}"))
        elif scenario == "rate_limit_once":
            if attempt == 1:
                send(429, {"error": {"message": "slow down"}}, {"Retry-After": "1"})
            else:
                send(200, completion("Answer after waiting."))
        elif scenario == "rate_limit_date":
            if attempt == 1:
                when = email.utils.formatdate(time.time() + 1, usegmt=True)
                send(429, {"error": {"message": "slow down"}}, {"Retry-After": when})
            else:
                send(200, completion("Answer after waiting for a date."))
        elif scenario == "capacity":  # a server with room for `capacity` calls at once; 429 beyond that
            with self._lock:
                self.in_flight += 1
                over = self.in_flight > self.capacity
                self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                if over:
                    self.rejected += 1
                    send(429, {"error": {"message": "over capacity"}}, {"Retry-After": "0.05"})
                else:
                    time.sleep(0.05)
                    send(200, completion("Served within capacity."))
            finally:
                with self._lock:
                    self.in_flight -= 1
        elif scenario == "always_429":
            send(429, {"error": {"message": "quota"}}, {"Retry-After": "0"})
        elif scenario == "always_500":
            send(500, {"error": {"message": "internal"}})
        elif scenario == "fail_500_then_ok":
            if attempt == 1:
                send(503, {"error": {"message": "warming up"}})
            else:
                send(200, completion("Recovered answer."))
        elif scenario == "bad_request":
            send(400, {"error": {"message": "unknown field"}})
        elif scenario == "echo_auth":  # a hostile server that echoes our credentials back
            send(401, {"error": {"message": f"bad key {handler.headers.get('Authorization')}"}})
        elif scenario == "echo_auth_200":
            send(200, {"error": {"message": f"bad key {handler.headers.get('Authorization')}"}})
        elif scenario == "echo_key_everywhere":  # a 200 answer carrying our key in every field
            key = str(handler.headers.get("Authorization", "")).removeprefix("Bearer ")
            call = {"id": f"call-{key}", "type": "function", "function": {"name": key, "arguments": f'{{"k": "{key}"}}'}}
            payload = completion(f"your key is {key}", message_extra={"tool_calls": [call]})
            payload.update({"id": f"cmpl-{key}", "model": f"model-{key}", "system_fingerprint": key})
            send(200, payload)
        elif scenario == "hang":
            time.sleep(self.hang_s)
            send(200, completion("too late"))
        elif scenario == "drip":  # headers at once, then one byte every 0.2 s: no read timeout fires
            payload = json.dumps(completion("slow " * 40)).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            for i in range(len(payload)):
                handler.wfile.write(payload[i : i + 1])
                handler.wfile.flush()
                time.sleep(0.2)
        elif scenario == "bad_gzip":  # claims gzip, is not
            send(200, b"plain bytes, not gzip", {"Content-Encoding": "gzip"})
        elif scenario == "malformed":
            send(200, b'{"choices": [ this is not json')
        elif scenario == "no_choices":
            send(200, {"id": "x", "choices": []})
        elif scenario == "empty":
            send(200, completion(""))
        elif scenario == "content_filter":
            send(200, completion(None, finish="content_filter"))
        elif scenario == "reset":
            sock = handler.connection
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            handler.close_connection = True
        elif scenario == "tool_call":
            call = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}
            send(200, completion(None, finish="tool_calls", message_extra={"tool_calls": [call]}))
        elif scenario == "logprobs":
            logprobs = {"content": [{"token": "Hi", "logprob": -0.1, "top_logprobs": []}]}
            send(200, completion("Hi", choice_extra={"logprobs": logprobs}))
        else:
            send(404, {"error": {"message": f"unknown scenario {scenario}"}})
