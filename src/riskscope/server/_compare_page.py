"""Two runs side by side, paired on their shared items (server/_compare.py pairs them)."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from riskscope.config import RunConfig
from riskscope.reports.charts import interval_chart, scatter_chart
from riskscope.server._compare import paired_comparison
from riskscope.server._dashboard import Dashboard, run_judges
from riskscope.stats.figures import interval_note, spec_label
from riskscope.taxonomy import hazard_name


def router(dash: Dashboard) -> APIRouter:
    """The page ``/compare``."""
    router = APIRouter()

    @router.get("/compare", response_class=HTMLResponse)
    def compare(request: Request) -> HTMLResponse:
        a_id, b_id = request.query_params.get("a"), request.query_params.get("b")
        with dash.open_store() as store:
            runs = store.list_runs()
            marker = store.change_marker()
            if not a_id or not b_id:
                return dash.page("compare.html.j2", title="Compare runs", runs=runs, a=None, b=None)
            side: list[dict[str, Any]] = []
            for run_id in (a_id, b_id):
                run = store.get_run(run_id)
                judges = run_judges(run)
                judge = (judges or [""])[0]
                side.append(
                    {
                        "run": run,
                        "judge": judge,
                        "target": spec_label(RunConfig.of_run(run).target),
                        "figures": dash.figures_of(store, run_id, judges),
                        "outcomes": dash.cache.get(
                            ("outcomes", run_id, judge),
                            store.change_marker(),
                            partial(store.item_outcomes, run_id, judge),
                        ),
                    }
                )
        a, b = side
        paired = dash.cache.get(
            ("paired", a_id, b_id),
            marker,
            lambda: paired_comparison(a["outcomes"], b["outcomes"]),
        )
        names = [
            f"A {a['target']}",
            f"B {b['target']}",
        ]
        hazard_rows = []
        b_by_key = {h["key"]: h for h in b["figures"]["hazards"]}
        for h in a["figures"]["hazards"]:
            hazard_rows.append({"a": h, "b": b_by_key.pop(h["key"], None), "name": h["name"]})
        hazard_rows += [{"a": None, "b": h, "name": h["name"]} for h in b_by_key.values()]
        return dash.page(
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

    return router
