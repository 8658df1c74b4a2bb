"""``riskscope frontier --html OUT``: the frontier chart and table as one standalone, escaped page.

The chart is the report's over-refusal-vs-unsafe scatter (``reports.charts.scatter_chart``) with
each run as a point and its 95 % crosshairs; runs on the Pareto front are drawn in the second
series colour. Run labels are user text (targets, run ids): autoescaped like every report field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from markupsafe import Markup

from riskscope.reports._files import atomic_path
from riskscope.reports.charts import scatter_chart
from riskscope.reports.html import _ENV, _asset, csp_hash
from riskscope.stats.figures import estimate_data
from riskscope.stats.frontier import FrontierPoint

__all__ = ["render_frontier_html", "write_frontier_html"]


def render_frontier_html(points: Sequence[FrontierPoint], kinds: Mapping[str, str]) -> str:
    chart = scatter_chart(
        "Unsafe rate vs over-refusal (blue: on the Pareto front)",
        [
            {
                "label": p.name,
                "unsafe": estimate_data(p.unsafe),
                "over_refusal": estimate_data(p.over_refusal),
                "series": 1 if p.on_front else 0,
            }
            for p in points
        ],
    )
    css = _asset("report.css")
    return _ENV.get_template("frontier.html.j2").render(
        chart=chart,
        points=[
            {
                "name": p.name,
                "unsafe": estimate_data(p.unsafe),  # NaN (nothing assessed) becomes None: printed "—"
                "over_refusal": estimate_data(p.over_refusal),
                "on_front": p.on_front,
                "dominated_by": p.dominated_by,
                "clearly_dominated_by": p.clearly_dominated_by,
            }
            for p in points
        ],
        kinds=kinds,
        css=Markup(css),  # noqa: S704 - our packaged stylesheet, never data
        style_hash=csp_hash(css),
    )


def write_frontier_html(path: Path, points: Sequence[FrontierPoint], kinds: Mapping[str, str]) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(render_frontier_html(points, kinds), encoding="utf-8")
    return path
