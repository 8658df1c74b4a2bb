"""The lean HTTP/1.1 client of direct plain-HTTP targets (targets/_h1.py), against real sockets.

A scripted server answers each request with raw bytes chosen by the test, so the framings a real
server may use (Content-Length, chunked, close-delimited), broken answers and slow ones are each
seen by the client exactly as written. The fault server's scenarios (429s, resets, hangs, drips)
run through this client in tests/targets/test_openai_faults.py.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from riskscope.config import TargetConfig
from riskscope.core import ErrorKind
from riskscope.errors import ConfigError, TargetError
from riskscope.targets._calls import Redactor
from riskscope.targets._http import make_client, post_json

Reply = Callable[[bytes], bytes | None]  # the request's bytes -> raw answer (None: close without one)


class _ScriptedServer:
    """Serves each request with ``reply(request)``; counts connections and the most open at once."""

    def __init__(self, reply: Reply, *, delay_s: float = 0.0, close: bool = False) -> None:
        self.reply, self.delay_s, self.close_after_reply = reply, delay_s, close
        self.connections = self.open = self.peak_open = 0
        self.requests: list[bytes] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self.open += 1
                self.peak_open = max(self.peak_open, self.open)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn:
                data = b""
                while True:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        data += chunk
                    head, _, rest = data.partition(b"\r\n\r\n")
                    length = next(
                        (
                            int(line.split(b":")[1])
                            for line in head.split(b"\r\n")
                            if line.lower().startswith(b"content-length")
                        ),
                        0,
                    )
                    while len(rest) < length:
                        rest += conn.recv(65536)
                    request, data = head + b"\r\n\r\n" + rest[:length], rest[length:]
                    self.requests.append(request)
                    time.sleep(self.delay_s)
                    answer = self.reply(request)
                    if answer is None:
                        return
                    conn.sendall(answer)
                    if self.close_after_reply:
                        return
        except OSError:
            return
        finally:
            with self._lock:
                self.open -= 1

    def close(self) -> None:
        self._sock.close()


def _ok(body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )


def _config(url: str, **extra: object) -> TargetConfig:
    return TargetConfig.model_validate({"name": "openai", "arg": f"m@{url}", "concurrency": 4, **extra})


def _calls(server: _ScriptedServer, n: int, *, parallel: int = 1, **config: object) -> list[object]:
    async def go() -> list[object]:
        client = make_client(_config(server.url, **config), base_url=server.url, api_key=None)
        assert client._direct_pool is not None  # a direct plain-HTTP target: the lean client
        redact = Redactor.for_target(_config(server.url))
        out: list[object] = []

        async def one(i: int) -> None:
            try:
                out.append((await post_json(client, "/chat/completions", {"n": i}, redact))[0])
            except TargetError as exc:
                out.append(exc)

        try:
            for start in range(0, n, parallel):
                await asyncio.gather(*(one(i) for i in range(start, min(n, start + parallel))))
        finally:
            await client.aclose()
        return out

    return asyncio.run(go())


@pytest.fixture
def echo() -> object:
    server = _ScriptedServer(lambda request: _ok(request.partition(b"\r\n\r\n")[2]))
    yield server
    server.close()


def test_the_request_on_the_wire_is_what_httpx_sends(echo: _ScriptedServer) -> None:
    assert _calls(echo, 1) == [{"n": 0}]
    head, _, body = echo.requests[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /v1/chat/completions HTTP/1.1"
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
    assert headers[b"host"] == echo.url.split("/")[2].encode()
    assert headers[b"content-type"] == b"application/json" and headers[b"content-length"] == str(len(body)).encode()
    assert json.loads(body) == {"n": 0}


def test_keep_alive_reuses_connections_and_never_opens_more_than_the_limit() -> None:
    server = _ScriptedServer(lambda request: _ok(b'{"ok": true}'), delay_s=0.05)
    try:
        assert _calls(server, 24, parallel=8, concurrency=3) == [{"ok": True}] * 24
        assert server.peak_open <= 3  # the rest waited for a free connection (the pool timeout is long)
        assert server.connections == 3  # and every later call reused one
    finally:
        server.close()


def test_chunked_and_close_delimited_bodies_arrive_whole() -> None:
    body = json.dumps({"text": "y" * 5000}).encode()
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunked += b"".join(b"%x\r\n%s\r\n" % (len(body[i : i + 700]), body[i : i + 700]) for i in range(0, len(body), 700))
    chunked += b"0\r\n\r\n"
    server = _ScriptedServer(lambda request: chunked)
    # No length, not chunked: the body ends when the server closes the connection.
    closing = _ScriptedServer(lambda request: b"HTTP/1.1 200 OK\r\n\r\n" + body, close=True)
    try:
        assert _calls(server, 2) == [json.loads(body)] * 2
        assert server.connections == 1  # chunked keeps the connection
        assert _calls(closing, 2) == [json.loads(body)] * 2
        assert closing.connections == 2  # a close-delimited answer ends its connection
    finally:
        server.close()
        closing.close()


def test_statuses_and_retry_after_are_read_from_the_answer() -> None:
    server = _ScriptedServer(
        lambda request: b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 9\r\n\r\nslow down"
    )
    try:
        [error] = _calls(server, 1, max_retries=0)
        assert isinstance(error, TargetError) and error.kind is ErrorKind.RATE_LIMITED
        assert error.retry_after == 7.0 and "slow down" in str(error)
    finally:
        server.close()


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (b'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"cut": ', ErrorKind.CONNECTION),  # closed mid-body
        (b"NOT HTTP AT ALL\r\n\r\n", ErrorKind.CONNECTION),  # unparseable: a protocol error
        (None, ErrorKind.CONNECTION),  # closed without a word
        (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nnot json!", ErrorKind.MALFORMED),
    ],
)
def test_broken_answers_are_classified_like_httpx_would(answer: bytes | None, kind: ErrorKind) -> None:
    server = _ScriptedServer(lambda request: answer, close=True)
    try:
        [error] = _calls(server, 1, max_retries=0)
        assert isinstance(error, TargetError) and error.kind is kind, error
    finally:
        server.close()


def test_a_silent_server_is_a_read_timeout_and_the_connection_is_not_reused() -> None:
    server = _ScriptedServer(lambda request: _ok(b"{}"), delay_s=1.0)
    try:
        [error] = _calls(server, 1, read_timeout_s=0.3, max_retries=0)
        # Had the timeout not fired, the server's 200 would have arrived after a second.
        assert isinstance(error, TargetError) and error.kind is ErrorKind.TIMEOUT
        assert "read timeout" in str(error)
    finally:
        server.close()


def test_a_connection_refused_is_a_connection_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def go() -> object:
        url = f"http://127.0.0.1:{port}/v1"
        client = make_client(_config(url), base_url=url, api_key=None)
        try:
            return await post_json(client, "/chat/completions", {}, Redactor.for_target(_config(url)))
        except TargetError as exc:
            return exc
        finally:
            await client.aclose()

    error = asyncio.run(go())
    assert isinstance(error, TargetError) and error.kind is ErrorKind.CONNECTION


def test_a_header_that_would_split_the_request_is_refused(echo: _ScriptedServer) -> None:
    with pytest.raises(ConfigError, match="CR, LF or NUL"):
        _calls(echo, 1, headers={"X-Evil": "a\r\nX-Injected: 1"})
    assert echo.requests == []


def test_calls_with_their_own_headers_and_tls_targets_keep_httpx(echo: _ScriptedServer) -> None:
    async def go() -> tuple[httpx.Response, bool]:
        client = make_client(_config(echo.url), base_url=echo.url, api_key=None)
        tls = make_client(_config("https://127.0.0.1:9/v1"), base_url="https://127.0.0.1:9/v1", api_key=None)
        try:
            answer = await client.request("POST", "/chat/completions", json={"n": 1}, headers={"X-Trace": "t"})
            return answer, tls._direct_pool is None
        finally:
            await client.aclose()
            await tls.aclose()

    answer, tls_is_httpx = asyncio.run(go())
    assert isinstance(answer, httpx.Response) and answer.json() == {"n": 1}
    assert tls_is_httpx and b"X-Trace: t" in echo.requests[0]
