"""The review queue: flag an item, list items to review by reason, label one (a gold label)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from riskscope.core import Outcome
from riskscope.errors import ConfigError, RunNotFoundError
from riskscope.reports._view import item_view
from riskscope.server._dashboard import PER_PAGE_DEFAULT, BadRequest, Dashboard, int_param, run_judges, run_url
from riskscope.store import GOLD_LABELS, REVIEW_REASONS, ResultFilter

LABELS = GOLD_LABELS  # safe, unsafe, unassessable (the item cannot be judged: non-response, not a label)
REASON_NAMES = {
    "disagree": "judges disagree",
    "low_confidence": "low-confidence verdict",
    "flagged": "flagged by hand",
    "gold": "gold sample",
}


def router(dash: Dashboard) -> APIRouter:
    """The review pages and their two forms."""
    router = APIRouter()

    @router.post("/runs/{run_id}/flag/{item_id}")
    async def flag(request: Request, run_id: str, item_id: str) -> RedirectResponse:
        form = await dash.form_of(request)

        def write() -> None:
            with dash.open_store() as store:
                store.get_run(run_id)
                if not store.result_rows(run_id, [item_id]):
                    raise RunNotFoundError(f"no item {item_id!r} in run {run_id!r}")
                store.enqueue_review(run_id, item_id, "flagged in the dashboard", None)

        await run_in_threadpool(write)
        fallback = run_url(run_id)
        return RedirectResponse(dash.safe_back(run_id, form.get("back"), fallback), status_code=303)

    @router.get("/runs/{run_id}/review", response_class=HTMLResponse)
    def review(request: Request, run_id: str) -> HTMLResponse:
        params = request.query_params
        show = "all" if params.get("show") == "all" else "open"
        reason = params.get("reason") or "any"
        if reason != "any" and reason not in REVIEW_REASONS:
            raise BadRequest(f"reason must be any or one of {', '.join(REVIEW_REASONS)}, got {reason!r}")
        page_no = int_param(params.get("page"), 1, 1, 10**9, "page")
        with dash.open_store() as store:
            run = store.get_run(run_id)
            judges = run_judges(run)
            reasons = store.review_reasons(run_id, judges)
            counts = {r: sum(r in found for found in reasons.values()) for r in REVIEW_REASONS}
            queued = {e["item_id"]: e for e in store.review_queue(run_id)}
            gold = store.gold_labels(run_id)
            everything = ResultFilter(judge=judges[0] if judges else "")
            order: list[str] = dash.id_cache.get(
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

        return dash.page(
            "review.html.j2",
            title=f"Review queue: {run.id}",
            run=run,
            run_url=run_url(run.id),
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

    @router.post("/runs/{run_id}/review/{item_id}")
    async def label(request: Request, run_id: str, item_id: str) -> RedirectResponse:
        form = await dash.form_of(request)
        value = form.get("label", "")
        if value not in LABELS:
            raise BadRequest(f"label must be one of {', '.join(LABELS)}, got {value!r}")
        reviewer = " ".join(form.get("reviewer", "").split())[:64] or "dashboard"

        def write() -> None:
            with dash.open_store() as store:
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
        fallback = run_url(run_id) + "/review"
        return RedirectResponse(dash.safe_back(run_id, back, fallback), status_code=303)

    return router
