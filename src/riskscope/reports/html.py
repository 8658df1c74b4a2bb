"""The self-contained HTML report: one file, no network, every piece of model text escaped.

Autoescaping is on for the whole template and nothing from a prompt, a response or a suite is
ever marked safe; only our own packaged CSS and script are, and the page's Content-Security-Policy
allows exactly those two blocks by hash. So even text that slipped past escaping could not run a
script, load an image or send data anywhere. Charts are inline SVG built from numbers.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from riskscope.core import html_visible, is_secret_name
from riskscope.reports._files import atomic_path
from riskscope.reports._view import report_view
from riskscope.reports.generation_grid import generation_grid
from riskscope.reports.summary import RunSummary
from riskscope.store import ResultRow

__all__ = ["csp_hash", "render_html", "report_environment", "write_html"]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _finalize(value: Any) -> Any:
    # Every printed value passes here before autoescape: bidi controls from a suite, a model or a
    # judge become visible markers, so "exe.txt" cannot display as "txt.exe". Markup is our own HTML.
    if isinstance(value, str) and not isinstance(value, Markup):
        return html_visible(value)
    return value


def report_environment(*extra_loaders: jinja2.BaseLoader) -> jinja2.Environment:
    """A jinja2 environment with autoescape on and bidi controls made visible (the dashboard reuses it)."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([*extra_loaders, jinja2.PackageLoader("riskscope.reports", "templates")]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.filters["pct"] = _pct
    return env


_ENV = report_environment()


@cache
def _asset(name: str) -> str:
    return resources.files("riskscope.reports").joinpath("templates", name).read_text(encoding="utf-8")


def csp_hash(text: str) -> str:
    """The CSP source expression that allows exactly this inline block."""
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def _config_items(config: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Flattened run config for display; secret-looking fields (core.is_secret_name) are withheld."""
    if not config:
        return []
    items: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
            return
        if is_secret_name(prefix):
            items.append((prefix, "(withheld)"))
        else:
            items.append((prefix, "" if value is None else str(value)))

    for key in sorted(config):
        if key not in {"suites", "judges", "target"}:
            walk(key, config[key])
    if isinstance(config.get("target"), Mapping):
        for key, value in config["target"].items():
            if key not in {"name", "arg"}:
                walk(f"target.{key}", value)
    return items


def render_html(
    summary: RunSummary,
    rows: list[ResultRow],
    config: Mapping[str, Any] | None = None,
    *,
    trend: Mapping[str, Any] | None = None,
) -> str:
    """The report page; ``trend`` (reports.files) adds the run's series across runs when it has one."""
    css, script = _asset("report.css"), _asset("report.js")
    summary_data = summary.model_dump(mode="json")
    return _ENV.get_template("report.html.j2").render(
        summary=summary_data,
        view=report_view(summary_data, rows),
        generation=generation_grid(config, rows, summary.primary_judge),
        config_items=_config_items(config),
        trend=trend,
        css=Markup(css),  # noqa: S704 - our packaged stylesheet, never data
        script=Markup(script),  # noqa: S704 - our packaged script, never data
        style_hash=csp_hash(css),
        script_hash=csp_hash(script),
    )


def write_html(
    path: Path,
    summary: RunSummary,
    rows: list[ResultRow],
    config: Mapping[str, Any] | None = None,
    *,
    trend: Mapping[str, Any] | None = None,
) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(render_html(summary, rows, config, trend=trend), encoding="utf-8")
    return path
