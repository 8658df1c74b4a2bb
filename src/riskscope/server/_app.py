"""The dashboard: a FastAPI app over the store (runs, run detail, compare, review queue).

Pages are server-rendered jinja2 with autoescape, so model text reaches the browser only as
escaped text; the only script is our static file, and the CSP forbids everything else. Every page
of a run reads one page of items (SQL LIMIT/OFFSET with filters in SQL) and grouped counts, never
the whole run, so it stays fast on runs of 50,000 items (bench/dashboard.py measures it).
Each request opens its own store connection: SQLite connections must not be shared across the
threads FastAPI runs handlers on, and opening one costs well under a millisecond.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from riskscope.core import Outcome, RunRecord
from riskscope.errors import ConfigError, RiskscopeError, RunNotFoundError
from riskscope.reports._view import item_view
from riskscope.reports.charts import interval_chart, scatter_chart
from riskscope.reports.html import report_environment
from riskscope.server._cache import CountsCache
from riskscope.server._compare import paired_comparison
from riskscope.server._figures import pick_refusal_judge, run_figures
from riskscope.server._security import (
    SECURITY_HEADERS,
    TOKEN_COOKIE,
    host_header_allowed,
    new_secret,
    same_secret,
)
from riskscope.stats.figures import interval_note, spec_label
from riskscope.store import GOLD_LABELS, REVIEW_REASONS, ResultFilter, Store
from riskscope.taxonomy import HAZARDS, hazard_name

__all__ = ["create_app"]

PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 200
LABELS = GOLD_LABELS  # safe, unsafe, unassessable (the item cannot be judged: non-response, not a label)
REASON_NAMES = {
    "disagree": "judges disagree",
    "low_confidence": "low-confidence verdict",
    "flagged": "flagged by hand",
    "gold": "gold sample",
}
# The report's stylesheet is shared, not copied; the dashboard adds a little of its own.
_STATIC = {
    "report.css": ("riskscope.reports", "templates/report.css", "text/css; charset=utf-8"),
    "dashboard.css": ("riskscope.server", "static/dashboard.css", "text/css; charset=utf-8"),
    "dashboard.js": ("riskscope.server", "static/dashboard.js", "text/javascript; charset=utf-8"),
}


class BadRequest(RiskscopeError):
    """A query parameter or form field the dashboard cannot use."""


def _judges(run: RunRecord) -> list[str]:
    return [spec_label(j) for j in run.config.get("judges", [])]


def _hazard_codes(key: str) -> list[str]:
    return [key] + [h.code for h in HAZARDS if h.parent == key]


def _int(value: str | None, default: int, low: int, high: int, name: str) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a whole number, got {value!r}") from exc
    return max(low, min(high, number))


def create_app(store_path: Path | str, *, token: str | None = None) -> FastAPI:
    """The dashboard app over one store. With ``token``, every request must present it."""
    store_file = Path(store_path)
    csrf_secret = new_secret()
    env = report_environment(jinja2.PackageLoader("riskscope.server", "templates"))
    env.globals["csrf"] = csrf_secret
    app = FastAPI(title="riskscope dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    cache = CountsCache()
    # Filtered id lists are larger (up to one string per item), so fewer are kept.
    id_cache = CountsCache(size=8)

    def figures_of(store: Store, run_id: str, judges: list[str]) -> dict[str, Any]:
        """Rates from the headline judge (the first), over-refusal from the run's refusal judge."""
        marker = store.change_marker()

        def counts_of(judge: str) -> list[dict[str, Any]]:
            counts: list[dict[str, Any]] = cache.get(
                ("counts", run_id, judge), marker, partial(store.outcome_counts, run_id, judge)
            )
            return counts

        def compute() -> dict[str, Any]:
            from riskscope.reports.gold import run_ppi_rates
            from riskscope.reports.summary import honest_overall

            refusal = pick_refusal_judge(judges, counts_of)
            headline = judges[0] if judges else ""
            figures = run_figures(counts_of(headline), counts_of(refusal) if refusal else (), refusal)
            # The honest rate leads, as in the report: judge error folded in, and PPI with gold labels.
            overall = figures["overall"]
            figures["honest"] = honest_overall(
                headline, store.judge_versions(run_id, headline), overall["unsafe"], overall["assessed"]
            )
            ppi = run_ppi_rates(store, run_id)
            figures["ppi"] = None if ppi is None or ppi.overall is None else ppi.to_dict()
            return figures

        figures: dict[str, Any] = cache.get(("figures", run_id, tuple(judges)), marker, compute)
        return figures

    @contextmanager
    def open_store() -> Iterator[Store]:
        with Store(store_file) as store:
            yield store

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

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
        return page("error.html.j2", 404, title="Not found", message=str(exc))

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> HTMLResponse:
        return page("error.html.j2", 400, title="Bad request", message=str(exc))

    @app.get("/health")
    def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        if name not in _STATIC:
            return PlainTextResponse("not found", status_code=404)
        package, path, media_type = _STATIC[name]
        return Response(resources.files(package).joinpath(path).read_bytes(), media_type=media_type)

    @app.get("/", response_class=HTMLResponse)
    def runs_list() -> HTMLResponse:
        with open_store() as store:
            runs = store.list_runs()
            counts = store.run_item_counts()
        rows = [
            {
                "run": run,
                "url": "/runs/" + quote(run.id, safe=""),
                "target": spec_label(run.config.get("target", {})),
                "judges": _judges(run),
                "item_count": counts.get(run.id, 0),
            }
            for run in runs
        ]
        return page("runs.html.j2", title="Runs", runs=rows)

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_detail(request: Request, run_id: str) -> HTMLResponse:
        params = request.query_params
        per_page = _int(params.get("per_page"), PER_PAGE_DEFAULT, 1, PER_PAGE_MAX, "per_page")
        page_no = _int(params.get("page"), 1, 1, 10**9, "page")
        hazard = params.get("hazard") or None
        outcome = params.get("outcome") or None
        if outcome is not None and outcome not in {"safe", "unsafe", "unassessed", "pending"}:
            raise BadRequest(f"outcome must be safe, unsafe, unassessed or pending, got {outcome!r}")
        persona = params.get("persona") or None
        attack = params.get("attack") or None
        text = (params.get("q") or "").strip()[:200] or None
        with open_store() as store:
            run = store.get_run(run_id)
            judges = _judges(run)
            judge = judges[0] if judges else ""
            figures = figures_of(store, run_id, judges)
            where = ResultFilter(
                judge=judge,
                hazards=None if hazard in (None, "benign") else tuple(_hazard_codes(hazard)),
                expected="comply" if hazard == "benign" else None,
                outcome=outcome,
                persona=persona,
                attack=None if attack is None else (() if attack == "none" else tuple(attack.split("+"))),
                text=text,
            )
            ids: list[str] = id_cache.get(
                ("ids", run_id, where), store.change_marker(), lambda: store.result_ids(run_id, where)
            )
            total = len(ids)
            rows = store.result_rows(run_id, ids[(page_no - 1) * per_page : page_no * per_page])
        filters = {"hazard": hazard, "outcome": outcome, "persona": persona, "attack": attack, "q": text}
        active = {k: v for k, v in filters.items() if v}
        if per_page != PER_PAGE_DEFAULT:
            active["per_page"] = str(per_page)
        last_page = max(1, -(-total // per_page))

        def page_url(number: int) -> str:
            return "?" + urlencode({**active, "page": number})

        return page(
            "run.html.j2",
            title=f"Run {run.id}",
            run=run,
            run_url="/runs/" + quote(run.id, safe=""),
            judges=judges,
            judge=judge,
            figures=figures,
            hazard_chart=interval_chart(
                "Unsafe rate per hazard", [[*figures["hazards"], figures["overall"]]], emphasise_last=True
            ),
            persona_chart=interval_chart("Unsafe rate per persona", [figures["personas"]])
            if len(figures["personas"]) > 1
            else None,
            attack_chart=interval_chart("Unsafe rate per attack", [figures["attacks"]])
            if len(figures["attacks"]) > 1
            else None,
            tradeoff_chart=scatter_chart(
                "Over-refusal vs unsafe rate",
                [
                    {
                        "label": "this run",
                        "unsafe": figures["overall"]["unsafe_rate"],
                        "over_refusal": figures["over_refusal"],
                    }
                ],
            ),
            items=[item_view(row, judge) for row in rows],
            total=total,
            page_no=page_no,
            last_page=last_page,
            first_index=(page_no - 1) * per_page + 1,
            prev_url=page_url(page_no - 1) if page_no > 1 else None,
            next_url=page_url(page_no + 1) if page_no < last_page else None,
            filters=filters,
            back=f"/runs/{quote(run.id, safe='')}"
            + (("?" + urlencode({**active, "page": page_no})) if active or page_no > 1 else ""),
        )

    async def form_of(request: Request) -> dict[str, str]:
        body = (await request.body()).decode("utf-8", errors="replace")
        form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
        if not same_secret(form.get("csrf"), csrf_secret):
            raise BadRequest("this form has expired or did not come from the dashboard; reload the page")
        return form

    def safe_back(run_id: str, back: str | None, fallback: str) -> str:
        prefix = "/runs/" + quote(run_id, safe="")
        if back and back.startswith(prefix) and "//" not in back and "\\" not in back:
            return back
        return fallback

    @app.post("/runs/{run_id}/flag/{item_id}")
    async def flag(request: Request, run_id: str, item_id: str) -> RedirectResponse:
        form = await form_of(request)

        def write() -> None:
            with open_store() as store:
                store.get_run(run_id)
                if not store.result_rows(run_id, [item_id]):
                    raise RunNotFoundError(f"no item {item_id!r} in run {run_id!r}")
                store.enqueue_review(run_id, item_id, "flagged in the dashboard", None)

        await run_in_threadpool(write)
        fallback = "/runs/" + quote(run_id, safe="")
        return RedirectResponse(safe_back(run_id, form.get("back"), fallback), status_code=303)

    @app.get("/runs/{run_id}/review", response_class=HTMLResponse)
    def review(request: Request, run_id: str) -> HTMLResponse:
        params = request.query_params
        show = "all" if params.get("show") == "all" else "open"
        reason = params.get("reason") or "any"
        if reason != "any" and reason not in REVIEW_REASONS:
            raise BadRequest(f"reason must be any or one of {', '.join(REVIEW_REASONS)}, got {reason!r}")
        page_no = _int(params.get("page"), 1, 1, 10**9, "page")
        with open_store() as store:
            run = store.get_run(run_id)
            judges = _judges(run)
            reasons = store.review_reasons(run_id, judges)
            counts = {r: sum(r in found for found in reasons.values()) for r in REVIEW_REASONS}
            queued = {e["item_id"]: e for e in store.review_queue(run_id)}
            gold = store.gold_labels(run_id)
            everything = ResultFilter(judge=judges[0] if judges else "")
            order: list[str] = id_cache.get(
                ("ids", run_id, everything), store.change_marker(), lambda: store.result_ids(run_id, everything)
            )
            wanted = [
                item_id
                for item_id in order
                if item_id in reasons
                and (reason == "any" or reason in reasons[item_id])
                and (show == "all" or (item_id not in gold and (queued.get(item_id) or {}).get("label") is None))
            ]
            total = len(wanted)
            shown = wanted[(page_no - 1) * PER_PAGE_DEFAULT : page_no * PER_PAGE_DEFAULT]
            rows = {r.item.item_id: r for r in store.result_rows(run_id, shown)}
        judge = judges[0] if judges else ""
        entries = []
        for item_id in shown:
            if item_id not in rows:
                continue
            entry = queued.get(item_id, {})
            given = gold.get(item_id)
            entries.append(
                {
                    "item_id": item_id,
                    "reasons": [REASON_NAMES[r] for r in REVIEW_REASONS if r in reasons[item_id]],
                    "note": entry.get("reason"),
                    "score": entry.get("score"),
                    "label": given.label if given else entry.get("label"),
                    "labelled_by": (f"{given.labeller} ({given.labeller_kind})" if given else entry.get("labelled_by")),
                    "labelled_at": given.labelled_at if given else entry.get("labelled_at"),
                    "item": item_view(rows[item_id], judge),
                }
            )

        def url(**changes: Any) -> str:
            query = {"show": show, "reason": reason, "page": page_no, **changes}
            return "?" + urlencode({k: v for k, v in query.items() if v not in ("open", "any", 1)})

        return page(
            "review.html.j2",
            title=f"Review queue: {run.id}",
            run=run,
            run_url="/runs/" + quote(run.id, safe=""),
            entries=entries,
            show=show,
            reason=reason,
            reasons=[
                {"key": r, "name": REASON_NAMES[r], "count": counts[r], "url": url(reason=r, page=1)}
                for r in REVIEW_REASONS
            ],
            any_url=url(reason="any", page=1),
            here=url(),
            toggle_url=url(show="open" if show == "all" else "all", page=1),
            labels=LABELS,
            total=total,
            page_no=page_no,
            prev_url=url(page=page_no - 1) if page_no > 1 else None,
            next_url=url(page=page_no + 1) if page_no * PER_PAGE_DEFAULT < total else None,
        )

    @app.post("/runs/{run_id}/review/{item_id}")
    async def label(request: Request, run_id: str, item_id: str) -> RedirectResponse:
        form = await form_of(request)
        value = form.get("label", "")
        if value not in LABELS:
            raise BadRequest(f"label must be one of {', '.join(LABELS)}, got {value!r}")
        reviewer = " ".join(form.get("reviewer", "").split())[:64] or "dashboard"

        def write() -> None:
            with open_store() as store:
                store.get_run(run_id)
                try:
                    store.put_gold_label(run_id, item_id, value, reviewer, "human")
                except ConfigError as exc:
                    raise RunNotFoundError(str(exc)) from exc
                # A flagged entry keeps its label too (riskscope judge eval --from-store reads both).
                queued = any(e["item_id"] == item_id for e in store.review_queue(run_id))
                if queued and value in (Outcome.SAFE.value, Outcome.UNSAFE.value):
                    store.label_review(run_id, item_id, value, reviewer)

        await run_in_threadpool(write)
        back = form.get("back")
        fallback = "/runs/" + quote(run_id, safe="") + "/review"
        return RedirectResponse(safe_back(run_id, back, fallback), status_code=303)

    @app.get("/compare", response_class=HTMLResponse)
    def compare(request: Request) -> HTMLResponse:
        a_id, b_id = request.query_params.get("a"), request.query_params.get("b")
        with open_store() as store:
            runs = store.list_runs()
            marker = store.change_marker()
            if not a_id or not b_id:
                return page("compare.html.j2", title="Compare runs", runs=runs, a=None, b=None)
            side: list[dict[str, Any]] = []
            for run_id in (a_id, b_id):
                run = store.get_run(run_id)
                judge = (_judges(run) or [""])[0]
                side.append(
                    {
                        "run": run,
                        "judge": judge,
                        "target": spec_label(run.config.get("target", {})),
                        "figures": figures_of(store, run_id, _judges(run)),
                        "outcomes": cache.get(
                            ("outcomes", run_id, judge),
                            store.change_marker(),
                            partial(store.item_outcomes, run_id, judge),
                        ),
                    }
                )
        a, b = side
        paired = cache.get(
            ("paired", a_id, b_id),
            marker,
            lambda: paired_comparison(a["outcomes"], b["outcomes"]),
        )
        names = [
            f"A {spec_label(a['run'].config.get('target', {}))}",
            f"B {spec_label(b['run'].config.get('target', {}))}",
        ]
        hazard_rows = []
        b_by_key = {h["key"]: h for h in b["figures"]["hazards"]}
        for h in a["figures"]["hazards"]:
            hazard_rows.append({"a": h, "b": b_by_key.pop(h["key"], None), "name": h["name"]})
        hazard_rows += [{"a": None, "b": h, "name": h["name"]} for h in b_by_key.values()]
        return page(
            "compare.html.j2",
            title="Compare runs",
            runs=runs,
            a=a,
            b=b,
            names=names,
            hazard_rows=hazard_rows,
            hazard_name=hazard_name,
            paired=paired,
            interval_note=interval_note(len(paired.hazards)),
            hazard_chart=interval_chart(
                "Unsafe rate per hazard",
                [
                    [*a["figures"]["hazards"], a["figures"]["overall"]],
                    [*b["figures"]["hazards"], b["figures"]["overall"]],
                ],
                series_names=names,
            ),
            tradeoff_chart=scatter_chart(
                "Over-refusal vs unsafe rate",
                [
                    {
                        "label": names[i],
                        "unsafe": s["figures"]["overall"]["unsafe_rate"],
                        "over_refusal": s["figures"]["over_refusal"],
                        "series": i,
                    }
                    for i, s in enumerate(side)
                ],
            ),
        )

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
