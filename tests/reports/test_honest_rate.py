"""The honest rate leads every surface: the headline judge's shipped transfer figures fold its error
into the rate by default, the raw rate stays beside it, and a judge without such figures (or
verdicts from another version of it) is said to be uncorrected, with the reason."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from riskscope.core import Expected, Outcome, Response, RunStatus, TestCase, Variant, Verdict
from riskscope.judges.embedded import load_model
from riskscope.reports import render_html
from riskscope.reports.riskcard import render_riskcard
from riskscope.reports.summary import summarise
from riskscope.reports.terminal import print_summary
from riskscope.stats.judge_error import judge_corrected_rate, load_transfer
from riskscope.store import ItemRow, Store

HAZARDS = ("vcr", "hte")


def _write_run(store: Store, version: str, unsafe_every: int = 3) -> str:
    config = {"target": {"name": "fake", "arg": "honest"}, "judges": [{"name": "embedded"}, {"name": "refusal"}]}
    run = store.create_run(config, f"hash-honest-{version}", {"riskscope": "test"})
    items = []
    for i in range(60):
        case = TestCase(
            id=f"case-{i}",
            messages=TestCase.from_prompt(f"Invented probe {i}.").messages,
            hazard=HAZARDS[i % 2],
            expected=Expected.REFUSE,
        )
        items.append(ItemRow(f"honest-{i}", i, Variant.of(case), "unskilled", f"honest-k{i}"))
    store.add_items(run.id, items)
    for item in items:
        store.put_response(run.id, item.item_id, item.cache_key, Response(text=f"Invented answer {item.seq}."))
        unsafe = item.seq % unsafe_every == 0
        verdict = Verdict(
            outcome=Outcome.UNSAFE if unsafe else Outcome.SAFE, judge="embedded", judge_version=version, score=0.5
        )
        refusal = Verdict(outcome=Outcome.SAFE, judge="refusal", labels={"refusal": "full_refusal"})
        store.put_verdicts(run.id, item.item_id, {"embedded": verdict, "refusal": refusal})
    store.set_status(run.id, RunStatus.COMPLETE, total_items=len(items))
    return run.id


def test_embedded_headline_is_corrected_with_its_transfer_figures(tmp_path: Path) -> None:
    model = load_model()
    with Store(tmp_path / "r.db") as store:
        summary, rows = summarise(store, _write_run(store, model.version))
    assert model.transfer is not None
    transfer = load_transfer({"transfer": model.transfer})
    assert transfer is not None
    corrected = summary.corrected
    assert corrected is not None and corrected["kind"] == "transfer"
    expected = judge_corrected_rate(summary.overall.unsafe, summary.overall.assessed, transfer).to_dict()
    assert corrected["overall"]["low"] == expected["low"] and corrected["overall"]["high"] == expected["high"]
    assert set(corrected["hazards"]) == set(HAZARDS)
    card = summary.judge_card
    assert card is not None and card["leading_rate"] == "corrected" and card["gold_labels"] == 0
    assert card["transfer"]["datasets"] == len(model.transfer["datasets"])
    # The judge's error can only widen the interval: the honest one is never narrower than the raw one.
    raw = summary.overall.unsafe_rate
    assert corrected["overall"]["high"] - corrected["overall"]["low"] >= raw.high - raw.low

    out = io.StringIO()
    print_summary(summary, {}, Console(file=out, width=200))
    text = out.getvalue()
    assert text.index("judge error folded in") < text.index("Unsafe responses per hazard")
    assert "raw rate of judge embedded" in text and "pp wide" in text

    html = render_html(summary, rows)
    assert html.index('id="corrected"') < html.index('id="judge-card"') < html.index('id="configuration"')
    assert "leave-one-dataset-out" in html
    card_md = render_riskcard(summary, rows)
    assert "**Headline.** Unsafe rate over all hazards with the judge's error folded in" in card_md
    assert json.loads(summary.model_dump_json())["judge_card"]["leading_rate"] == "corrected"


def test_verdicts_of_another_version_are_not_corrected_and_say_why(tmp_path: Path) -> None:
    with Store(tmp_path / "r.db") as store:
        summary, rows = summarise(store, _write_run(store, "1"))
    assert summary.corrected is None
    card = summary.judge_card
    assert card is not None and card["leading_rate"] == "raw (uncorrected)"
    assert "version" in card["reason"] and "re-judge" in card["reason"]
    out = io.StringIO()
    print_summary(summary, {}, Console(file=out, width=200))
    assert "uncorrected" in out.getvalue()
    assert "uncorrected" in render_riskcard(summary, rows)


def _dashboard_run_page(db: Path, run_id: str) -> str:
    import html
    import re

    from fastapi.testclient import TestClient

    from riskscope.server import create_app

    with TestClient(create_app(db), base_url="http://127.0.0.1") as client:
        page = client.get(f"/runs/{run_id}").text
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    return re.sub(r" ([:,;)\]])", r"\1", text)  # no space left where a tag closed before punctuation


def test_the_dashboard_leads_with_the_same_honest_rate(tmp_path: Path) -> None:
    """The dashboard computes from grouped counts, the report from rows: same corrected rate."""
    model = load_model()
    with Store(tmp_path / "r.db") as store:
        run_id = _write_run(store, model.version)
        stale = _write_run(store, "0")
        summary, _ = summarise(store, run_id)
    corrected = summary.corrected
    assert corrected is not None
    page = _dashboard_run_page(tmp_path / "r.db", run_id)
    honest = corrected["overall"]
    pct = [f"{100 * honest[k]:.1f}%" for k in ("point", "low", "high")]
    assert f"judge error folded in: {pct[0]} [{pct[1]}, {pct[2]}]" in page
    assert page.index("judge error folded in") < page.index("Raw unsafe rate of the headline judge")
    other = _dashboard_run_page(tmp_path / "r.db", stale)
    assert "judge error folded in:" not in other and "uncorrected: the verdicts come from judge version(s) 0" in other
