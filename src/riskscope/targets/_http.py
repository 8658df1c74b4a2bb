"""What every HTTP-speaking target shares: the client, the API key, and failure classification.

Failure classification lives here, once, so ``openai`` and ``http`` targets map the same socket
or status problem to the same :class:`~riskscope.core.ErrorKind`, and the one call wrapper
(``riskscope.targets._calls``) can act on it without knowing which provider spoke.

The API key is read from the environment at construction and kept only inside the client's
headers: it is redacted from every error message we build, because a hostile or buggy server may
echo request headers back in its error body.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import ipaddress
import json as _json
import os
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpcore
import httpx
import orjson

from riskscope.config import TargetConfig
from riskscope.core import ErrorKind
from riskscope.errors import ConfigError, TargetError
from riskscope.targets._calls import REDACTED as REDACTED
from riskscope.targets._calls import Redactor as Redactor
from riskscope.targets._h1 import Answer, H1Pool
from riskscope.targets._netio import AsyncioBackend

_BODY_SNIPPET = 200


def read_api_key(config: TargetConfig) -> str | None:
    """The key from the env var the config names; a named but unset variable is a user error."""
    if config.api_key_env is None:
        return None
    key = os.environ.get(config.api_key_env)
    if not key:
        raise ConfigError(f"target {config.name}: environment variable {config.api_key_env!r} (api_key_env) is not set")
    return key


SHARD_CONNECTIONS = 2
USER_AGENT = "riskscope"


class PooledClient:
    """Several small httpx connection pools behind one ``request``; each call goes to the least busy.

    httpcore rescans every connection of a pool on each request event, so one pool of C
    connections costs O(C) per request: at C=32 that alone was 2.2 ms CPU per request, and at
    C=128 the client could not keep up with a 100 ms server at all (bench/throughput.py). Pools of
    8 brought it to about 1.1 ms; pools of 2 (on the asyncio backend of targets/_netio.py) scan
    almost nothing and cut a further ~15% at C=128. The least-busy choice keeps each pool within its connection limit,
    so no call waits for a socket while another pool has a free one.

    We call httpx's transports directly rather than through ``AsyncClient``: cookies, redirects,
    auth flows and per-call URL and header merging are nothing a target needs, and skipping them
    saved a further ~15% of CPU per call. What the client would have taken from the environment
    (HTTP(S)_PROXY / NO_PROXY, SSL_CERT_FILE) is honoured here too.
    """

    def __init__(
        self,
        transports: list[httpx.AsyncHTTPTransport],
        *,
        base_url: str,
        headers: dict[str, str],
        timeout: httpx.Timeout,
        deadline_s: float | None = None,
        direct: H1Pool | None = None,
    ) -> None:
        self._transports = transports
        # A direct plain-HTTP target's lean client (targets/_h1.py): ``request`` goes through it.
        self._direct_pool = direct
        self._raw_headers = httpx.Headers(headers).raw
        self._heads: dict[tuple[str, str], bytes] = {}
        self._busy = [0] * len(transports)
        self._base_url = base_url.rstrip("/")
        self._headers = httpx.Headers(headers)
        self._extensions = {"timeout": timeout.as_dict()}
        self._urls: dict[str, httpx.URL] = {}
        # httpx's read timeout restarts with every byte, so a server that drips bytes could hold a
        # call forever; the deadline bounds the whole exchange.
        self.deadline_s = deadline_s

    def _url(self, url: str) -> httpx.URL:
        # Parsing and joining the URL on every call was a visible share of the client's CPU.
        parsed = self._urls.get(url)
        if parsed is None:
            full = url if url.startswith(("http://", "https://")) else self._base_url + "/" + url.lstrip("/")
            parsed = self._urls[url] = httpx.URL(full)
        return parsed

    def _request(self, method: str, url: str, json: Any, headers: Mapping[str, str] | None) -> httpx.Request:
        # httpx's own json= builds a fresh JSONEncoder per call; the stdlib's default one is cached.
        content = _json.dumps(json).encode()
        merged = self._headers if not headers else httpx.Headers({**self._headers, **headers})
        return httpx.Request(method, self._url(url), headers=merged, content=content, extensions=self._extensions)

    async def request(
        self, method: str, url: str, *, json: Any, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """One call, its body read; ``headers`` add to (or replace) the client's for this call only."""
        if not headers and self._goes_direct(url):
            return (await self._direct(method, url, json)).as_httpx()
        async with self.stream(method, url, json=json, headers=headers) as response:
            await response.aread()
        return response

    async def call(self, method: str, url: str, json: Any) -> Answer:
        """One JSON call, its answer read: the targets' hot path (no ``httpx.Response`` on a direct one)."""
        if self._goes_direct(url):
            return await self._direct(method, url, json)
        return Answer.of(await self.request(method, url, json=json))

    def _goes_direct(self, url: str) -> bool:
        """A call for the lean client: it holds connections to the base URL's host only."""
        return self._direct_pool is not None and not url.startswith(("http://", "https://"))

    async def _direct(self, method: str, url: str, json: Any) -> Answer:
        """A call through the lean HTTP/1.1 client: the bytes httpx would send, far less CPU.

        The request head (method, path, Host, the client's headers) is built once per URL; only
        Content-Length and the body change per call. Failures are httpx's exception classes.
        """
        prefix = self._heads.get((method, url))
        if prefix is None:
            parsed = self._url(url)
            prefix = self._heads[(method, url)] = _request_prefix(method, parsed, self._raw_headers)
        try:  # orjson: ~10 x faster than the stdlib here; its output differs only in spacing
            content = orjson.dumps(json)
        except TypeError:  # a key or value orjson does not take (e.g. a non-str key): as httpx would
            content = _json.dumps(json).encode()
        return await self._direct_pool.request(prefix + b"%d\r\n\r\n" % len(content), content)  # type: ignore[union-attr]

    @asynccontextmanager
    async def stream(
        self, method: str, url: str, *, json: Any, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """One call whose body is read as it arrives (the guard proxy relays streamed answers)."""
        busy = self._busy
        index = busy.index(min(busy)) if len(busy) > 1 else 0
        busy[index] += 1
        try:
            response = await self._transports[index].handle_async_request(self._request(method, url, json, headers))
            try:
                yield response
            finally:
                await response.aclose()
        finally:
            busy[index] -= 1

    async def aclose(self) -> None:
        if self._direct_pool is not None:
            await self._direct_pool.aclose()
        for transport in self._transports:
            await transport.aclose()


def _request_prefix(method: str, url: httpx.URL, headers: list[tuple[bytes, bytes]]) -> bytes:
    """A request's head up to the Content-Length value, as httpx sends it: Host, ours, the length.

    A header name or value holding CR, LF or NUL would split the head (request smuggling through
    a config file): refused here, as httpx's own validation would have refused it.
    """
    target = url.raw_path
    lines = [b"%s %s HTTP/1.1" % (method.encode("ascii"), target), b"Host: " + url.netloc]
    for name, value in headers:
        if any(c in name + value for c in (b"\r", b"\n", b"\0")) or not name.strip():
            raise ConfigError(f"target header {name.decode(errors='replace')!r}: a header may not hold CR, LF or NUL")
        lines.append(name + b": " + value)
    lines.append(b"Content-Length: ")
    return b"\r\n".join(lines)


def environment_proxy(url: str) -> str | None:
    """The proxy the environment sets for ``url`` (as httpx's client would use), or None."""
    parsed = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parsed.scheme) or proxies.get("all")
    host = parsed.hostname
    if not proxy or not host or _is_loopback(host) or urllib.request.proxy_bypass(host):
        return None
    return proxy


def _is_loopback(host: str) -> bool:
    """A proxy never helps reach this machine, and would send local traffic off it."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_client(
    config: TargetConfig, *, base_url: str, api_key: str | None, auth_header: str = "Authorization"
) -> PooledClient:
    """The pooled client of one target, sized to its concurrency so no call waits for a socket."""
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT, "Content-Type": "application/json"}
    headers.update(config.headers)
    if api_key is not None:
        headers[auth_header] = f"Bearer {api_key}" if auth_header.lower() == "authorization" else api_key
    timeout = httpx.Timeout(
        connect=config.connect_timeout_s,
        read=config.read_timeout_s,
        write=config.read_timeout_s,
        pool=config.connect_timeout_s + config.read_timeout_s,
    )
    shards = -(-config.concurrency // SHARD_CONNECTIONS)
    per_shard = -(-config.concurrency // shards)
    limits = httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard, keepalive_expiry=30.0)
    proxy = environment_proxy(base_url)
    plain = base_url.startswith("http://") and (proxy is None or proxy.startswith("http://"))
    context = _no_tls_context() if plain else shared_ssl_context()
    built = [_transport(context, limits, proxy, plain) for _ in range(shards)]
    transports = [transport for transport, _ in built]
    direct = None
    if plain and proxy is None:
        parsed = httpx.URL(base_url)
        direct = H1Pool(
            parsed.host,
            parsed.port or 80,
            max_connections=config.concurrency,
            connect_timeout=timeout.connect,
            read_timeout=timeout.read,
            write_timeout=timeout.write,
            pool_timeout=timeout.pool,
        )
    return PooledClient(
        transports,
        direct=direct,
        base_url=base_url,
        headers=headers,
        timeout=timeout,
        deadline_s=config.connect_timeout_s + 2 * config.read_timeout_s,
    )


def _transport(
    context: ssl.SSLContext, limits: httpx.Limits, proxy: str | None, plain: bool
) -> tuple[httpx.AsyncHTTPTransport, httpcore.AsyncConnectionPool | None]:
    """httpx's transport; a direct plain-HTTP one runs on the lean asyncio backend (targets/_netio.py).

    httpx takes no network backend, so its connection pool is rebuilt with the same settings it
    would have had (httpx 0.28 builds exactly this pool) and ours; tests/targets pin that the
    attribute exists, so an httpx upgrade that moves it fails loudly rather than silently slowing.
    """
    transport = httpx.AsyncHTTPTransport(verify=context, limits=limits, proxy=proxy)
    if not plain or proxy is not None:
        return transport, None
    pool = transport._pool = httpcore.AsyncConnectionPool(  # private in httpx: see the docstring
        ssl_context=context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        http1=True,
        http2=False,
        network_backend=AsyncioBackend(),
    )
    return transport, pool


def _no_tls_context() -> ssl.SSLContext:
    """For plain-HTTP targets: verifying, but with no trusted CA, so any TLS use fails closed.

    Loading the CA bundle is most of a target's start-up time (~80 ms), which a loopback or
    in-cluster http:// server never uses; transports follow no redirects, so TLS cannot appear later.
    """
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every client: loading the CA bundle costs ~0.1 s each time."""
    return httpx.create_ssl_context()


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After in seconds, from either form RFC 9110 allows (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive result means the zone was omitted
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def classify_transport(exc: httpx.HTTPError, redact: Redactor) -> TargetError:
    """Map a socket-level failure to its kind; all of them may succeed on another try."""
    detail = redact(f"{type(exc).__name__}: {exc}".rstrip(": "))
    if isinstance(exc, httpx.TimeoutException):
        phase = "connect" if isinstance(exc, httpx.ConnectTimeout) else "read"
        if isinstance(exc, httpx.PoolTimeout):
            phase = "pool"
        elif isinstance(exc, httpx.WriteTimeout):
            phase = "write"
        return TargetError(ErrorKind.TIMEOUT, f"{phase} timeout ({detail})", retryable=True)
    if isinstance(exc, httpx.DecodingError):  # a body whose Content-Encoding lies: retrying won't help
        return TargetError(ErrorKind.MALFORMED, f"undecodable response body ({detail})")
    if isinstance(exc, httpx.TransportError):
        # ConnectError (refused, DNS), ReadError/RemoteProtocolError (reset, closed mid-answer).
        return TargetError(ErrorKind.CONNECTION, f"connection failed ({detail})", retryable=True)
    return TargetError(ErrorKind.INTERNAL, f"HTTP client error ({detail})")


def classify_status(response: Answer, redact: Redactor) -> TargetError | None:
    """None for 2xx; otherwise the classified error with a short, redacted body snippet."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    snippet = redact(response.text[:_BODY_SNIPPET].replace("\n", " "))
    message = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    retry_after = parse_retry_after(response.header("retry-after"))
    if status == 429:
        return TargetError(ErrorKind.RATE_LIMITED, message, retryable=True, retry_after=retry_after, status=status)
    if status == 408:
        return TargetError(ErrorKind.TIMEOUT, message, retryable=True, retry_after=retry_after, status=status)
    if status >= 500:
        return TargetError(ErrorKind.HTTP_5XX, message, retryable=True, retry_after=retry_after, status=status)
    return TargetError(ErrorKind.HTTP_4XX, message, retryable=False, status=status)


def decode_json(response: Answer, redact: Redactor) -> Any:
    """The body as JSON; a 2xx that is not JSON is MALFORMED (retrying the same call won't fix it)."""
    try:
        return response.json()
    except ValueError as exc:
        snippet = redact(response.text[:80].replace("\n", " "))
        raise TargetError(
            ErrorKind.MALFORMED, f"response is not JSON ({exc}); body starts {snippet!r}", status=response.status_code
        ) from exc


async def post_json(
    client: PooledClient, url: str, body: Mapping[str, Any], redact: Redactor, *, method: str = "POST"
) -> tuple[Any, float]:
    """The single I/O call of an HTTP target: send, classify, decode; returns (json, seconds)."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(client.deadline_s):
            response = await client.call(method, url, body)
    except httpx.HTTPError as exc:
        raise classify_transport(exc, redact) from exc
    except TimeoutError as exc:
        raise TargetError(
            ErrorKind.TIMEOUT, f"no complete answer within the {client.deadline_s:g} s deadline", retryable=True
        ) from exc
    error = classify_status(response, redact)
    if error is not None:
        raise error
    return decode_json(response, redact), time.perf_counter() - started
