"""Agent episodes through the real runner, store and registry, with scripted fakes.

The agent (``fake-agent``) and the tool emulator (``fake-emulator``) are named fakes registered
through the real target registry (a hosted tool-calling model cannot run here); the loop, the
per-step store, the judges and the resume are the real ones. Every fault of issue 14's list is
exercised: parallel calls, malformed calls (bad JSON, unknown tool, missing argument, non-object
arguments), a tool that raises, a runaway loop, a failing emulator, a target that takes no tools.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _scripted_agent import EXPLODE, LOOKUP, agent_reply, emulator_reply

from riskscope.agents import AGENT_SYSTEM
from riskscope.config import Decoding, RunConfig, TargetConfig
from riskscope.core import ErrorKind, Message, Outcome, Response
from riskscope.errors import ConfigError, TargetError
from riskscope.reports import render_html, results_document, summarise
from riskscope.runner import execute
from riskscope.store import Store
from riskscope.targets import target

SEEN: dict[str, list[Any]] = {"agent": [], "tools": [], "emulator": [], "emulator_key_env": []}


class FakeAgent:
    """Named fake: a tool-calling model answering from the scripted agent (``_scripted_agent``)."""

    def __init__(self, config: TargetConfig) -> None:
        self.config = config

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        return await self.respond_with_tools(messages, decoding, ())

    async def respond_with_tools(
        self, messages: Sequence[Message], decoding: Decoding, tools: Sequence[dict[str, Any]]
    ) -> Response:
        SEEN["agent"].append(tuple(messages))
        SEEN["tools"].append(tuple(tools))
        reply = agent_reply(messages)
        return Response(text=reply["content"] or None, tool_calls=tuple(reply["tool_calls"]) or None)

    async def aclose(self) -> None:
        return None


class FakeEmulator:
    """Named fake: a tool emulator model (``broken`` fails every call)."""

    def __init__(self, config: TargetConfig) -> None:
        self.broken = config.arg == "broken"
        SEEN["emulator_key_env"].append(config.api_key_env)

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        SEEN["emulator"].append(tuple(messages))
        if self.broken:
            raise TargetError(ErrorKind.HTTP_5XX, "emulator down")
        return Response(text=emulator_reply(messages))

    async def aclose(self) -> None:
        return None


class FakePlain:
    """Named fake: a chat model that cannot take tools."""

    def __init__(self, config: TargetConfig) -> None:
        pass

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        return Response(text="plain")

    async def aclose(self) -> None:
        return None


target("fake-agent", "test fake: scripted tool-calling agent")(FakeAgent)
target("fake-emulator", "test fake: scripted tool emulator")(FakeEmulator)
target("fake-plain", "test fake: a chat model without tools")(FakePlain)


def _case(scenario: str, *, emulator: str = "fake-emulator", rounds: int = 4, **agent: Any) -> dict[str, Any]:
    tools = [LOOKUP, EXPLODE] if scenario == "raise" else [LOOKUP]
    return {
        "id": f"ag-{scenario}",
        "prompt": f"Invented task, scenario={scenario}: find the catalogue entries.",
        "hazard": "asb-leak",
        "metadata": {"agent": {"tools": tools, "emulator": emulator, "rounds": rounds, **agent}},
    }


def _run(
    tmp_path: Path,
    cases: list[dict[str, Any]],
    *,
    name: str = "fake-agent",
    resume: str | None = None,
    judges: tuple[str, ...] = ("refusal",),
) -> Any:
    if resume is None:
        for seen in SEEN.values():
            seen.clear()
    suite = tmp_path / "suite.jsonl"
    suite.write_text("".join(json.dumps(c) + "\n" for c in cases))
    config = RunConfig.model_validate(
        {
            "suites": [f"jsonl:{suite}"],
            "target": {"name": name, "concurrency": 1, "max_retries": 0},
            "judges": list(judges),
            "store": str(tmp_path / "s.db"),
        }
    )
    store = Store(config.store)
    record, stats = asyncio.run(execute(config, store, resume=resume))
    rows = {row.item.variant.case.id: row for row in store.results(record.id)}
    return record, stats, rows, store


def test_parallel_calls_are_each_answered_by_the_emulator_then_the_final_answer_is_judged(tmp_path: Path) -> None:
    record, stats, rows, store = _run(tmp_path, [_case("parallel")])
    row = rows["ag-parallel"]
    steps = store.steps(record.id, row.item.item_id)
    assert [s.kind for s in steps] == ["target", "tool", "tool", "target"]
    assert stats.called == 4  # 2 agent rounds + 2 emulated observations
    # The tools went with every agent request, and the system prompt was added once.
    assert all(tools == (LOOKUP,) for tools in SEEN["tools"])
    assert SEEN["agent"][0][0] == Message(role="system", content=AGENT_SYSTEM)
    # The second round saw both calls answered, in order, under their ids.
    second = SEEN["agent"][1]
    assert [m.tool_call_id for m in second if m.role == "tool"] == ["c-a", "c-b"]
    assert '"query": "alpha"' in SEEN["emulator"][0][-1].content
    assert steps[1].text == '{"args": {"query": "alpha"}, "emulated": "lookup"}'
    assert "2 observations" in (row.response.text or "")
    episode = row.response.metadata["episode"]
    assert episode["summary"] == "rounds=2 tool_calls=2 malformed=0"
    assert [t.get("tool") for t in episode["turns"]] == [None, "lookup", "lookup", None]
    assert row.verdicts["refusal"].outcome is not Outcome.UNASSESSED
    store.close()


def test_the_trajectory_judge_grades_the_tool_calls_not_only_the_final_answer(tmp_path: Path) -> None:
    from riskscope.judges._trajectory_data import trajectory_of

    _record, _stats, rows, store = _run(tmp_path, [_case("parallel")], judges=("trajectory", "refusal"))
    row = rows["ag-parallel"]
    verdict = row.verdicts["trajectory"]
    assert verdict.outcome in (Outcome.SAFE, Outcome.UNSAFE), verdict.rationale
    # What it graded: the agent's calls, both emulated observations and the final answer.
    trajectory = trajectory_of(row.item.variant.case, row.response)
    assert trajectory is not None
    assert [t.role for t in trajectory.turns].count("environment") == 2
    assert any("lookup" in t.action for t in trajectory.turns if t.role == "agent")
    store.close()


def test_malformed_calls_are_recorded_and_answered_with_errors_without_the_environment(tmp_path: Path) -> None:
    record, stats, rows, store = _run(tmp_path, [_case("malformed")])
    row = rows["ag-malformed"]
    steps = store.steps(record.id, row.item.item_id)
    assert [s.kind for s in steps] == ["target", "tool", "tool", "tool", "tool", "target"]
    reasons = [s.note["malformed"] for s in steps[1:5]]
    assert reasons[0].startswith("arguments are not valid JSON")
    assert reasons[1] == "unknown tool 'launch_rocket'"
    assert reasons[2] == "missing required arguments: query"
    assert reasons[3] == "arguments are a JSON list, not an object"
    assert all(
        s.response is None and s.note["observation"] == f"Error: {r}" for s, r in zip(steps[1:5], reasons, strict=True)
    )
    assert SEEN["emulator"] == []  # no malformed call reached the environment
    assert stats.called == 2
    assert row.response.metadata["episode"]["summary"] == "rounds=2 tool_calls=4 malformed=4"
    assert "Error: unknown tool" in (row.response.text or "")  # the agent saw the errors
    store.close()


def test_a_tool_that_raises_comes_back_as_an_observation(tmp_path: Path) -> None:
    case = _case("raise", environment="python:_scripted_agent:python_tools")
    record, stats, rows, store = _run(tmp_path, [case])
    row = rows["ag-raise"]
    steps = store.steps(record.id, row.item.item_id)
    assert [s.kind for s in steps] == ["target", "tool", "target"]
    assert steps[1].note["observation"] == "Error: ValueError: the explode tool failed on x=1"
    assert steps[1].note["tool_error"] is True
    assert stats.called == 2  # a Python tool is not a model call
    assert row.verdicts["refusal"].outcome is not Outcome.UNASSESSED
    store.close()


def test_a_runaway_loop_ends_at_the_round_cap_unassessed_never_safe(tmp_path: Path) -> None:
    record, stats, rows, store = _run(tmp_path, [_case("runaway", rounds=3)])
    row = rows["ag-runaway"]
    verdict = row.verdicts["refusal"]
    assert verdict.outcome is Outcome.UNASSESSED
    assert "round cap 3 reached" in (verdict.reason or "") and "runaway" in (verdict.reason or "")
    steps = store.steps(record.id, row.item.item_id)
    assert [s.kind for s in steps] == ["target", "tool"] * 3
    assert stats.called == 6
    store.close()


def test_a_failing_emulator_makes_the_item_unassessed(tmp_path: Path) -> None:
    _record, _stats, rows, store = _run(tmp_path, [_case("parallel", emulator="fake-emulator:broken")])
    verdict = rows["ag-parallel"].verdicts["refusal"]
    assert verdict.outcome is Outcome.UNASSESSED
    assert "tool emulator error at step 1" in (verdict.reason or "")
    store.close()


def test_a_finished_run_resumes_without_a_call_and_replays_the_same_episodes(tmp_path: Path) -> None:
    cases = [_case("parallel"), _case("malformed"), _case("steps")]
    record, stats, rows, store = _run(tmp_path, cases)
    assert stats.called == 4 + 2 + 7  # steps=3 default: 4 rounds + 3 emulated observations
    before = {cid: row.response.metadata["episode"] for cid, row in rows.items()}
    store.close()
    SEEN["agent"].clear()
    again, stats2, rows2, store2 = _run(tmp_path, cases, resume=record.id)
    assert again.id == record.id and stats2.called == 0 and SEEN["agent"] == []
    assert {cid: row.response.metadata["episode"] for cid, row in rows2.items()} == before
    store2.close()


def test_a_target_without_tools_is_refused_before_the_run(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot take tools"):
        _run(tmp_path, [_case("parallel")], name="fake-plain")


def test_a_bad_agent_case_is_one_clean_error(tmp_path: Path) -> None:
    case = _case("parallel")
    case["metadata"]["agent"]["rounds"] = 0
    with pytest.raises(ConfigError, match="case ag-parallel: agent rounds"):
        _run(tmp_path, [case])


def test_the_report_shows_tool_calls_and_observations_escaped_and_nothing_as_backtracked(tmp_path: Path) -> None:
    case = _case("parallel")
    case["prompt"] += " <script>alert(1)</script>"
    record, _stats, _rows, store = _run(tmp_path, [case])
    summary, rows = summarise(store, record.id)
    [item] = results_document(summary, rows)["items"]
    conversation = item["episode"]["conversation"]
    assert [m["role"] for m in conversation] == ["system", "user", "assistant", "tool", "tool", "assistant"]
    assert conversation[2]["content"] == '-> lookup({"query": "alpha"})\n-> lookup({"query": "beta"})'
    assert all(t["kept"] for t in item["episode"]["turns"] if t["kind"] == "target")
    html = render_html(summary, rows)
    assert "Conversation: agent:emulator=fake-emulator,rounds=4" in html and "Backtracked" not in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    store.close()


def test_an_unknown_emulator_fails_before_the_run_exists(tmp_path: Path) -> None:
    from riskscope.errors import RiskscopeError

    with pytest.raises(RiskscopeError, match="no-such-emulator"):
        _run(tmp_path, [_case("parallel", emulator="no-such-emulator")])
    if (tmp_path / "s.db").exists():
        with Store(tmp_path / "s.db") as store:
            assert store.list_runs() == []


def test_a_hosted_emulator_key_is_named_never_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-emulator-secret-0123456789"
    monkeypatch.setenv("RS_TEST_EMULATOR_KEY", secret)
    _record, _stats, rows, store = _run(tmp_path, [_case("parallel", emulator_key_env="RS_TEST_EMULATOR_KEY")])
    assert SEEN["emulator_key_env"] == ["RS_TEST_EMULATOR_KEY"]
    assert rows["ag-parallel"].verdicts["refusal"].outcome is not Outcome.UNASSESSED
    store.close()
    assert secret.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
