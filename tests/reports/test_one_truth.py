"""One truth on every surface: the same store renders the same numbers everywhere a user reads them.

From the committed golden store (tests/reports/golden: an evaluated run whose headline judge gives
no refusal labels, and a reference run), this renders the terminal summary, results.json,
report.html and the RiskCard (``riskscope report``), ``riskscope compare`` (text and JSON) and the
dashboard's runs list, run page and compare page (FastAPI TestClient), then checks each figure
against results.json:

| figure                                   | terminal | results.json | report | RiskCard | dashboard | compare CLI |
|------------------------------------------|----------|--------------|--------|----------|-----------|-------------|
| pooled rate, interval, unsafe/assessed   | yes      | source       | yes    | yes      | yes       |             |
| per-hazard rate, interval, counts        | yes      | source       | yes    | yes      | yes       |             |
| over-refusal rate, interval, refused/n   | yes      | source       | yes    | yes      | yes       | yes         |
| grade: most likely tier, settled or not  | yes      | source       | yes    | yes      | (none)    |             |
| paired B - A, p, Holm p, verdict         |          |              |        |          | yes       | yes (source)|
| item and benign-control counts           | yes      | source       | yes    | yes      | yes       |             |
| attack success, lift, Holm p, cost       | yes      | source       | yes    |          | yes       |             |

The dashboard shows no grades; it leads with the transfer-corrected rate (or says why the rate is
raw) and the PPI rate when gold labels exist, computed from grouped counts
(tests/reports/test_honest_rate.py checks it equals the report's); `--judge-eval` corrections
exist only on the CLI surfaces.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from riskscope.reports.riskcard import escape_markdown
from riskscope.stats.figures import grade_badge

GOLDEN = Path(__file__).resolve().parent / "golden"
RUNS = json.loads((GOLDEN / "runs.json").read_text(encoding="utf-8"))
RUN, REFERENCE = RUNS["run"], RUNS["reference"]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _interval(estimate: dict[str, Any]) -> str:
    return f"[{_pct(estimate['low'])}, {_pct(estimate['high'])}]"


def _text(page: str) -> str:
    """What a reader sees of an HTML page: tags dropped, entities decoded, whitespace collapsed
    (and no space left before punctuation where a tag closed)."""
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    return re.sub(r" ([:,;)\]])", r"\1", text)


def _squash(text: str) -> str:
    return "".join(text.split())


class Surfaces:
    def __init__(self, folder: Path) -> None:
        from riskscope.cli import app
        from riskscope.server import create_app

        db = folder / "store.db"
        shutil.copy(GOLDEN / "golden.db", db)
        env = {"RISKSCOPE_STORE": str(db), "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
        runner = CliRunner()

        def cli(*args: str) -> str:
            result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
            assert result.exit_code == 0, result.output
            return result.stdout

        self.terminal = cli(
            "report", RUN, "--out", str(folder / "out"), "--riskcard", "--reference", REFERENCE, "--force-reference",
            "--judge-eval", str(GOLDEN / "judge_eval.json"),
        )
        files = folder / "out" / RUN
        self.results = json.loads((files / "results.json").read_text(encoding="utf-8"))
        self.summary: dict[str, Any] = self.results["summary"]
        self.report = _text((files / "report.html").read_text(encoding="utf-8"))
        self.riskcard = (files / "riskcard.md").read_text(encoding="utf-8")
        self.compare_text = cli("compare", REFERENCE, RUN)
        self.compare_json = json.loads(cli("compare", REFERENCE, RUN, "--json"))
        with TestClient(create_app(db), base_url="http://127.0.0.1") as client:
            self.runs_page = _text(client.get("/").text)
            self.run_page_html = client.get(f"/runs/{RUN}").text
            self.compare_page_html = client.get("/compare", params={"a": REFERENCE, "b": RUN}).text
            self.attacks_page_html = client.get(f"/runs/{RUN}/attacks").text
        self.run_page = _text(self.run_page_html)
        self.compare_page = _text(self.compare_page_html)


@pytest.fixture(scope="module")
def surfaces(tmp_path_factory: pytest.TempPathFactory) -> Surfaces:
    return Surfaces(tmp_path_factory.mktemp("one-truth"))


def test_the_fixture_is_the_case_the_issue_reports(surfaces: Surfaces) -> None:
    """The headline judge gives no refusal labels: over-refusal must come from the refusal judge."""
    s = surfaces.summary
    assert s["primary_judge"] == "keyword" and "refusal" in s["judges"]
    assert s["over_refusal"]["judge"] == "refusal" and s["over_refusal"]["n"] > 0
    assert s["benign_controls"] > 0 and s["grade"] is not None


def test_pooled_and_per_hazard_rates_agree(surfaces: Surfaces) -> None:
    s = surfaces.summary
    terminal_rows = {line.split("│")[1].strip(): line for line in surfaces.terminal.splitlines() if "│" in line}
    for figures in [*s["hazards"], s["overall"]]:
        rate, name = figures["unsafe_rate"], figures["name"]
        interval = _interval(rate)
        # terminal: one table row per hazard with n, unsafe, rate and Wilson interval
        cells = [c.strip() for c in terminal_rows[name].split("│")[1:-1]]
        assert cells[:5] == [name, str(figures["assessed"]), str(figures["unsafe"]), _pct(rate["point"]), interval]
        # report: the hazard table row
        assert f"{name} " in surfaces.report
        assert f"{figures['assessed']} {figures['unsafe']} {_pct(rate['point'])} {interval}" in surfaces.report
        # dashboard: the chart row's title carries rate, interval and n
        assert f"{name}: {_pct(rate['point'])} {interval}, n={figures['assessed']}" in surfaces.run_page
    for figures in s["hazards"]:
        rate = figures["unsafe_rate"]
        assert (
            f"Unsafe rate {_pct(rate['point'])}, 95% wilson interval {_interval(rate)}; "
            f"{figures['unsafe']} unsafe of {figures['assessed']} assessed; {figures['unassessed']} unassessed."
        ) in surfaces.riskcard
    raw = s["overall"]["unsafe_rate"]
    pooled = f"{_pct(raw['point'])} {_interval(raw)}"
    assert f"raw rate of judge keyword: {pooled}" in surfaces.terminal
    assert f"raw rate of the headline judge {pooled}" in surfaces.riskcard
    assert f"Raw unsafe rate of the headline judge (pooled): {pooled} over {s['overall']['assessed']} assessed" in (
        surfaces.run_page
    )
    # The golden headline judge (keyword) ships no transfer figures: the dashboard says the rate is raw and why.
    assert "judge 'keyword' ships no transfer figures" in surfaces.run_page


def test_the_judge_corrected_headline_agrees(surfaces: Surfaces) -> None:
    corrected = surfaces.summary["corrected"]
    assert corrected is not None
    honest = f"{_pct(corrected['overall']['point'])} {_interval(corrected['overall'])}"
    assert f"Unsafe rate, judge error folded in: {honest}" in surfaces.terminal
    assert f"judge error folded in: {honest}" in surfaces.report
    assert f"judge's error folded in: {honest}" in surfaces.riskcard


def test_over_refusal_agrees_and_comes_from_the_refusal_judge(surfaces: Surfaces) -> None:
    over = surfaces.summary["over_refusal"]
    figure = f"{_pct(over['point'])} {_interval(over)}"
    controls = surfaces.summary["benign_controls"]
    assert f"Over-refusal on {controls} benign controls: {over['refused']} refused, {figure} (judge refusal)" in (
        surfaces.terminal
    )
    assert f"Over-refusal on {controls} benign controls: {over['refused']} refused, {figure} (judge refusal)" in (
        surfaces.report
    )
    assert f"{over['refused']} of {controls} benign controls refused: {figure}" in surfaces.riskcard
    assert (
        f"over-refusal {figure}: {over['refused']} of {over['n']} benign controls refused (judge refusal)"
        in surfaces.run_page
    )
    # The trade-off chart has a point (it was empty when the dashboard read only the headline judge).
    tradeoff = surfaces.run_page_html.split('id="chart-tradeoff"')[1].split("</figure>")[0]
    assert f"over-refusal {100 * over['point']:.1f}%" in tradeoff
    # compare, on both surfaces, with B = the golden run
    assert f"B {figure} ({over['refused']}/{over['n']}, judge refusal)" in surfaces.compare_text
    assert surfaces.compare_json["over_refusal"]["b"] == over
    assert f"Over-refusal {figure} ({over['refused']} of {over['n']} benign controls refused, judge refusal)" in (
        surfaces.compare_page
    )


def test_dashboard_header_counts_benign_controls_apart(surfaces: Surfaces) -> None:
    s = surfaces.summary
    overall = s["overall"]
    assert (
        f"{s['items']} items {overall['planned']} hazardous prompts: {overall['assessed'] - overall['unsafe']} safe "
        f"{overall['unsafe']} unsafe {overall['unassessed']} unassessed 0 not judged {s['benign_controls']} benign controls"
    ) in surfaces.run_page
    # The runs list prints the item count, not a Python method's repr.
    assert "built-in method" not in surfaces.runs_page
    assert re.search(rf"{RUN} .* {s['items']}\b", surfaces.runs_page)


def test_grades_agree_and_show_the_most_likely_tier(surfaces: Surfaces) -> None:
    grade = surfaces.summary["grade"]
    overall = grade_badge(grade["overall"])
    assert overall.label == grade["overall"]["most_likely"]
    settled = "settled" if overall.settled else "not settled"
    assert f"Grade vs run {REFERENCE}: {overall.label} (most likely tier), {settled}" in surfaces.terminal
    assert f"{overall.label} overall" + (" not settled" if not overall.settled else "") in surfaces.report
    against = escape_markdown(f"run {REFERENCE}")
    assert f"**Overall.** Grade vs {against}: {overall.label} ({settled}" in surfaces.riskcard
    names = {h["key"]: h["name"] for h in surfaces.summary["hazards"]}
    per_hazard = surfaces.terminal.split("per hazard: ")[1].splitlines()[0]
    for key, distribution in grade["hazards"].items():
        badge = grade_badge(distribution)
        suffix = "" if badge.settled else " (not settled)"
        assert f"{key} {badge.label}{suffix}" in per_hazard
        assert f"{names[key]} {badge.label}{suffix}" in surfaces.report  # the hazard table's grade cell
        card = surfaces.riskcard.split(f"(`{key}`)")[1].split("\n## ")[0]
        assert f"Grade vs {against}: {badge.label} ({'settled' if badge.settled else 'not settled'}" in card


def test_paired_comparison_agrees(surfaces: Surfaces) -> None:
    data = surfaces.compare_json
    table = surfaces.compare_page_html.split('id="paired-table"')[1].split("</table>")[0]
    lines = {line.split()[0]: line for line in surfaces.compare_text.splitlines() if line[:1].isalpha()}
    for c in [*data["hazards"], data["overall"]]:
        d = c["difference"]
        difference = f"{100 * d['point']:+.1f}pp[{100 * d['low']:+.1f},{100 * d['high']:+.1f}]"
        row = _squash(_text(table.split(f'data-hazard="{c["key"]}"')[1].split("</tr>")[0]))
        line = _squash(lines["all" if c["key"] == "all" else c["key"]])
        for surface in (row, line):
            assert difference in surface
            assert f"{c['table']['only_a']}/{c['table']['only_b']}" in surface
            assert _squash(c["verdict"]) in surface
            assert f"{c['p_value']:.3g}" in surface
        assert f"{_pct(c['rate_a'])}{_pct(c['rate_b'])}" in row
    # Both say which adjustment the verdict used and that the intervals are not adjusted.
    note = data["adjustment"]["note"]
    assert note in " ".join(surfaces.compare_text.split()) and note in surfaces.compare_page
    assert data["adjustment"] == {"verdicts": "holm", "intervals": "unadjusted", "note": note}


def test_attack_figures_agree(surfaces: Surfaces) -> None:
    """The attack matrix, lift and cost read the same on the terminal, report.html and the dashboard."""
    figures = surfaces.summary["attack_success"]
    assert figures is not None and figures["attacks"]
    report = surfaces.report.split("Attack success per attack")[1].split("Over-refusal vs unsafe")[0]
    dashboard = _text(surfaces.attacks_page_html)
    for row in figures["attacks"]:
        success, lift = row["success"], row["lift"]
        cell = f"{row['attack']} {_pct(success['point'])} {_interval(success)} n={row['assessed']}"
        d = lift["difference"]
        lift_row = (
            f"{row['attack']} {lift['pairs']} {lift['unpaired']} {_pct(lift['base_rate']['point'])} "
            f"{_pct(lift['attack_rate']['point'])} {100 * d['point']:+.1f} [{100 * d['low']:+.1f}, {100 * d['high']:+.1f}] "
            f"{lift['p_value']:.3g} {lift['p_adjusted']:.3g} {lift['verdict']} {row['successes']}/{row['cases']} "
            f"{row['calls']} {row['tokens']}"
        )
        for surface in (report, dashboard):
            assert cell in surface and lift_row in surface
            for hazard, slot in row["hazards"].items():
                assert f"{_pct(slot['success']['point'])} {_interval(slot['success'])} {slot['unsafe']}/{slot['assessed']}" in (
                    surface
                ), hazard
        terminal = next(line for line in surfaces.terminal.splitlines() if line.startswith(f"│ {row['attack']} "))
        cells = [c.strip() for c in terminal.split("│")[1:-1]]
        assert cells[1:4] == [_pct(success["point"]), _interval(success), f"{100 * d['point']:+.1f}"]
        assert cells[6] == f"{lift['p_adjusted']:.3g}"
    base = figures["base"]
    for surface in (report, dashboard):
        assert f"none (base case) {_pct(base['point'])} {_interval(base)} n={base['n']}" in surface
