"""The review queue fills for every documented reason, filters by reason, and stores gold labels."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _dashboard import RunningServer

from riskscope.core import Expected, Outcome, Response, RunStatus, TestCase, Variant, Verdict
from riskscope.reports.gold import draw_gold_sample, run_ppi_rates
from riskscope.server import create_app
from riskscope.store import ItemRow, Store

PAYLOAD = "<script>alert('review')</script><img src=x onerror=alert(1)>"


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def _ids(html: str) -> set[str]:
    return set(re.findall(r'<div class="review-item" data-item="([^"]+)"', html))


@pytest.fixture(scope="module")
def queue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str, dict[str, set[str]]]]:
    """40 hazard probes judged by `embedded` (P(unsafe) stated) and `refusal`; the expected reasons."""
    path = tmp_path_factory.mktemp("review") / "store.db"
    expected: dict[str, set[str]] = {"disagree": set(), "low_confidence": set(), "flagged": set(), "gold": set()}
    with Store(path) as store:
        run = store.create_run({"target": {"name": "fake"}, "judges": ["embedded", "refusal"]}, "h", {})
        items = []
        for i in range(40):
            case = TestCase(
                id=f"case-{i}",
                messages=TestCase.from_prompt(f"Invented probe {i}.").messages,
                hazard="vcr" if i % 2 else "hte",
                expected=Expected.REFUSE,
            )
            items.append(ItemRow(f"it-{i}", i, Variant.of(case), None, f"k{i}"))
        store.add_items(run.id, items)
        for i, item in enumerate(items):
            store.put_response(run.id, item.item_id, item.cache_key, Response(text=f"Answer {i}. {PAYLOAD}"))
            p = [0.05, 0.55, 0.95, 0.4][i % 4]  # 0.55 and 0.4: within 0.15 of the 0.5 threshold
            head = Outcome.UNSAFE if p >= 0.5 else Outcome.SAFE
            other = head if i % 5 else (Outcome.SAFE if head is Outcome.UNSAFE else Outcome.UNSAFE)
            if i == 39:
                other = Outcome.UNASSESSED  # no opinion: never a disagreement
            verdicts = {
                "embedded": Verdict(
                    outcome=head, judge="embedded", score=p, labels={"p_unsafe": f"{p:.4f}", "threshold": "0.50"}
                ),
                "refusal": Verdict(outcome=other, judge="refusal", reason="x" if i == 39 else None),
            }
            store.put_verdicts(run.id, item.item_id, verdicts)
            if other is not head and other is not Outcome.UNASSESSED:
                expected["disagree"].add(item.item_id)
            if p in (0.55, 0.4):
                expected["low_confidence"].add(item.item_id)
        store.enqueue_review(run.id, "it-2", "flagged in the dashboard", None)
        expected["flagged"].add("it-2")
        store.set_status(run.id, RunStatus.COMPLETE, total_items=40)
        draw_gold_sample(store, run.id, 8, design="uniform", seed=3)
        expected["gold"] = {i.item_id for i in store.gold_items(run.id, sampled_only=True)}
        run_id = run.id
    with RunningServer(create_app(path)) as url:
        yield url, path, run_id, expected


def test_every_reason_fills_the_queue_and_has_its_filter(queue: tuple[str, Path, str, dict[str, set[str]]]) -> None:
    url, _, run_id, expected = queue
    assert all(expected.values()), "the fixture has items for every reason"
    everything = httpx.get(f"{url}/runs/{run_id}/review").text
    assert _ids(everything) == set().union(*expected.values())
    for reason, ids in expected.items():
        page = httpx.get(f"{url}/runs/{run_id}/review", params={"reason": reason}).text
        assert _ids(page) == ids, reason
        assert f'data-reason="{reason}"' in everything and f"({len(ids)})" in everything
    bad = httpx.get(f"{url}/runs/{run_id}/review", params={"reason": "whatever"})
    assert bad.status_code == 400


def test_model_output_in_the_queue_is_escaped(queue: tuple[str, Path, str, dict[str, set[str]]]) -> None:
    url, _, run_id, _ = queue
    html = httpx.get(f"{url}/runs/{run_id}/review").text
    assert "&lt;script&gt;alert(" in html and "<script>alert(" not in html and "<img src=x" not in html


def test_a_reviewer_labels_the_gold_sample_and_the_ppi_rate_uses_it(
    queue: tuple[str, Path, str, dict[str, set[str]]],
) -> None:
    url, path, run_id, expected = queue
    client = httpx.Client(base_url=url)
    page = client.get(f"/runs/{run_id}/review", params={"reason": "gold"}).text
    gold = sorted(expected["gold"])
    # No CSRF secret: nothing stored.
    assert client.post(f"/runs/{run_id}/review/{gold[0]}", data={"label": "safe"}).status_code == 400
    with Store(path) as store:
        assert store.gold_labels(run_id) == {}
    back = f"/runs/{run_id}/review?reason=gold"
    for k, item_id in enumerate(gold):
        label = "unassessable" if k == 0 else ("unsafe" if k % 2 else "safe")
        data = {"csrf": _csrf(page), "label": label, "reviewer": "ada", "back": back}
        response = client.post(f"/runs/{run_id}/review/{item_id}", data=data)
        assert response.status_code == 303 and response.headers["location"] == back
    with Store(path) as store:
        labels = store.gold_labels(run_id)
        rates = run_ppi_rates(store, run_id)
    assert {k: v.label for k, v in labels.items()}[gold[0]] == "unassessable"
    assert {(v.labeller, v.labeller_kind) for v in labels.values()} == {("ada", "human")}
    assert rates is not None and rates.labelled == len(gold) - 1 and rates.unassessable == 1
    assert rates.overall is not None and rates.overall.method == "ppi++-uniform"
    assert _ids(client.get(f"/runs/{run_id}/review", params={"reason": "gold"}).text) == set()
    shown = client.get(f"/runs/{run_id}/review", params={"reason": "gold", "show": "all"}).text
    assert _ids(shown) == set(gold) and "by ada (human)" in shown
    # An item outside the run is refused; an outside-the-sample label is stored but not used.
    assert client.post(f"/runs/{run_id}/review/nope", data={"csrf": _csrf(page), "label": "safe"}).status_code == 404
