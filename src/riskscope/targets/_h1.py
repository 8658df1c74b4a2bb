"""A lean HTTP/1.1 client for direct plain-HTTP targets: httptools parses, an asyncio protocol carries.

Every call of an ``http://`` target reached without a proxy (a local llama.cpp or vLLM server, an
in-cluster endpoint) goes through here. At C=128 against a 100 ms server one event loop must finish
1,280 calls a second; through httpcore each call cost about 0.45 ms of CPU (bench/throughput.py,
target alone), most of it not on the wire: a connection-pool scan, anyio locks and cancel scopes
per call, sniffio lookups, and h11's pure-Python state machine and header validation. Here a call is
one prebuilt request head plus the body in one ``write``, and the answer is parsed in C by httptools
(llhttp, the parser behind uvicorn and Node.js) as the bytes arrive; a future wakes the caller once
the message is complete.

What stays the same for the rest of the code: the answer is an ``httpx.Response``, and every failure
is the httpx exception httpcore would have raised for it (``ConnectError``, ``ConnectTimeout``,
``ReadTimeout``, ``WriteTimeout``, ``PoolTimeout``, ``ReadError``, ``RemoteProtocolError``), so
:func:`riskscope.targets._http.classify_transport` sees the same classes. TLS, proxies and streamed
answers keep httpx's own transport.

Semantics kept from httpx: the read timeout restarts with every byte (the call's overall deadline
bounds a server that drips), a keep-alive connection idle for longer than ``keepalive_s`` is not
reused, a connection the server closed while idle is never reused, and at most ``max_connections``
sockets are open (a call waits up to the pool timeout for one).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import httptools
import httpx
import orjson

__all__ = ["Answer", "H1Pool"]


@dataclass(slots=True)
class Answer:
    """A whole HTTP answer, read: what a JSON call needs of it (an ``httpx.Response`` cost ~40% of
    this client's CPU per call just to build, for a status, a header and a body)."""

    status_code: int
    headers: list[tuple[bytes, bytes]]
    content: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), decoded as Latin-1 like httpx does."""
        wanted = name.lower().encode("ascii")
        for key, value in self.headers:
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON: orjson (a dependency, several times faster), the stdlib for anything it
        rejects, so what a body means never depends on the fast path (as the suite loader does)."""
        try:
            return orjson.loads(self.content)
        except orjson.JSONDecodeError:
            return json.loads(self.content)

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        """An httpx answer (a proxied or TLS call, already read) in the same shape."""
        return cls(response.status_code, list(response.headers.raw), response.content)

    def as_httpx(self) -> httpx.Response:
        return httpx.Response(self.status_code, headers=self.headers, content=self.content)


class _Connection(asyncio.Protocol):
    """One keep-alive TCP connection and the answer being parsed on it (httptools calls back here)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[None] | None = None
        self.drained: asyncio.Future[None] | None = None
        self.closed = False  # the peer closed, or we did: never reused
        self.error: BaseException | None = None
        self.complete = False
        self.headers_done = False
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.idle_since = 0.0
        self.last_data = 0.0
        self.timer: asyncio.TimerHandle | None = None  # the read timeout of the exchange under way

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses but have the same methods.
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.waiter is None:  # bytes nobody asked for: the connection is out of step
            self.closed = True
            if self.transport is not None:
                self.transport.close()
            return
        self.last_data = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(httpx.RemoteProtocolError("the server switched protocols"))
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"malformed HTTP response: {exc}"))

    def eof_received(self) -> bool:
        self._peer_gone(None)
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self._peer_gone(exc)
        drained = self.drained
        if drained is not None and not drained.done():
            drained.set_result(None)

    def pause_writing(self) -> None:
        self.drained = self.loop.create_future()

    def resume_writing(self) -> None:
        drained = self.drained
        if drained is not None and not drained.done():
            drained.set_result(None)

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True
        if not self.parser.should_keep_alive():
            self.closed = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # ours
    def _peer_gone(self, exc: BaseException | None) -> None:
        self.closed = True
        if self.waiter is None or self.complete or self.error is not None:
            return  # nothing asked, all answered, or already failed (our own close after a timeout)
        if self.headers_done and self._delimited_by_close():
            self.on_message_complete()  # a body that ends with the connection (no length, not chunked)
            return
        if exc is not None:
            self._fail(httpx.ReadError(str(exc) or type(exc).__name__))
        else:
            self._fail(httpx.RemoteProtocolError("server disconnected without sending a complete response"))

    def _delimited_by_close(self) -> bool:
        for name, value in self.headers:
            lowered = name.lower()
            if lowered == b"content-length" or (lowered == b"transfer-encoding" and b"chunked" in value.lower()):
                return False
        return True

    def _fail(self, error: BaseException) -> None:
        self.closed = True
        if self.error is None:  # the first cause is the one to report
            self.error = error
        if self.transport is not None:
            self.transport.close()
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _read_timer(self, timeout: float) -> None:
        """Fires ``timeout`` after the last byte; re-arms itself while bytes keep coming."""
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        quiet = self.loop.time() - self.last_data
        if quiet < timeout:
            self.timer = self.loop.call_later(timeout - quiet, self._read_timer, timeout)
            return
        self._fail(httpx.ReadTimeout(f"no data within {timeout:g} s"))

    async def exchange(self, data: bytes, read_timeout: float | None, write_timeout: float | None) -> Answer:
        """Send one whole request and wait for its whole answer."""
        transport = self.transport
        if transport is None or self.closed or transport.is_closing():
            raise httpx.WriteError("connection closed")
        self.complete = self.headers_done = False
        self.headers, self.body, self.error = [], [], None
        waiter = self.waiter = self.loop.create_future()
        self.last_data = self.loop.time()
        transport.write(data)
        try:
            if self.drained is not None and not self.drained.done():
                try:
                    async with asyncio.timeout(write_timeout):
                        await self.drained
                except TimeoutError:
                    self._fail(httpx.WriteTimeout(f"could not send within {write_timeout:g} s"))
            if read_timeout is not None and not waiter.done():
                self.timer = self.loop.call_later(read_timeout, self._read_timer, read_timeout)
            await waiter
        except asyncio.CancelledError:
            self._fail(httpx.ReadError("cancelled"))  # half an exchange: the connection is unusable
            raise
        finally:
            self.waiter = None
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
        if self.error is not None:
            raise self.error
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        return Answer(self.parser.get_status_code(), self.headers, body)


class H1Pool:
    """Keep-alive connections to one ``host:port``, at most ``max_connections`` open at once.

    Idle connections are reused last-in first-out (the most recently used is the least likely to
    have been closed by the server's own idle timeout).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        max_connections: int,
        connect_timeout: float | None,
        read_timeout: float | None,
        write_timeout: float | None,
        pool_timeout: float | None,
        keepalive_s: float = 30.0,
    ) -> None:
        self._host, self._port = host, port
        self._max = max(1, max_connections)
        self._timeouts = (connect_timeout, read_timeout, write_timeout, pool_timeout)
        self._keepalive_s = keepalive_s
        self._idle: list[_Connection] = []
        self._open = 0
        self._waiting: list[asyncio.Future[None]] = []
        self._closed = False

    async def request(self, head: bytes, body: bytes) -> Answer:
        """Send ``head`` (request line and headers, ending in a blank line) and ``body``; the answer."""
        connection = await self._acquire()
        try:
            return await connection.exchange(head + body, self._timeouts[1], self._timeouts[2])
        finally:
            self._release(connection)

    async def _acquire(self) -> _Connection:
        loop = asyncio.get_running_loop()
        while True:
            if self._closed:
                raise httpx.ConnectError("the client is closed")
            while self._idle:
                connection = self._idle.pop()
                if not connection.closed and loop.time() - connection.idle_since < self._keepalive_s:
                    return connection
                self._discard(connection)
            if self._open < self._max:
                return await self._connect(loop)
            waiter = loop.create_future()
            self._waiting.append(waiter)
            try:
                async with asyncio.timeout(self._timeouts[3]):
                    await waiter
            except TimeoutError as exc:
                raise httpx.PoolTimeout(f"no free connection within {self._timeouts[3]:g} s") from exc
            finally:
                if waiter in self._waiting:
                    self._waiting.remove(waiter)

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> _Connection:
        self._open += 1
        try:
            async with asyncio.timeout(self._timeouts[0]):
                _, connection = await loop.create_connection(lambda: _Connection(loop), self._host, self._port)
        except BaseException as exc:
            self._open -= 1  # the slot this connection would have taken is free again
            self._wake_one()
            if isinstance(exc, TimeoutError):
                where = f"{self._host}:{self._port}"
                raise httpx.ConnectTimeout(f"no connection to {where} within {self._timeouts[0]} s") from exc
            if isinstance(exc, OSError):
                raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
            raise
        return connection

    def _release(self, connection: _Connection) -> None:
        if connection.closed or self._closed:
            self._discard(connection)
        else:
            connection.idle_since = connection.loop.time()
            self._idle.append(connection)
            self._wake_one()

    def _discard(self, connection: _Connection) -> None:
        self._open -= 1
        connection.closed = True
        if connection.transport is not None:
            connection.transport.close()
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiting:
            waiter = self._waiting.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            self._discard(connection)
        for waiter in self._waiting:
            if not waiter.done():
                waiter.set_result(None)
