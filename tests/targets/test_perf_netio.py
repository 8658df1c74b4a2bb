"""The asyncio network backend under plain-HTTP clients (targets/_netio.py), against real sockets.

The fault server's scenarios (resets, hangs, drips, 429s) already run through it in the other
target tests; these cover what only a byte pipe can get wrong: a server closing an idle kept-alive
connection, a body larger than the read buffer's high-water mark, and which clients use it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from riskscope.config import TargetConfig
from riskscope.targets._http import make_client
from riskscope.targets._netio import AsyncioBackend


def _config(url: str) -> TargetConfig:
    return TargetConfig(name="openai", arg=f"m@{url}", concurrency=4)


class _OneShotServer:
    """Answers each connection's first request (keep-alive promised), then closes it ``close_after_s`` later."""

    def __init__(self, body: bytes, close_after_s: float) -> None:
        self.body, self.close_after_s = body, close_after_s
        self.connections = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
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
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
                + f"Content-Length: {len(self.body)}\r\n\r\n".encode()
                + self.body
            )
            time.sleep(self.close_after_s)

    def close(self) -> None:
        self._sock.close()


@pytest.fixture
def one_shot() -> Iterator[_OneShotServer]:
    server = _OneShotServer(json.dumps({"ok": True}).encode(), close_after_s=0.05)
    yield server
    server.close()


def test_plain_http_clients_run_on_the_asyncio_backend_and_tls_ones_do_not() -> None:
    async def backends(url: str) -> set[type]:
        client = make_client(_config(url), base_url=url, api_key=None)
        try:
            # httpx keeps its pool private: if an upgrade moves it, this fails rather than silently slowing.
            return {type(t._pool._network_backend) for t in client._transports}  # type: ignore[attr-defined]
        finally:
            await client.aclose()

    assert asyncio.run(backends("http://127.0.0.1:9/v1")) == {AsyncioBackend}
    assert AsyncioBackend not in asyncio.run(backends("https://127.0.0.1:9/v1"))


def test_a_server_closing_an_idle_connection_is_noticed_and_the_next_call_reconnects(
    one_shot: _OneShotServer,
) -> None:
    async def two_calls() -> list[object]:
        client = make_client(_config(one_shot.url), base_url=one_shot.url, api_key=None)
        try:
            first = await client.request("POST", "/chat/completions", json={"n": 1})
            await asyncio.sleep(0.3)  # the server has closed the kept-alive connection by now
            second = await client.request("POST", "/chat/completions", json={"n": 2})
            return [first.json(), second.json()]
        finally:
            await client.aclose()

    assert asyncio.run(two_calls()) == [{"ok": True}, {"ok": True}]
    assert one_shot.connections == 2


def test_bodies_larger_than_the_buffers_go_and_arrive_whole() -> None:
    text = "x" * (3 << 20)  # three times the backend's high-water mark: reading pauses and resumes
    server = _OneShotServer(json.dumps({"text": text}).encode(), close_after_s=0.0)

    async def call() -> object:
        client = make_client(_config(server.url), base_url=server.url, api_key=None)
        try:
            # A large request too: its writes go out as they come, not held for the read.
            return (await client.request("POST", "/chat/completions", json={"prompt": text})).json()
        finally:
            await client.aclose()

    try:
        assert asyncio.run(call()) == {"text": text}
    finally:
        server.close()
