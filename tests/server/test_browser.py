"""The dashboard and the HTML report in a real browser: Playwright driving Debian's Chromium.

Needs ``pip install playwright==1.65.2`` and ``apt-get install -y chromium`` (/usr/bin/chromium);
no browser is downloaded. Every page is served on 127.0.0.1 and Chromium runs with background
networking off, so nothing leaves the machine.
"""

from __future__ import annotations

import base64
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _dashboard import Dashboard, synthetic

from riskscope.store import Store

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install playwright==1.65.2)")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAYLOADS = synthetic.PAYLOADS
SHOTS = Path(__file__).resolve().parents[2] / "runs" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.dialogs = []  # every alert/confirm/prompt a payload might open
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _coloured_pixels(browser: Any, png: bytes) -> dict[str, int]:
    """Decode a screenshot on a blank page's canvas and count chart-coloured and non-white pixels."""
    scratch = browser.new_page()
    try:
        return dict(
            scratch.evaluate(
                """async (src) => {
                    const img = new Image(); img.src = src; await img.decode();
                    const canvas = document.createElement('canvas');
                    canvas.width = img.width; canvas.height = img.height;
                    const ctx = canvas.getContext('2d'); ctx.drawImage(img, 0, 0);
                    const data = ctx.getImageData(0, 0, img.width, img.height).data;
                    let red = 0, blue = 0, ink = 0;
                    for (let i = 0; i < data.length; i += 4) {
                        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
                        if (r < 235 || g < 235 || b < 235) ink++;
                        if (r > 150 && g < 80 && b < 80) red++;
                        if (b > 140 && r < 80) blue++;
                    }
                    return {red, blue, ink, total: data.length / 4};
                }""",
                "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
            )
        )
    finally:
        scratch.close()


def test_open_a_run_and_its_charts_render(browser: Any, page: Any, dashboard: Dashboard) -> None:
    page.goto(dashboard.url + "/")
    page.click(f'a[href="/runs/{dashboard.run_a}"]')
    page.wait_for_selector("#chart-hazards svg")
    assert page.locator("#chart-hazards .chart-row").count() >= 6
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard-run.png"))
    png = page.locator("#chart-hazards").screenshot(path=str(SHOTS / "dashboard-hazard-chart.png"))
    pixels = _coloured_pixels(browser, png)
    assert pixels["red"] > 100, pixels  # the point estimates are drawn
    assert pixels["ink"] > 0.03 * pixels["total"], pixels
    tradeoff = _coloured_pixels(browser, page.locator("#chart-tradeoff").screenshot())
    assert tradeoff["red"] > 30, tradeoff


def test_filter_by_outcome_and_hazard(page: Any, dashboard: Dashboard) -> None:
    page.goto(f"{dashboard.url}/runs/{dashboard.run_a}")
    with page.expect_navigation():
        page.select_option("#f-outcome", "unsafe")  # dashboard.js submits the form on change
    assert "outcome=unsafe" in page.url
    outcomes = page.locator("#items tbody tr").evaluate_all("rows => rows.map(r => r.dataset.outcome)")
    assert outcomes and set(outcomes) == {"unsafe"}
    with page.expect_navigation():
        page.select_option("#f-hazard", "ncr")
    rows = page.locator("#items tbody tr").evaluate_all("rows => rows.map(r => [r.dataset.outcome, r.dataset.hazard])")
    assert rows and set(map(tuple, rows)) == {("unsafe", "ncr")}
    with Store(dashboard.store_path) as store:
        expected = sum(
            1
            for r in store.results(dashboard.run_a)
            if r.item.variant.case.hazard == "ncr" and r.verdicts["refusal"].outcome.value == "unsafe"
        )
    assert page.inner_text("#shown").endswith(f"of {expected}")


def test_flag_and_label_an_item(page: Any, dashboard: Dashboard) -> None:
    page.goto(f"{dashboard.url}/runs/{dashboard.run_a}?outcome=safe&per_page=5")
    first = page.locator("#items tbody tr").first
    item_id = first.get_attribute("data-item")
    with page.expect_navigation():
        first.locator("button.flag").click()
    page.click("#review-link")
    entry = page.locator(f'.review-item[data-item="{item_id}"]')
    entry.locator('input[name="reviewer"]').fill("grace")
    with page.expect_navigation():
        entry.locator("button.label-unsafe").click()
    page.goto(f"{dashboard.url}/runs/{dashboard.run_a}/review?show=all")
    assert page.locator(f'.review-item[data-item="{item_id}"] .label-value').inner_text() == "unsafe"
    with Store(dashboard.store_path) as store:
        entry_row = next(e for e in store.review_queue(dashboard.run_a) if e["item_id"] == item_id)
    assert (entry_row["label"], entry_row["labelled_by"]) == ("unsafe", "grace")


def test_compare_two_runs(browser: Any, page: Any, dashboard: Dashboard) -> None:
    page.goto(dashboard.url + "/")
    page.check(f'#runs tr[data-run="{dashboard.run_a}"] input[name="a"]')
    page.check(f'#runs tr[data-run="{dashboard.run_b}"] input[name="b"]')
    with page.expect_navigation():
        page.click("#compare-button")
    assert re.search(r"a=" + dashboard.run_a, page.url) and re.search(r"b=" + dashboard.run_b, page.url)
    assert "model-a" in page.inner_text("#side-A") and "model-b" in page.inner_text("#side-B")
    assert "assessed in both runs" in page.inner_text("#paired")
    png = page.locator("#chart-compare-hazards").screenshot(path=str(SHOTS / "dashboard-compare-chart.png"))
    pixels = _coloured_pixels(browser, png)
    assert pixels["red"] > 100 and pixels["blue"] > 100, pixels  # both runs' series are drawn
    page.screenshot(path=str(SHOTS / "dashboard-compare.png"), full_page=True)


def _assert_inert(page: Any) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs == []
    assert page.locator("a#evil").count() == 0
    assert page.locator("img[onerror]").count() == 0
    text = page.inner_text("body")
    assert PAYLOADS[0] in text  # shown as text, not run
    assert PAYLOADS[1] in text


def test_the_inertness_check_detects_a_live_payload(page: Any) -> None:
    """Control: the same payloads, unescaped, do fire, so the checks below can fail."""
    page.set_content("<p>" + "".join(PAYLOADS) + "</p>")
    page.wait_for_function("window.__pwned !== undefined")
    assert page.dialogs, "alert() in the live payload should have opened a dialog"
    assert page.locator("a#evil").count() == 1


def test_payloads_stay_inert_in_the_dashboard(page: Any, dashboard: Dashboard) -> None:
    page.goto(f"{dashboard.url}/runs/{dashboard.run_a}?per_page=10")
    page.wait_for_load_state("load")
    _assert_inert(page)
    # clicking the would-be javascript: link text must do nothing either
    page.get_by_text("click me").first.click()
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_payloads_stay_inert_in_the_html_report_and_filters_work(page: Any, dashboard: Dashboard, tmp_path: Path) -> None:
    from riskscope.reports import summarise, write_html

    with Store(dashboard.store_path) as store:
        summary, rows = summarise(store, dashboard.run_a)
    path = write_html(tmp_path / "report.html", summary, rows)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    _assert_inert(page)
    page.screenshot(path=str(SHOTS / "report-top.png"))
    total = page.locator("#items tbody tr").count()
    page.select_option("#f-outcome", "unsafe")
    visible = page.locator("#items tbody tr:not([hidden])")
    outcomes = visible.evaluate_all("rows => rows.map(r => r.dataset.outcome)")
    assert outcomes and set(outcomes) == {"unsafe"} and len(outcomes) < total
    assert page.inner_text("#shown") == str(len(outcomes))
    pixels = _coloured_pixels(page.context.browser, page.locator("#chart-hazards").screenshot())
    assert pixels["red"] > 100, pixels
