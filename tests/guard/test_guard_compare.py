"""The demo suite without and with the proxy, then ``riskscope guard compare``: blocks seen by the run
are the blocks the proxy logged, and the figures count them."""

from __future__ import annotations

import json
from pathlib import Path

from _guard_proxy import Proxy
from _upstream import ScriptedServer

from _cli import riskscope
from riskscope.store import StoreQuery

POLICY = {"default": "p", "policies": {"p": {"input_judges": ["embedded"], "output_judges": ["embedded"]}}}


def run(target: str, store: Path, out: Path) -> None:
    result = riskscope(
        "run", "--target", target, "--suite", "demo", "--judge", "embedded", "--store", str(store), "--out", str(out),
        "--max-tokens", "16",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]


def test_guard_compare_counts_the_blocks_the_proxy_made(scripted: ScriptedServer, tmp_path: Path) -> None:
    store = tmp_path / "runs.db"
    run(f"openai:scripted@{scripted.url()}", store, tmp_path / "a")
    with Proxy(POLICY, scripted.url(), store) as proxy:
        run(f"openai:scripted@{proxy.url}", store, tmp_path / "b")
    with StoreQuery(store) as query:
        runs = query.list_runs()
        unguarded, guarded = sorted(runs, key=lambda r: r.created_at)[-2:]
        blocked = query.guard_blocked_items(guarded.id)
        logged_blocks = query.guard_count(action="block")
        assert query.guard_blocked_items(unguarded.id) == set()
    assert len(blocked) == logged_blocks > 0  # the input judge blocks some demo prompts
    result = riskscope("guard", "compare", unguarded.id, guarded.id, "--json", "--store", str(store))
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    harmful = figures["block_rate_on_harmful"]
    benign = figures["false_block_rate"]
    assert figures["harmful_blocks"] + figures["false_blocks"] == len(blocked)
    assert figures["harmful_blocks"] == round(harmful["point"] * harmful["n"])
    assert benign["n"] > 0 and harmful["n"] > 0
    page = tmp_path / "guard.html"
    text = riskscope("guard", "compare", unguarded.id, guarded.id, "--store", str(store), "--html", str(page))
    assert "false-block rate on benign items" in text.stdout and "miss rate" in text.stdout
    # The HTML page carries the same figures as the JSON, with their intervals.
    html = page.read_text(encoding="utf-8")
    assert "False-block rate on benign items" in html and "Miss rate" in html
    shown = f"{figures['false_blocks']} / {benign['n']}"
    assert shown in html, shown
    assert f"{100 * benign['low']:.1f}%" in html and f"{100 * benign['high']:.1f}%" in html
    assert "<script" not in html
    by_other = riskscope("guard", "compare", unguarded.id, guarded.id, "--judge", "refusal", "--store", str(store))
    assert by_other.returncode == 2 and "was not judged by 'refusal'" in by_other.stderr
