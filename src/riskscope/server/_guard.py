"""The guard page: the safeguard proxy's decisions (``riskscope guard serve`` logs them to the store).

One page of rows (SQL LIMIT/OFFSET, newest first) with counts per policy and action; filters by
policy and action. A row shows the request's hash, never its text or headers: the log holds
neither, so no API key or prompt can be shown here.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from riskscope.server._dashboard import BadRequest, Dashboard, int_param

PER_PAGE = 50
ACTIONS = ("pass", "flag", "block", "error")


def router(dash: Dashboard) -> APIRouter:
    router = APIRouter()

    @router.get("/guard", response_class=HTMLResponse)
    def guard_decisions(request: Request) -> HTMLResponse:
        params = request.query_params
        action = params.get("action") or None
        if action is not None and action not in ACTIONS:
            raise BadRequest(f"action must be one of {', '.join(ACTIONS)}, got {action!r}")
        policy = (params.get("policy") or "").strip()[:200] or None
        page_no = int_param(params.get("page"), 1, 1, 10**9, "page")
        with dash.open_store() as store:
            counts = store.guard_action_counts()
            total = store.guard_count(policy=policy, action=action)
            rows = store.guard_page(policy=policy, action=action, limit=PER_PAGE, offset=(page_no - 1) * PER_PAGE)
        active = {k: v for k, v in {"policy": policy, "action": action}.items() if v}
        last_page = max(1, -(-total // PER_PAGE))
        return dash.page(
            "guard.html.j2",
            title="Guard decisions",
            counts=counts,
            rows=rows,
            total=total,
            policy=policy,
            action=action,
            actions=ACTIONS,
            page_no=page_no,
            last_page=last_page,
            prev_url="?" + urlencode({**active, "page": page_no - 1}) if page_no > 1 else None,
            next_url="?" + urlencode({**active, "page": page_no + 1}) if page_no < last_page else None,
        )

    return router
