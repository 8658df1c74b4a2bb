"""A lean asyncio network backend for httpcore: the sockets under every plain-HTTP target's client.

httpcore reaches sockets through anyio when it runs on asyncio. At C=128 that layer was about a
fifth of the client's CPU per call (bench/throughput.py, profiled): a cancel scope per read and
write, typed-attribute lookups, and a ``select`` on the socket every time the pool checks whether
an idle connection was closed by the server. This backend is a plain :class:`asyncio.Protocol`:
reads wait on one future, and "did the server close this idle connection?" is a flag the event
loop already set, not a system call.

httpx, httpcore and h11 still do everything HTTP (parsing, pooling, keep-alive, timeouts' meaning);
only the byte pipe changes, and it raises httpcore's own exceptions, so httpx maps them exactly as
before and :func:`riskscope.targets._http.classify_transport` sees the same classes. It serves
``http://`` targets reached directly; TLS and proxies keep httpcore's default backend.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import httpcore

__all__ = ["AsyncioBackend"]

# Stop reading from the socket while this much is buffered and unread (a body nobody is reading).
_HIGH_WATER = 1 << 20
# Writes smaller than this wait for the next read (or the next write) to go out together.
_COALESCE = 64 << 10


class _Pipe(asyncio.Protocol):
    """Bytes in a buffer, a future to wait on, and whether the peer has gone."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.drained: asyncio.Future[None] | None = None
        self.reading_paused = False
        self.writing_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _HIGH_WATER and self.transport is not None and not self.reading_paused:
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # close our side too: a half-open HTTP/1.1 connection is of no use

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()
        self.writing_paused = False
        self._release_drain()

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._release_drain()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _release_drain(self) -> None:
        drained = self.drained
        if drained is not None and not drained.done():
            drained.set_result(None)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One TCP connection as httpcore wants it: read, write, close, and what it knows about itself."""

    def __init__(self, pipe: _Pipe, transport: asyncio.Transport) -> None:
        self._pipe = pipe
        self._transport = transport
        # httpcore writes a request's head and body separately and then reads: both go out in one
        # send when the read starts (one system call and one TCP segment per request, not two).
        self._unsent: list[bytes] = []
        self._unsent_bytes = 0

    def _flush(self) -> None:
        if self._unsent:
            data = self._unsent[0] if len(self._unsent) == 1 else b"".join(self._unsent)
            self._unsent.clear()
            self._unsent_bytes = 0
            if self._transport.is_closing():
                raise httpcore.WriteError(str(self._pipe.error) if self._pipe.error else "connection closed")
            self._transport.write(data)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._flush()
        pipe = self._pipe
        if not pipe.buffer and not pipe.eof:
            waiter = pipe.waiter = asyncio.get_running_loop().create_future()
            try:
                if timeout is None:
                    await waiter
                else:
                    async with asyncio.timeout(timeout):
                        await waiter
            except TimeoutError as exc:
                raise httpcore.ReadTimeout(f"no data within {timeout} s") from exc
            finally:
                pipe.waiter = None
        buffer = pipe.buffer
        if not buffer:
            if pipe.error is not None:
                raise httpcore.ReadError(str(pipe.error) or type(pipe.error).__name__)
            return b""  # the peer closed: httpcore reads that as a disconnect
        if len(buffer) <= max_bytes:
            data = bytes(buffer)
            buffer.clear()
        else:
            data = bytes(buffer[:max_bytes])
            del buffer[:max_bytes]
        if pipe.reading_paused and len(buffer) <= _HIGH_WATER // 2:
            pipe.reading_paused = False
            self._transport.resume_reading()
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        pipe = self._pipe
        if self._transport.is_closing():
            raise httpcore.WriteError(str(pipe.error) if pipe.error else "connection closed")
        self._unsent.append(buffer)
        self._unsent_bytes += len(buffer)
        if self._unsent_bytes < _COALESCE:
            return
        self._flush()
        if not pipe.writing_paused:
            return
        drained = pipe.drained = asyncio.get_running_loop().create_future()
        try:
            if timeout is None:
                await drained
            else:
                async with asyncio.timeout(timeout):
                    await drained
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(f"could not send within {timeout} s") from exc
        finally:
            pipe.drained = None
        if pipe.error is not None:
            raise httpcore.WriteError(str(pipe.error))

    async def aclose(self) -> None:
        self._unsent.clear()
        self._transport.close()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        # Only plain-HTTP clients use this backend (make_client); TLS stays on httpcore's default.
        raise httpcore.ConnectError("TLS is not supported by this backend")

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # httpcore asks this of idle connections: data or EOF on one means the server closed it.
            return self._pipe.eof or bool(self._pipe.buffer)
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None  # ssl_object: never TLS here


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens :class:`AsyncioStream` connections on the running loop (TCP_NODELAY is asyncio's default)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]]
        | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = None if local_address is None else (local_address, 0)
        try:
            async with asyncio.timeout(timeout):
                transport, pipe = await loop.create_connection(_Pipe, host, port, local_addr=local)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"no connection to {host}:{port} within {timeout} s") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock = transport.get_extra_info("socket")
        if sock is not None:
            for option in socket_options or ():
                sock.setsockopt(*option)
        assert isinstance(transport, asyncio.Transport)
        return AsyncioStream(pipe, transport)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError(f"unix sockets are not supported by this backend ({path})")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
