"""The generation coverage report: cells requested / produced / kept, and what QA dropped.

``riskscope generate`` writes it beside the suite (``SUITE.coverage.json`` and ``.html``), so a
reader sees which hazard × style × technique cells the suite really covers: a cell whose items all
failed QA is a hole in the suite, not a cell that was tested. Escaped like every report (the
generator's name and options are user text).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from markupsafe import Markup

from riskscope.reports._files import atomic_path
from riskscope.reports.html import _asset, csp_hash, report_environment

__all__ = ["render_coverage_html", "write_coverage"]


def render_coverage_html(coverage: Mapping[str, Any]) -> str:
    css = _asset("report.css")
    env = report_environment()
    return env.get_template("coverage.html.j2").render(
        coverage=coverage, css=Markup(css), style_hash=csp_hash(css)  # noqa: S704 - our packaged stylesheet
    )


def write_coverage(suite_path: Path, coverage: Mapping[str, Any]) -> dict[str, Path]:
    """``SUITE.coverage.json`` and ``SUITE.coverage.html`` beside the suite file."""
    stem = suite_path.with_suffix("")
    files = {"json": stem.with_name(stem.name + ".coverage.json"), "html": stem.with_name(stem.name + ".coverage.html")}
    with atomic_path(files["json"]) as tmp:
        tmp.write_text(json.dumps(coverage, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    with atomic_path(files["html"]) as tmp:
        tmp.write_text(render_coverage_html(coverage), encoding="utf-8")
    return files
