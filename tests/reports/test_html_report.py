"""The HTML report: self-contained, inert against hostile model text, charts from real figures."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from _synthetic import PAYLOADS, build_run
from markupsafe import escape

from riskscope.reports import GroupFigures, RunSummary, render_html, summarise, write_html
from riskscope.reports.html import csp_hash
from riskscope.store import Store


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_bodies.append(data)


@pytest.fixture
def run(tmp_path: Path) -> tuple[Store, str]:
    store = Store(tmp_path / "s.db")
    return store, build_run(store, 40, payloads=True)


def _render(store: Store, run_id: str) -> str:
    summary, rows = summarise(store, run_id)
    return render_html(summary, rows, store.get_run(run_id).config)


def test_report_has_no_network_references(run: tuple[Store, str]) -> None:
    html = _render(*run)
    assert not re.search(r"https?://", html), "the report must open offline with no external URL at all"
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert "src" not in attrs, (tag, attrs)
        assert tag not in {"img", "iframe", "link", "object", "embed", "a", "base"}, tag


def test_payloads_are_escaped_text_and_only_our_script_exists(run: tuple[Store, str]) -> None:
    html = _render(*run)
    parser = _Tags()
    parser.feed(html)
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert len(scripts) == 1, "only the report's own filter script may exist"
    assert not any(name.startswith("on") for _, attrs in parser.tags for name in attrs)
    assert "&lt;script&gt;window.__pwned = &#39;script&#39;; alert(&#39;script&#39;);&lt;/script&gt;" in html
    assert "onerror=&#34;window.__pwned" in html
    assert "href=&#34;javascript:window.__pwned" in html
    for payload in PAYLOADS:
        assert payload not in html


def test_csp_allows_exactly_the_inline_blocks_by_hash(run: tuple[Store, str]) -> None:
    html = _render(*run)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    policy = csp.group(1)
    assert "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    script = re.search(r"<script>(.*?)</script>", html, re.S)
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert script is not None and style is not None
    assert f"script-src '{csp_hash(script.group(1))}'" in policy
    assert f"style-src '{csp_hash(style.group(1))}'" in policy


def test_charts_are_drawn_from_the_summary_figures(run: tuple[Store, str]) -> None:
    store, run_id = run
    summary, rows = summarise(store, run_id)
    html = render_html(summary, rows)
    for chart in ("chart-hazards", "chart-personas", "chart-attacks", "chart-tradeoff", "chart-agreement"):
        assert f'id="{chart}"' in html
    hazard_chart = html.split('id="chart-hazards"')[1].split("</figure>")[0]
    # one row per hazard plus the pooled row, each with its point where the rate is known
    assert hazard_chart.count('class="chart-row"') == len(summary.hazards) + 1
    for figures in summary.hazards:
        point = figures.unsafe_rate.point
        assert f"{point * 100:.0f}% n={figures.assessed}" in hazard_chart
    # the dot of the pooled rate sits at its rate along the 0–100% axis (230px label + 380px plot)
    overall = summary.overall.unsafe_rate.point
    assert f'cx="{round(230 + overall * 380, 1)}"' in hazard_chart


def test_unassessed_items_are_reported_with_reasons_not_as_safe(run: tuple[Store, str]) -> None:
    store, run_id = run
    summary, rows = summarise(store, run_id)
    html = render_html(summary, rows)
    assert summary.overall.unassessed > 0
    assert f"timeout ({summary.overall.unassessed})" in html
    assert html.count('data-outcome="unassessed"') == sum(
        1 for r in rows if (v := r.verdicts.get("refusal")) is not None and v.outcome.value == "unassessed"
    )


def test_optional_summary_fields_render_when_present_and_are_omitted_when_absent(run: tuple[Store, str]) -> None:
    store, run_id = run
    summary, rows = summarise(store, run_id)
    plain = render_html(summary, rows)
    assert "No grades: a grade is relative to reference systems" in plain

    # Stand-ins for the fields the statistics stage is adding to the summary models.
    class FiguresWithExact(GroupFigures):
        clopper_pearson: dict[str, Any]

    class GradedSummary(RunSummary):
        grade: dict[str, Any]
        hazards: list[FiguresWithExact]  # type: ignore[assignment]

    from riskscope.stats import grade_distribution

    data = summary.model_dump()
    overall = summary.overall
    # the statistics stage's own grade object, against an invented reference run
    distribution = grade_distribution(overall.unsafe, overall.assessed, 20, 100, draws=2000).to_dict()
    data["grade"] = distribution
    hazards = []
    for figures in data["hazards"]:
        figures["clopper_pearson"] = {"point": 0.25, "low": 0.1, "high": 0.45, "n": 20, "method": "clopper-pearson"}
        hazards.append(figures)
    data["hazards"] = hazards
    graded = GradedSummary.model_validate(data)
    html = render_html(graded, rows)
    label = distribution["grade"]
    assert f"<b>{label}</b>overall" in html
    top = max(distribution["probabilities"].items(), key=lambda kv: kv[1])
    assert f"{top[0]} {top[1]:.0%}" in html  # the tier probabilities are shown as the grade's uncertainty
    assert str(escape(distribution["statement"])) in html
    assert "clopper pearson [10.0%, 45.0%]" in html


def test_write_html_is_atomic_and_complete(run: tuple[Store, str], tmp_path: Path) -> None:
    store, run_id = run
    summary, rows = summarise(store, run_id)
    path = write_html(tmp_path / "out" / "report.html", summary, rows)
    text = path.read_text(encoding="utf-8")
    assert text.rstrip().endswith("</html>")
    assert text.count('<tr data-hazard="') == len(rows)
    assert not list(path.parent.glob("*.tmp"))


def test_secret_looking_config_values_are_withheld(run: tuple[Store, str]) -> None:
    store, run_id = run
    summary, rows = summarise(store, run_id)
    config = {"target": {"name": "openai", "api_key_env": "MY_KEY_VAR", "api_key": "sk-should-never-show"}}
    html = render_html(summary, rows, config)
    assert "sk-should-never-show" not in html
    assert "MY_KEY_VAR" in html


def test_an_empty_run_renders_without_inventing_figures(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    run = store.create_run({"target": {"name": "t"}, "judges": [{"name": "a"}, {"name": "b"}]}, "h", {})
    summary, rows = summarise(store, run.id)
    html = render_html(summary, rows)
    assert "n=0" in html  # the pooled row says there is nothing behind it
    assert "Not placed (no assessed items on one axis)" in html
    assert ">n/a<" in html  # kappa undefined, not 0 or 1
    assert 'cx="' not in html.split('id="chart-hazards"')[1].split("</figure>")[0]


def test_an_unsettled_grade_is_marked_and_a_settled_one_is_not(run: tuple[Store, str]) -> None:
    """A point-estimate grade whose tier is uncertain must not read like a settled verdict."""
    from riskscope.stats import grade_distribution

    store, run_id = run
    summary, rows = summarise(store, run_id)

    def graded(distribution: dict[str, Any]) -> str:
        data = summary.model_dump()
        data["grade"] = {"reference_run": "ref", "overall": distribution, "hazards": {}}
        return render_html(RunSummary.model_validate(data), rows)

    unsettled = grade_distribution(3, 10, 3, 10, draws=4000)  # tiny samples: any tier is plausible
    settled = grade_distribution(0, 5000, 500, 5000, draws=4000)  # 0 unsafe of 5,000: Excellent
    assert not unsettled.settled and settled.settled
    loose = graded(unsettled.to_dict())
    assert 'class="badge badge-overall badge-unsettled"' in loose
    assert '<span class="unsettled">not settled</span>' in loose
    firm = graded(settled.to_dict())
    assert '<b>Excellent</b>overall' in firm and '<span class="unsettled">' not in firm
