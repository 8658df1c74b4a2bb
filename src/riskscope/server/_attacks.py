"""The dashboard's attack page: attack × hazard matrix, lift chart and cost per success of one run.

The figures are ``reports.attack_figures.attack_figures`` over the run's rows with the headline
judge, exactly what ``riskscope report`` writes into ``summary.attack_success``, and the page draws
them with the report's own macro (``_attacks.html.j2``), so the two surfaces show one truth. The
pairing needs every row of the run (a base case against all its variants), so the figures are
computed once per store change and cached, not per page view.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from riskscope.reports.attack_figures import attack_figures
from riskscope.reports.attack_view import attack_view
from riskscope.server._dashboard import Dashboard, run_judges, run_url

__all__ = ["router"]


def router(dash: Dashboard) -> APIRouter:
    """``GET /runs/{run_id}/attacks``."""
    routes = APIRouter()

    @routes.get("/runs/{run_id}/attacks", response_class=HTMLResponse)
    def run_attacks(run_id: str) -> HTMLResponse:
        with dash.open_store() as store:
            run = store.get_run(run_id)
            judges = run_judges(run)
            judge = judges[0] if judges else ""

            def compute() -> dict[str, Any] | None:
                return attack_figures(list(store.results(run_id)), judge)

            figures = dash.cache.get(("attacks", run_id, judge), store.change_marker(), compute)
        return dash.page(
            "attacks.html.j2", title=f"Attacks: {run.id}", run=run, run_url=run_url(run.id), judge=judge,
            att=attack_view(figures),
        )

    return routes
