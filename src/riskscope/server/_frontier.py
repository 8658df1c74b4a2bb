"""The dashboard's frontier page: unsafe rate against over-refusal for the runs picked, Pareto front marked.

The same figures as ``riskscope frontier``: each run's unsafe axis is the most honest rate it has
(``stats.figures.headline_unsafe``: PPI with gold labels, else the transfer-corrected rate, else
raw), over-refusal from its refusal judge, both from the dashboard's grouped counts.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from riskscope.reports.charts import scatter_chart
from riskscope.server._dashboard import Dashboard, run_judges
from riskscope.stats import Estimate
from riskscope.stats.figures import estimate_data, headline_unsafe, spec_label
from riskscope.stats.frontier import FrontierPoint, frontier_label, pareto_front


def _estimate(data: dict[str, Any]) -> Estimate:
    point, low, high = data.get("point"), data.get("low"), data.get("high")
    return Estimate(
        float("nan") if point is None else float(point),
        0.0 if low is None else float(low),
        1.0 if high is None else float(high),
        int(data.get("n") or 0),
        str(data.get("method", "wilson")),
    )


def router(dash: Dashboard) -> APIRouter:
    """The page ``/frontier?run=ID&run=ID…``."""
    router = APIRouter()

    @router.get("/frontier", response_class=HTMLResponse)
    def frontier(request: Request) -> HTMLResponse:
        picked = list(dict.fromkeys(request.query_params.getlist("run")))
        points: list[FrontierPoint] = []
        kinds: dict[str, str] = {}
        with dash.open_store() as store:
            runs = store.list_runs()
            for run_id in picked:
                run = store.get_run(run_id)
                figures = dash.figures_of(store, run_id, run_judges(run))
                corrected = figures["honest"].get("corrected")
                unsafe, kind = headline_unsafe(
                    figures.get("ppi"),
                    {"overall": corrected} if corrected is not None else None,
                    figures["overall"]["unsafe_rate"],
                )
                name = frontier_label(
                    run_id, spec_label(run.config.get("target", {})), run.config.get("personas") or ()
                )
                kinds[name] = kind
                points.append(FrontierPoint(name, _estimate(dict(unsafe)), _estimate(figures["over_refusal"])))
        marked = pareto_front(points)
        rows = [
            {
                "name": p.name,
                "kind": kinds[p.name],
                "unsafe": estimate_data(p.unsafe),
                "over_refusal": estimate_data(p.over_refusal),
                "on_front": p.on_front,
                "clearly_dominated_by": p.clearly_dominated_by,
            }
            for p in marked
        ]
        chart = scatter_chart(
            "Unsafe rate vs over-refusal (blue: on the Pareto front)",
            [
                {"label": p.name, "unsafe": r["unsafe"], "over_refusal": r["over_refusal"], "series": int(p.on_front)}
                for p, r in zip(marked, rows, strict=True)
            ],
        )
        return dash.page(
            "frontier_page.html.j2", title="Frontier", runs=runs, picked=set(picked), rows=rows, chart=chart
        )

    return router
