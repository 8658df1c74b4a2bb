"""The dashboard: a FastAPI app over the store (runs, run detail, compare, review queue).

Pages are server-rendered jinja2 with autoescape, so model text reaches the browser only as
escaped text; the only script is our static file, and the CSP forbids everything else. Every page
of a run reads one page of items (SQL LIMIT/OFFSET with filters in SQL) and grouped counts, never
the whole run, so it stays fast on runs of 50,000 items (bench/dashboard.py measures it).
This module holds only what is app-wide (access check, security headers, error pages, static
files); each page family is a router over one shared :class:`Dashboard` (server/_dashboard.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response

from riskscope.errors import RunNotFoundError
from riskscope.server._agents import router as agents_router
from riskscope.server._attacks import router as attacks_router
from riskscope.server._compare_page import router as compare_router
from riskscope.server._dashboard import BadRequest, Dashboard
from riskscope.server._frontier import router as frontier_router
from riskscope.server._guard import router as guard_router
from riskscope.server._review import router as review_router
from riskscope.server._runs import router as runs_router
from riskscope.server._security import SECURITY_HEADERS, TOKEN_COOKIE, host_header_allowed, same_secret
from riskscope.server._trend import router as trend_router

__all__ = ["create_app"]

# The report's stylesheet is shared, not copied; the dashboard adds a little of its own.
_STATIC = {
    "report.css": ("riskscope.reports", "templates/report.css", "text/css; charset=utf-8"),
    "dashboard.css": ("riskscope.server", "static/dashboard.css", "text/css; charset=utf-8"),
    "dashboard.js": ("riskscope.server", "static/dashboard.js", "text/javascript; charset=utf-8"),
}


def create_app(store_path: Path | str, *, token: str | None = None) -> FastAPI:
    """The dashboard app over one store. With ``token``, every request must present it."""
    dash = Dashboard(Path(store_path))
    app = FastAPI(title="riskscope dashboard", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await _check_access(request, token)
        if response is None:
            response = await call_next(request)
        for header, value in SECURITY_HEADERS.items():
            response.headers[header] = value
        return response

    @app.exception_handler(RunNotFoundError)
    async def not_found(request: Request, exc: RunNotFoundError) -> HTMLResponse:
        return dash.page("error.html.j2", 404, title="Not found", message=str(exc))

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> HTMLResponse:
        return dash.page("error.html.j2", 400, title="Bad request", message=str(exc))

    @app.get("/health")
    def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in _STATIC:
            return PlainTextResponse("not found", status_code=404)
        package, path, media_type = _STATIC[name]
        return Response(resources.files(package).joinpath(path).read_bytes(), media_type=media_type)

    app.include_router(runs_router(dash))
    app.include_router(review_router(dash))
    app.include_router(compare_router(dash))
    app.include_router(guard_router(dash))
    app.include_router(trend_router(dash))
    app.include_router(frontier_router(dash))
    app.include_router(attacks_router(dash))
    app.include_router(agents_router(dash))
    return app


async def _check_access(request: Request, token: str | None) -> Response | None:
    """None when the request may proceed, else the refusal to send."""
    if token is None:
        # Loopback without a token: refuse Host names a rebinding attacker's page would send.
        if not host_header_allowed(request.headers.get("host")):
            return PlainTextResponse("forbidden: unexpected Host header", status_code=403)
        return None
    query_token = request.query_params.get("token")
    if query_token is not None and same_secret(query_token, token):
        # Trade the token in the URL for a cookie and drop it from the address bar and history.
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = request.url.path + ("?" + urlencode(rest) if rest else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response
    auth = request.headers.get("authorization", "")
    given = auth[7:] if auth.lower().startswith("bearer ") else request.cookies.get(TOKEN_COOKIE)
    if not same_secret(given, token):
        return PlainTextResponse("unauthorised: this dashboard needs its token", status_code=401)
    return None
