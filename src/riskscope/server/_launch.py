"""Start the dashboard. FastAPI and uvicorn are the ``server`` extra, imported only here."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from riskscope.errors import ConfigError, MissingExtraError
from riskscope.server._security import check_bind

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["create_app", "serve"]


def create_app(store_path: Path | str, *, token: str | None = None) -> FastAPI:
    """The dashboard app (for tests and for mounting in another ASGI server)."""
    try:
        from riskscope.server._app import create_app as _create
    except ImportError as exc:
        raise MissingExtraError("server", "fastapi") from exc
    return _create(store_path, token=token)


def serve(store_path: Path | str, *, host: str = "127.0.0.1", port: int = 8765, token: str | None = None) -> None:
    """Serve until interrupted. Non-loopback hosts need a token; the access log is off so a token
    passed in a URL never reaches a log."""
    check_bind(host, token)
    if str(store_path) != ":memory:" and not Path(store_path).exists():
        raise ConfigError(f"no store at {store_path}: run `riskscope run` first or pass --store")
    app = create_app(store_path, token=token)
    try:
        import uvicorn
    except ImportError as exc:
        raise MissingExtraError("server", "uvicorn") from exc
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning", server_header=False)
