"""The user's own agent as the target: ``agent-callable`` (a Python function) and ``agent-http`` (an
HTTP app on a real 127.0.0.1 server), played through the real runner, store and judges.

The agents are scripted (``_agenttgt_apps``); the environment is a Python one, so no model runs.
Checked: tools reach the agent with every round; both call shapes of the contract work; a call whose
shape is wrong is recorded as malformed and the episode goes on; a reply that breaks the contract,
an exception, a 500 and a timeout each end the item UNASSESSED with the reason, never safe.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import _agenttgt_apps as apps
from _scripted_agent import LOOKUP

from riskscope.config import RunConfig
from riskscope.core import Outcome
from riskscope.runner import execute
from riskscope.store import Store

PYTHON_ENV = "python:_scripted_agent:python_tools"


def _case(scenario: str, rounds: int = 4) -> dict[str, Any]:
    return {
        "id": f"own-{scenario}",
        "prompt": f"Invented task, scenario={scenario}: find the catalogue entries.",
        "hazard": "asb-leak",
        "metadata": {"agent": {"tools": [LOOKUP], "environment": PYTHON_ENV, "rounds": rounds}},
    }


def _run(tmp_path: Path, target: dict[str, Any], scenario: str = "parallel") -> tuple[Any, Any, Store]:
    apps.SEEN_TOOLS.clear()
    apps.SEEN_BODIES.clear()
    suite = tmp_path / "suite.jsonl"
    suite.write_text(json.dumps(_case(scenario)) + "\n")
    config = RunConfig.model_validate(
        {
            "suites": [f"jsonl:{suite}"],
            "target": {"concurrency": 1, "max_retries": 0, **target},
            "judges": ["refusal"],
            "store": str(tmp_path / "s.db"),
        }
    )
    store = Store(config.store)
    record, _stats = asyncio.run(execute(config, store))
    [row] = store.results(record.id)
    return record, row, store


def _assert_parallel_episode(record: Any, row: Any, store: Store) -> None:
    steps = store.steps(record.id, row.item.item_id)
    assert [s.kind for s in steps] == ["target", "tool", "tool", "target"]
    assert [s.note["observation"] for s in steps[1:3]] == ["python result for alpha", "python result for beta"]
    assert "python result for alpha | python result for beta" in (row.response.text or "")
    assert row.response.metadata["episode"]["summary"] == "rounds=2 tool_calls=2 malformed=0"
    assert row.verdicts["refusal"].outcome in (Outcome.SAFE, Outcome.UNSAFE)


@pytest.mark.parametrize("function", ["scripted", "scripted_async"])
def test_a_python_agent_gets_the_tools_every_round_and_its_calls_are_answered(tmp_path: Path, function: str) -> None:
    record, row, store = _run(tmp_path, {"name": "agent-callable", "arg": f"_agenttgt_apps:{function}"})
    _assert_parallel_episode(record, row, store)
    if function == "scripted":
        assert apps.SEEN_TOOLS == [[LOOKUP], [LOOKUP]]
    store.close()


def test_call_shapes_the_agent_got_wrong_are_recorded_as_malformed_and_the_episode_goes_on(tmp_path: Path) -> None:
    record, row, store = _run(tmp_path, {"name": "agent-callable", "arg": "_agenttgt_apps:bad_shapes"})
    steps = store.steps(record.id, row.item.item_id)
    assert [s.kind for s in steps] == ["target", "tool", "tool", "tool", "tool", "target"]
    assert [s.note.get("malformed") for s in steps[1:5]] == [
        "not a function call",
        "not a function call",
        "not a function call",
        None,
    ]
    assert steps[4].note["observation"] == "python result for fine"
    assert row.response.metadata["episode"]["summary"] == "rounds=2 tool_calls=4 malformed=3"
    assert row.verdicts["refusal"].outcome in (Outcome.SAFE, Outcome.UNSAFE)
    store.close()


@pytest.mark.parametrize(
    ("function", "reason"),
    [
        ("breaks_contract", "(malformed): _agenttgt_apps:breaks_contract returned int"),
        ("raises", "(internal): _agenttgt_apps:raises raised runtimeerror: the agent loop crashed"),
        ("sleeps", "(timeout)"),
    ],
)
def test_a_python_agent_that_fails_leaves_the_item_unassessed_with_the_reason(
    tmp_path: Path, function: str, reason: str
) -> None:
    target = {"name": "agent-callable", "arg": f"_agenttgt_apps:{function}", "read_timeout_s": 0.5}
    _record, row, store = _run(tmp_path, target)
    verdict = row.verdicts["refusal"]
    assert verdict.outcome is Outcome.UNASSESSED
    assert reason in (verdict.reason or "").lower()
    store.close()


def test_an_http_agent_app_gets_messages_and_tools_and_plays_the_episode(tmp_path: Path) -> None:
    with apps.agent_app() as url:
        record, row, store = _run(tmp_path, {"name": "agent-http", "arg": f"{url}/agent"})
    _assert_parallel_episode(record, row, store)
    assert [b["tools"] for b in apps.SEEN_BODIES] == [[LOOKUP], [LOOKUP]]
    second = apps.SEEN_BODIES[1]["messages"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "tool", "tool"]
    assert [m["tool_call_id"] for m in second if m["role"] == "tool"] == ["c-a", "c-b"]
    store.close()


def test_an_http_agent_apps_bad_call_shapes_are_recorded_as_malformed(tmp_path: Path) -> None:
    with apps.agent_app() as url:
        record, row, store = _run(tmp_path, {"name": "agent-http", "arg": f"{url}/shapes"})
    steps = store.steps(record.id, row.item.item_id)
    assert [s.note.get("malformed") for s in steps if s.kind == "tool"].count("not a function call") == 3
    assert row.verdicts["refusal"].outcome in (Outcome.SAFE, Outcome.UNSAFE)
    store.close()


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/fail", "(http_5xx)"), ("/slow", "(timeout)"), ("/list", "(malformed)")],
)
def test_an_http_agent_app_that_fails_leaves_the_item_unassessed_with_the_reason(
    tmp_path: Path, path: str, reason: str
) -> None:
    with apps.agent_app() as url:
        _record, row, store = _run(tmp_path, {"name": "agent-http", "arg": f"{url}{path}", "read_timeout_s": 0.5})
    verdict = row.verdicts["refusal"]
    assert verdict.outcome is Outcome.UNASSESSED
    assert reason in (verdict.reason or "").lower()
    store.close()
