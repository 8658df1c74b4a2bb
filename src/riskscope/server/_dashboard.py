"""What every dashboard page shares: the store, the template environment, the caches, the form secret.

One :class:`Dashboard` per app is handed to each router factory (server/_runs.py, _review.py,
_compare_page.py). A new page is a module with ``router(dash) -> APIRouter``, included by
``create_app`` in one line. Each request opens its own store connection: SQLite connections must
not be shared across the threads FastAPI runs handlers on, and opening one costs well under a
millisecond.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from riskscope.config import RunConfig
from riskscope.core import RunRecord
from riskscope.errors import RiskscopeError
from riskscope.reports.html import report_environment
from riskscope.server._cache import CountsCache
from riskscope.server._figures import pick_refusal_judge, run_figures
from riskscope.server._security import new_secret, same_secret
from riskscope.stats.figures import spec_label
from riskscope.store import Store
from riskscope.taxonomy import HAZARDS

PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 200


class BadRequest(RiskscopeError):
    """A query parameter or form field the dashboard cannot use."""


def run_judges(run: RunRecord) -> list[str]:
    return [spec_label(j) for j in RunConfig.of_run(run).judges]


def hazard_codes(key: str) -> list[str]:
    return [key] + [h.code for h in HAZARDS if h.parent == key]


def int_param(value: str | None, default: int, low: int, high: int, name: str) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a whole number, got {value!r}") from exc
    return max(low, min(high, number))


def run_url(run_id: str) -> str:
    return "/runs/" + quote(run_id, safe="")


@dataclass
class Dashboard:
    """The shared state of one dashboard app."""

    store_file: Path
    csrf_secret: str = field(default_factory=new_secret)
    cache: CountsCache = field(default_factory=CountsCache)
    # Filtered id lists are larger (up to one string per item), so fewer are kept.
    id_cache: CountsCache = field(default_factory=lambda: CountsCache(size=8))
    env: jinja2.Environment = field(init=False)

    def __post_init__(self) -> None:
        self.env = report_environment(jinja2.PackageLoader("riskscope.server", "templates"))
        self.env.globals["csrf"] = self.csrf_secret

    @contextmanager
    def open_store(self) -> Iterator[Store]:
        with Store(self.store_file) as store:
            yield store

    def page(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.env.get_template(name).render(**context), status_code=status)

    def figures_of(self, store: Store, run_id: str, judges: list[str]) -> dict[str, Any]:
        """Rates from the headline judge (the first), over-refusal from the run's refusal judge."""
        marker = store.change_marker()

        def counts_of(judge: str) -> list[dict[str, Any]]:
            counts: list[dict[str, Any]] = self.cache.get(
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

        figures: dict[str, Any] = self.cache.get(("figures", run_id, tuple(judges)), marker, compute)
        return figures

    async def form_of(self, request: Request) -> dict[str, str]:
        """A posted form, refused unless it carries this app's secret (forms only the dashboard made)."""
        body = (await request.body()).decode("utf-8", errors="replace")
        form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
        if not same_secret(form.get("csrf"), self.csrf_secret):
            raise BadRequest("this form has expired or did not come from the dashboard; reload the page")
        return form

    @staticmethod
    def safe_back(run_id: str, back: str | None, fallback: str) -> str:
        """Where to return after a form: only a page of the same run (no open redirect)."""
        prefix = run_url(run_id)
        if back and back.startswith(prefix) and "//" not in back and "\\" not in back:
            return back
        return fallback
