"""The dashboard's run page shows an agent episode's trajectory (the shared ``_episode.html.j2``),
escaped: script in a tool argument, an observation or the final answer stays inert."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
from _dashboard import RunningServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agents"))
import _agenttgt_apps as apps

from riskscope.server import create_app


def test_the_run_page_shows_the_trajectory_with_its_marks_escaped(tmp_path: Path) -> None:
    path, run_id = apps.xss_run(tmp_path)
    with RunningServer(create_app(path)) as url:
        html = httpx.get(f"{url}/runs/{run_id}").text
    assert '<table class="trajectory">' in html
    assert "malformed: arguments are not valid JSON" in html and "tool error" in html
    assert "Verdicts on this trajectory" in html
    for payload in ("<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "<b>boom</b>"):
        assert payload not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
