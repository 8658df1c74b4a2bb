"""The dashboard's agent page: the agent benchmarks' figures of one run, as the HTML report shows them.

Agent-SafetyBench failure modes, simulated users and privacy leaks, AgentDojo utility / attack
success and ToolEmu safety vs helpfulness per environment are blocks of the run's summary
(``reports.summary.summarise_rows``). This page renders that same summary through the report's own
partials, so the report, ``results.json`` and the dashboard cannot disagree. The blocks need every
row of the run, so the summary is computed once per store change and cached, not per page view.
Below them, every step a judge marked unsafe (``labels["unsafe_steps"]``), with what the agent or
tool did there: the run page's trajectory viewer shows the same marks in context.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from riskscope.reports._trajectory_view import marked_steps
from riskscope.reports.summary import summarise_rows
from riskscope.server._dashboard import Dashboard, run_url

__all__ = ["AGENT_BLOCKS", "router"]

AGENT_BLOCKS = ("agentsafety", "simusers", "agentdojo", "toolemu")


def router(dash: Dashboard) -> APIRouter:
    """``GET /runs/{run_id}/agents``."""
    routes = APIRouter()

    @routes.get("/runs/{run_id}/agents", response_class=HTMLResponse)
    def run_agents(run_id: str) -> HTMLResponse:
        with dash.open_store() as store:
            run = store.get_run(run_id)

            def compute() -> tuple[dict[str, Any], dict[str, Any]]:
                rows = list(store.results(run_id))
                data = summarise_rows(run, rows).model_dump(mode="json")
                return {key: data[key] for key in AGENT_BLOCKS if data.get(key)}, marked_steps(rows)

            summary, marked = dash.cache.get(("agents", run_id), store.change_marker(), compute)
        return dash.page(
            "agents.html.j2",
            title=f"Agents: {run.id}",
            run=run,
            run_url=run_url(run.id),
            summary=summary,
            marked=marked,
        )

    return routes
