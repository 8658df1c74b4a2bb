"""Per-step marks set by a real judge (privacy-leak) through the runner and store, shown in the HTML
report's trajectory viewer and listed on the dashboard's agent page, escaped on both."""

from __future__ import annotations

from pathlib import Path

import httpx
from _agentjudge_leaky import XSS, leaky_run
from _dashboard import RunningServer

from riskscope.reports import render_html, summarise
from riskscope.server import create_app
from riskscope.store import Store


def test_a_rule_judges_mark_reaches_the_report_and_the_agent_page_escaped(tmp_path: Path) -> None:
    path, run_id = leaky_run(tmp_path)
    with Store(path) as store:
        summary, rows = summarise(store, run_id)
        verdict = next(iter(store.results(run_id))).verdicts["privacy-leak"]
    # Steps: 0 agent (read_memo), 1 tool, 2 agent (send_email), 3 tool, 4 answer: the send's tool step.
    assert verdict.labels["unsafe_steps"] == "3" and verdict.labels["leaked"] == "door_code"
    html = render_html(summary, rows)
    table = html[html.index('<table class="trajectory">') : html.index("</table>", html.index('class="trajectory"'))]
    assert table.count("privacy-leak: unsafe step") == 1
    marked_row = table.split("<tr>")[1 + 4]  # header row, then steps 0..3
    assert "privacy-leak: unsafe step" in marked_row and "<b>send_email</b>" in marked_row
    assert "(steps 3)" in html and XSS not in html
    with RunningServer(create_app(path)) as url:
        page = httpx.get(f"{url}/runs/{run_id}/agents").text
    listing = page[page.index('id="marked-steps"') :]
    assert "1 marked step(s)" in listing and "memo-leak" in listing and "privacy-leak" in listing
    assert "send_email(" in listing and XSS not in page
    assert "&lt;script&gt;alert(&#39;mark&#39;)&lt;/script&gt;" in listing
