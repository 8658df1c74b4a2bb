"""The dashboard's frontier page shows the same figures as `riskscope frontier --json`."""

from __future__ import annotations

import json

import httpx
from _dashboard import Dashboard
from typer.testing import CliRunner

from riskscope.cli import app


def test_frontier_page_matches_the_cli(dashboard: Dashboard) -> None:
    empty = httpx.get(f"{dashboard.url}/frontier")
    assert empty.status_code == 200 and "Pick two or more runs" in empty.text
    page = httpx.get(f"{dashboard.url}/frontier", params=[("run", dashboard.run_a), ("run", dashboard.run_b)]).text
    assert page.count('class="chart-point"') == 2
    cli = CliRunner().invoke(
        app, ["frontier", dashboard.run_a, dashboard.run_b, "--json", "--store", str(dashboard.store_path)]
    )
    assert cli.exit_code == 0, cli.output
    for row in json.loads(cli.stdout):
        line = next(x for x in page.split("<tr>") if x.startswith(f"<td>{row['run'].split(' ')[0]}"))
        assert f"{100 * row['unsafe']['point']:.1f}%" in line
        assert f"{100 * row['over_refusal']['point']:.1f}%" in line
        assert f"<td>{row['unsafe_kind']}</td>" in line
        assert ("<td>yes</td>" in line) == row["on_front"]
