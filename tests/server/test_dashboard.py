"""The dashboard over HTTP on 127.0.0.1: pages, SQL paging and filters, labels, security headers."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from _dashboard import Dashboard, RunningServer, build_store

from riskscope.errors import ConfigError
from riskscope.server import check_bind, create_app
from riskscope.store import ResultFilter, Store


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def test_runs_list_and_security_headers(dashboard: Dashboard) -> None:
    response = httpx.get(dashboard.url + "/")
    assert response.status_code == 200
    assert dashboard.run_a in response.text and dashboard.run_b in response.text
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r"<[^>]+\son\w+=", response.text)  # no inline event handlers


def test_run_page_pages_in_sql_and_counts_the_whole_run(dashboard: Dashboard) -> None:
    with Store(dashboard.store_path) as store:
        everything = list(store.results(dashboard.run_a))
    response = httpx.get(f"{dashboard.url}/runs/{dashboard.run_a}", params={"per_page": 25, "page": 2})
    assert response.status_code == 200
    ids = re.findall(r'<tr data-item="([^"]+)"', response.text)
    assert ids == [r.item.item_id for r in everything[25:50]]
    assert f"26–50 of {len(everything)}" in response.text
    assert 'id="chart-hazards"' in response.text and 'id="chart-tradeoff"' in response.text


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"outcome": "unsafe"}, lambda r: (v := r.verdicts.get("refusal")) is not None and v.outcome.value == "unsafe"),
        ({"outcome": "unassessed"}, lambda r: r.verdicts["refusal"].outcome.value == "unassessed"),
        ({"hazard": "spc"}, lambda r: r.item.variant.case.hazard == "spc_fin"),
        ({"hazard": "benign"}, lambda r: r.item.variant.case.expected.value == "comply"),
        ({"persona": "skilled"}, lambda r: r.item.persona == "skilled"),
        ({"attack": "rot13"}, lambda r: r.item.variant.lineage == ("rot13",)),
        ({"attack": "none"}, lambda r: r.item.variant.lineage == ()),
        ({"q": "NUMBER 7 about"}, lambda r: "number 7 about" in r.item.variant.case.prompt.lower()),
        ({"hazard": "ncr", "outcome": "safe", "persona": "unskilled"},
         lambda r: r.item.variant.case.hazard == "ncr" and r.verdicts["refusal"].outcome.value == "safe"
         and r.item.persona == "unskilled"),
    ],
)
def test_filters_match_a_python_filter_of_the_whole_run(dashboard: Dashboard, params: dict[str, str], keep: object) -> None:
    with Store(dashboard.store_path) as store:
        expected = [r.item.item_id for r in store.results(dashboard.run_a) if keep(r)]  # type: ignore[operator]
    assert expected, "the filter must select something for the test to mean anything"
    response = httpx.get(f"{dashboard.url}/runs/{dashboard.run_a}", params={**params, "per_page": 200})
    assert response.status_code == 200
    assert re.findall(r'<tr data-item="([^"]+)"', response.text) == expected
    assert f"of {len(expected)}" in response.text


def test_dashboard_rates_match_the_report_summary(dashboard: Dashboard) -> None:
    from riskscope.reports import summarise

    with Store(dashboard.store_path) as store:
        summary, _ = summarise(store, dashboard.run_a)
    html = httpx.get(f"{dashboard.url}/runs/{dashboard.run_a}").text
    chart = html.split('id="chart-hazards"')[1].split("</figure>")[0]
    for figures in [*summary.hazards, summary.overall]:
        assert f"{figures.unsafe_rate.point * 100:.0f}% n={figures.assessed}" in chart
    over = summary.over_refusal
    assert f"over-refusal {over['point'] * 100:.1f}% [{over['low'] * 100:.1f}%, {over['high'] * 100:.1f}%]" in html


def test_flag_then_label_is_stored_for_judge_eval(dashboard: Dashboard) -> None:
    client = httpx.Client(base_url=dashboard.url)
    page = client.get(f"/runs/{dashboard.run_b}", params={"outcome": "safe", "per_page": 10}).text
    item_id = re.findall(r'<tr data-item="([^"]+)"', page)[0]
    response = client.post(f"/runs/{dashboard.run_b}/flag/{item_id}", data={"csrf": _csrf(page), "back": "https://evil.example/"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/runs/{dashboard.run_b}"  # no open redirect
    review = client.get(f"/runs/{dashboard.run_b}/review").text
    assert f'data-item="{item_id}"' in review
    response = client.post(
        f"/runs/{dashboard.run_b}/review/{item_id}", data={"csrf": _csrf(review), "label": "unsafe", "reviewer": "ada"}
    )
    assert response.status_code == 303
    with Store(dashboard.store_path) as store:
        entry = next(e for e in store.review_queue(dashboard.run_b) if e["item_id"] == item_id)
    assert (entry["label"], entry["labelled_by"]) == ("unsafe", "ada")
    assert f'data-item="{item_id}"' not in client.get(f"/runs/{dashboard.run_b}/review").text
    assert f'data-item="{item_id}"' in client.get(f"/runs/{dashboard.run_b}/review?show=all").text


def test_posts_without_the_csrf_secret_or_with_a_bad_label_change_nothing(dashboard: Dashboard) -> None:
    with Store(dashboard.store_path) as store:
        entry = next(e for e in store.review_queue(dashboard.run_a) if e["label"] is None)
    url = f"{dashboard.url}/runs/{dashboard.run_a}/review/{entry['item_id']}"
    assert httpx.post(url, data={"label": "safe"}).status_code == 400
    page = httpx.get(f"{dashboard.url}/runs/{dashboard.run_a}/review").text
    bad = httpx.post(url, data={"label": "maybe", "csrf": _csrf(page)})
    assert bad.status_code == 400 and "label must be one of safe, unsafe" in bad.text
    with Store(dashboard.store_path) as store:
        after = next(e for e in store.review_queue(dashboard.run_a) if e["item_id"] == entry["item_id"])
    assert after["label"] is None


def test_compare_matches_the_riskscope_compare_verb(dashboard: Dashboard) -> None:
    import json
    import subprocess
    import sys

    html = httpx.get(f"{dashboard.url}/compare", params={"a": dashboard.run_a, "b": dashboard.run_b}).text
    assert 'id="side-A"' in html and 'id="side-B"' in html
    assert html.count('class="chart-row"') >= 2 * 6
    cli = subprocess.run(
        [sys.executable, "-c", "from riskscope.cli import main; main()", "compare", dashboard.run_a, dashboard.run_b,
         "--json", "--store", str(dashboard.store_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    expected = json.loads(cli.stdout)
    table = html.split('id="paired-table"')[1].split("</table>")[0]
    for c in expected["hazards"]:
        row = table.split(f'data-hazard="{c["key"]}"')[1].split("</tr>")[0]
        t = c["table"]
        assert f'<td class="num">{t["both_unsafe"] + t["only_a"] + t["only_b"] + t["both_safe"]}</td>' in row
        assert f"{t['only_a']} / {t['only_b']}" in row
        assert f"{c['p_value']:.3g}" in row and f"{c['p_adjusted']:.3g}" in row
        assert c["verdict"] in row
        d = c["difference"]
        assert f"{d['point'] * 100:+.1f} pp [{d['low'] * 100:+.1f}, {d['high'] * 100:+.1f}]" in row
    assert f"{expected['overall']['table']['both_unsafe'] + expected['overall']['table']['only_a'] + expected['overall']['table']['only_b'] + expected['overall']['table']['both_safe']} pairs assessed in both runs" in html
    assert f"{expected['unassessed_pairs']} pairs unassessed" in html


def test_payloads_are_escaped_in_the_dashboard(dashboard: Dashboard) -> None:
    html = httpx.get(f"{dashboard.url}/runs/{dashboard.run_a}", params={"per_page": 10}).text
    assert "<script>window.__pwned" not in html and "<img src" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;window.__pwned" in html
    assert len(re.findall(r"<script\b", html)) == 1  # only /static/dashboard.js


def test_unknown_run_and_bad_parameters_are_clear_errors(dashboard: Dashboard) -> None:
    missing = httpx.get(f"{dashboard.url}/runs/nope")
    assert missing.status_code == 404 and "no run &#39;nope&#39;" in missing.text
    bad = httpx.get(f"{dashboard.url}/runs/{dashboard.run_a}", params={"page": "two"})
    assert bad.status_code == 400 and "page must be a whole number" in bad.text


def test_foreign_host_header_is_refused_without_a_token(dashboard: Dashboard) -> None:
    assert httpx.get(dashboard.url + "/health", headers={"host": "attacker.example"}).status_code == 403
    assert httpx.get(dashboard.url + "/health", headers={"host": "localhost:1234"}).status_code == 200


def test_token_is_required_on_every_request(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    build_store(path)
    token = "correct-horse-battery-staple"
    with RunningServer(create_app(path, token=token)) as url:
        for route in ("/", "/health", "/static/dashboard.js", "/compare"):
            assert httpx.get(url + route).status_code == 401
            assert httpx.get(url + route, headers={"authorization": "Bearer wrong-token-wrong-token"}).status_code == 401
        assert httpx.get(url + "/health", headers={"authorization": f"Bearer {token}"}).status_code == 200
        with httpx.Client(base_url=url) as client:
            first = client.get("/", params={"token": token})
            assert first.status_code == 303 and "token" not in first.headers["location"]
            assert "httponly" in first.headers["set-cookie"].lower()
            assert client.get("/").status_code == 200  # the cookie now carries it


def test_non_loopback_bind_needs_a_long_token() -> None:
    with pytest.raises(ConfigError, match="needs --token"):
        check_bind("0.0.0.0", None)
    with pytest.raises(ConfigError, match="at least 16"):
        check_bind("0.0.0.0", "short")
    check_bind("0.0.0.0", "a-long-enough-token")
    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    check_bind("localhost", None)


def test_cached_counts_follow_new_verdicts(tmp_path: Path) -> None:
    from riskscope.core import Outcome, Verdict

    path = tmp_path / "s.db"
    run_a, _ = build_store(path)
    with RunningServer(create_app(path)) as url:
        before = httpx.get(f"{url}/runs/{run_a}").text
        unsafe_before = int(re.search(r'<span class="unsafe">(\d+) unsafe</span>', before).group(1))  # type: ignore[union-attr]
        with Store(path) as store:
            safe_item = next(r for r in store.results(run_a) if r.verdicts["refusal"].outcome is Outcome.SAFE)
            store.put_verdicts(run_a, safe_item.item.item_id, {"refusal": Verdict(outcome=Outcome.UNSAFE, judge="refusal")})
        after = httpx.get(f"{url}/runs/{run_a}").text
        assert f'<span class="unsafe">{unsafe_before + 1} unsafe</span>' in after
        listed = httpx.get(f"{url}/runs/{run_a}", params={"outcome": "unsafe", "per_page": 200}).text
        assert f'data-item="{safe_item.item.item_id}"' in listed


def test_labels_from_the_dashboard_feed_judge_eval(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    path = tmp_path / "s.db"
    run_a, _ = build_store(path)
    labelled: dict[str, str] = {}
    with RunningServer(create_app(path)) as url, httpx.Client(base_url=url) as client:
        review = client.get(f"/runs/{run_a}/review").text
        csrf = _csrf(review)
        for n, item_id in enumerate(re.findall(r'<div class="review-item" data-item="([^"]+)"', review)[:6]):
            label = "unsafe" if n % 2 else "safe"
            assert client.post(f"/runs/{run_a}/review/{item_id}", data={"csrf": csrf, "label": label}).status_code == 303
            labelled[item_id] = label
    assert len(labelled) >= 4
    result = subprocess.run(
        [sys.executable, "-c", "from riskscope.cli import main; main()", "judge", "eval", "--from-store", run_a,
         "--store", str(path), "--json", "--bootstrap", "100"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["total"] == len(labelled)


def test_store_paging_methods_agree_with_each_other(dashboard: Dashboard) -> None:
    with Store(dashboard.store_path) as store:
        for filters in ({}, {"outcome": "unsafe"}, {"hazards": ("ncr",), "persona": "skilled"}, {"attack": ()}):
            where = ResultFilter(judge="refusal", **filters)  # type: ignore[arg-type]
            ids = store.result_ids(dashboard.run_a, where)
            assert store.count_results(dashboard.run_a, where) == len(ids)
            page = store.page_results(dashboard.run_a, where, limit=7, offset=3)
            assert [r.item.item_id for r in page] == ids[3:10]
            assert all(r.verdicts and r.response is not None for r in page)


def test_an_empty_run_has_a_working_page(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store(path) as store:
        run = store.create_run({"target": {"name": "t"}, "judges": [{"name": "a"}]}, "h", {})
    with RunningServer(create_app(path)) as url:
        response = httpx.get(f"{url}/runs/{run.id}")
        assert response.status_code == 200 and "0 of 0" in response.text
        assert httpx.get(f"{url}/runs/{run.id}/review").status_code == 200
        assert httpx.get(f"{url}/compare", params={"a": run.id, "b": run.id}).status_code == 200
