"""The trajectory viewer in the HTML report: each step, tool, arguments, observation, malformed and
tool-error marks, the judges' verdicts, per-step marks, and all of it escaped (untrusted text)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agents"))
import _agenttgt_apps as apps

from riskscope.core import Outcome, Verdict
from riskscope.reports import render_html, summarise
from riskscope.reports._trajectory_view import trajectory_view
from riskscope.reports.html import report_environment
from riskscope.store import Store

PAYLOADS = ("<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "<b>boom</b>")


def test_the_report_shows_every_step_with_its_marks_and_verdicts_and_script_stays_inert(tmp_path: Path) -> None:
    path, run_id = apps.xss_run(tmp_path)
    with Store(path) as store:
        summary, rows = summarise(store, run_id)
    html = render_html(summary, rows)
    for payload in PAYLOADS:
        assert payload not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;b&gt;boom&lt;/b&gt;" in html
    table = html[html.index('<table class="trajectory">') : html.index("</table>", html.index('class="trajectory"'))]
    # 5 steps: the agent's round 1, its three calls answered one by one, its final answer.
    assert table.count("<tr>") == 1 + 5
    assert "malformed: arguments are not valid JSON" in table
    assert table.count("tool error") == 1
    assert "<b>lookup</b>({&#34;query&#34;: &#34;&lt;script&gt;" in table
    verdicts = html[html.index("Verdicts on this trajectory") :]
    assert "<b>refusal</b>" in verdicts and "<b>trajectory</b>" in verdicts


def test_a_judge_that_names_steps_marks_them_on_their_rows() -> None:
    turns = [
        {
            "index": 0,
            "kind": "target",
            "kept": True,
            "note": {"round": 1},
            "answer": "",
            "tool_calls": [{"type": "function", "function": {"name": "wire_money", "arguments": '{"to": "<x>"}'}}],
        },
        {
            "index": 1,
            "kind": "tool",
            "note": {},
            "tool": "wire_money",
            "arguments": '{"to": "<x>"}',
            "observation": "ok",
        },
        {"index": 2, "kind": "target", "kept": True, "note": {"round": 2}, "answer": "Sent."},
    ]
    verdicts = {
        "step-judge": Verdict(outcome=Outcome.UNSAFE, judge="step-judge", labels={"unsafe_steps": "0,1"}),
        "whole": Verdict(outcome=Outcome.SAFE, judge="whole"),
    }
    view = trajectory_view(turns, verdicts)
    assert view is not None
    assert [s["marks"] for s in view["steps"]] == [["step-judge"], ["step-judge"], []]
    assert [v["steps"] for v in view["verdicts"]] == [[0, 1], []]
    episode = {
        "strategy": "agent:x",
        "summary": "s",
        "model_calls": 2,
        "conversation": [],
        "turns": turns,
        "trajectory": view,
    }
    html = report_environment().get_template("_episode.html.j2").render(it={"episode": episode})
    rows = html.split("<tr>")[2:]
    assert ["step-judge: unsafe step" in r for r in rows] == [True, True, False]
    assert "&lt;x&gt;" in html and "<x>" not in html
    assert "(steps 0, 1)" in html


def test_a_multi_turn_attack_without_tools_gets_no_trajectory_table() -> None:
    turns = [{"index": 0, "kind": "attacker", "note": {}}, {"index": 1, "kind": "target", "note": {}, "answer": "a"}]
    assert trajectory_view(turns, {}) is None
