"""The runs list and a run's page: figures from grouped counts, one page of items read in SQL."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from riskscope.config import RunConfig
from riskscope.reports._view import item_view
from riskscope.reports.charts import interval_chart, scatter_chart
from riskscope.server._dashboard import (
    PER_PAGE_DEFAULT,
    PER_PAGE_MAX,
    BadRequest,
    Dashboard,
    hazard_codes,
    int_param,
    run_judges,
    run_url,
)
from riskscope.server._generation import run_generation
from riskscope.stats.figures import spec_label
from riskscope.store import ResultFilter


def router(dash: Dashboard) -> APIRouter:
    """The pages ``/`` and ``/runs/{id}``."""
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse)
    def runs_list() -> HTMLResponse:
        with dash.open_store() as store:
            runs = store.list_runs()
            counts = store.run_item_counts()
        rows = []
        for run in runs:
            config = RunConfig.of_run(run)  # validated once per run, not once per column
            rows.append(
                {
                    "run": run,
                    "url": run_url(run.id),
                    "target": spec_label(config.target),
                    "judges": [spec_label(j) for j in config.judges],
                    "item_count": counts.get(run.id, 0),
                }
            )
        return dash.page("runs.html.j2", title="Runs", runs=rows)

    @router.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_detail(request: Request, run_id: str) -> HTMLResponse:
        params = request.query_params
        per_page = int_param(params.get("per_page"), PER_PAGE_DEFAULT, 1, PER_PAGE_MAX, "per_page")
        page_no = int_param(params.get("page"), 1, 1, 10**9, "page")
        hazard = params.get("hazard") or None
        outcome = params.get("outcome") or None
        if outcome is not None and outcome not in {"safe", "unsafe", "unassessed", "pending"}:
            raise BadRequest(f"outcome must be safe, unsafe, unassessed or pending, got {outcome!r}")
        persona = params.get("persona") or None
        attack = params.get("attack") or None
        text = (params.get("q") or "").strip()[:200] or None
        with dash.open_store() as store:
            run = store.get_run(run_id)
            judges = run_judges(run)
            judge = judges[0] if judges else ""
            figures = dash.figures_of(store, run_id, judges)
            generation = run_generation(dash, store, run, judge)
            where = ResultFilter(
                judge=judge,
                hazards=None if hazard in (None, "benign") else tuple(hazard_codes(hazard)),
                expected="comply" if hazard == "benign" else None,
                outcome=outcome,
                persona=persona,
                attack=None if attack is None else (() if attack == "none" else tuple(attack.split("+"))),
                text=text,
            )
            ids: list[str] = dash.id_cache.get(
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

        return dash.page(
            "run.html.j2",
            title=f"Run {run.id}",
            run=run,
            run_url=run_url(run.id),
            judges=judges,
            judge=judge,
            figures=figures,
            generation=generation,
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

    return router
