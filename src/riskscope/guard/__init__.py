"""The safeguard proxy: riskscope's judges guarding a live model (``riskscope guard serve``).

It sits above ``judges`` and ``store`` in the import order (it uses both) and below the CLI; the
``guarded`` target stays what it is (a system under test with guards, evaluated as one).
FastAPI and uvicorn are the ``server`` extra: :func:`create_proxy_app` imports them on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from riskscope.errors import MissingExtraError
from riskscope.guard.policy import DEFAULT_REFUSAL, Action, GuardPolicy, PolicyFile, StreamSettings, load_policies

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = [
    "DEFAULT_REFUSAL",
    "Action",
    "GuardPolicy",
    "PolicyFile",
    "StreamSettings",
    "create_proxy_app",
    "load_policies",
    "serve_proxy",
]


def create_proxy_app(
    policies: PolicyFile, upstream: str, *, store_path: Path | None, upstream_timeout_s: float = 120.0
) -> FastAPI:
    """The proxy as an ASGI app (for tests, and for mounting in another server)."""
    try:
        from riskscope.guard._proxy import create_proxy_app as _create
    except ImportError as exc:
        raise MissingExtraError("server", "fastapi") from exc
    return _create(policies, upstream, store_path=store_path, upstream_timeout_s=upstream_timeout_s)


def serve_proxy(
    policies: PolicyFile,
    upstream: str,
    *,
    store_path: Path | None,
    host: str = "127.0.0.1",
    port: int = 8766,
    upstream_timeout_s: float = 120.0,
) -> None:
    """Serve until interrupted; the access log stays off (a request line never reaches a log)."""
    app = create_proxy_app(policies, upstream, store_path=store_path, upstream_timeout_s=upstream_timeout_s)
    try:
        import uvicorn
    except ImportError as exc:
        raise MissingExtraError("server", "uvicorn") from exc
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning", server_header=False)
