"""The trend page: every series of runs (``riskscope trend``) with its per-hazard chart and alarms.

A series is the complete runs sharing target, suites, selection and headline judge (and its
version); each gets one chart of small multiples, the rate per run for every hazard, the end of the
baseline and the run where its CUSUM alarm fired. Computed once per store change (cached).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from riskscope.reports.charts import trend_chart
from riskscope.server._dashboard import Dashboard, run_url


def router(dash: Dashboard) -> APIRouter:
    router = APIRouter()

    @router.get("/trend", response_class=HTMLResponse)
    def trend() -> HTMLResponse:
        from riskscope.reports.trend import trend_series

        with dash.open_store() as store:
            series: list[dict[str, Any]] = dash.cache.get(
                ("trend",), store.change_marker(), lambda: [s.to_dict() for s in trend_series(store)]
            )
        shown = []
        for one in sorted(series, key=lambda s: -len(s["runs"])):
            key = one["key"]
            shown.append(
                {
                    "key": key,
                    "runs": [{"id": r, "url": run_url(r)} for r in one["runs"]],
                    "alarms": [{"hazard": h, "run": r, "url": run_url(r)} for h, r in sorted(one["alarms"].items())],
                    "chart": trend_chart(f"{key['target']} · judge {key['judge']}", one["runs"], one["hazards"])
                    if len(one["runs"]) > 1
                    else None,
                }
            )
        return dash.page("trend.html.j2", title="Trend", series=shown)

    return router
