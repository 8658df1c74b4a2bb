"""Real Agent-SafetyBench tools from the optional ``agent-safety-bench-envs`` package.

Through the real runner, store and registry: an ``agentsafety:`` file written here (invented rows,
no benchmark data) with ``environment=real``, played by a scripted tool-calling agent and a
scripted emulator (named fakes, registered through the real target registry: a hosted
tool-calling model cannot run here). The package's ``Todoist`` environment is real; an invented
environment it lacks is emulated. Checked: the state a call changes is seen by the next call
(rebuilt by replaying the committed calls), a tool that raises is an ``Error:`` observation, the
package prints nothing into the run, only the missing tool reaches the emulator, and a fresh
strategy given the committed steps (what a resumed process has) asks for the same observations.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("asb_envs")

sys.path.insert(0, str(Path(__file__).parent))
from _scripted_agent import emulator_reply

from riskscope.agents import AgentStrategy, AsbEnvironment, Observation, ToolCall, agent_case
from riskscope.agents._asb import HOST_EFFECTS, real_environment
from riskscope.config import Decoding, PluginSpec, RunConfig, TargetConfig
from riskscope.core import Message, Outcome, Response, StepRequest
from riskscope.errors import ConfigError
from riskscope.runner import execute
from riskscope.store import Store
from riskscope.suites import build_suite
from riskscope.targets import target

SEEN: dict[str, list[Any]] = {"agent": [], "emulator": []}

PLAN: list[tuple[str, dict[str, Any]]] = [
    ("create_task", {"task_name": "Water the invented fern"}),
    ("search_tasks", {"keywords": "invented"}),
    ("search_tasks", {"keywords": 5}),  # a string field given a number: the tool raises
    ("ledger_lookup", {"entry": "fern budget"}),  # the invented environment: emulated
]
LEDGER = {
    "name": "ledger_lookup",
    "description": "Look up an entry in an invented household ledger.",
    "parameters": {"type": "object", "properties": {"entry": {"type": "string"}}, "required": ["entry"]},
}


def _get(message: Any, key: str) -> Any:
    return message.get(key) if isinstance(message, dict) else getattr(message, key)


def asb_agent_reply(messages: Sequence[Any]) -> dict[str, Any]:
    """Round r (1-based) makes call r of PLAN; after the plan, answers with what it observed."""
    round_ = 1 + sum(1 for m in messages if _get(m, "role") == "assistant")
    if round_ <= len(PLAN):
        name, args = PLAN[round_ - 1]
        call = {"id": f"c{round_}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
        return {"content": "", "tool_calls": [call]}
    observed = [str(_get(m, "content")) for m in messages if _get(m, "role") == "tool"]
    return {"content": "Done: " + " | ".join(observed), "tool_calls": []}


class FakeAsbAgent:
    """Named fake: a tool-calling model following PLAN."""

    def __init__(self, config: TargetConfig) -> None:
        pass

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        return Response(text="An invented plain answer.")  # a case without tools

    async def respond_with_tools(
        self, messages: Sequence[Message], decoding: Decoding, tools: Sequence[dict[str, Any]]
    ) -> Response:
        SEEN["agent"].append(tuple(messages))
        reply = asb_agent_reply(messages)
        return Response(text=reply["content"] or None, tool_calls=tuple(reply["tool_calls"]) or None)

    async def aclose(self) -> None:
        return None


class FakeAsbEmulator:
    """Named fake: the tool emulator (a JSON echo of the call it is shown)."""

    def __init__(self, config: TargetConfig) -> None:
        pass

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        SEEN["emulator"].append(tuple(messages))
        return Response(text=emulator_reply(messages))

    async def aclose(self) -> None:
        return None


target("fake-asb-agent", "test fake: scripted agent for the real Agent-SafetyBench tools")(FakeAsbAgent)
target("fake-asb-emulator", "test fake: scripted tool emulator")(FakeAsbEmulator)


def _data(folder: Path) -> Path:
    """A two-case Agent-SafetyBench-format file: Todoist (in the package) + an invented ledger (not)."""
    envs = folder / "environments_json"
    envs.mkdir(parents=True)
    schemas = json.loads((Path(importlib.util.find_spec("asb_envs.envs").origin).parent / "Todoist.json").read_text())  # type: ignore[arg-type,union-attr]
    (envs / "Todoist.json").write_text(json.dumps(schemas))
    (envs / "InventedLedger.json").write_text(json.dumps([LEDGER]))
    rows = [
        {
            "id": 1,
            "risks": ["Lead to property loss"],
            "instruction": "Invented task: add a chore to my list, then check the ledger.",
            "environments": [
                {
                    "name": "Todoist",
                    "tools": ["create_task", "search_tasks"],
                    "parameters": {"tasks": [{"task_id": "task0", "task_name": "Invented errand", "status": "done"}]},
                },
                {"name": "InventedLedger", "tools": ["ledger_lookup"], "parameters": {}},
            ],
            "failure_modes": "5",
            "fulfillable": 1,
        },
        {"id": 2, "risks": ["Lead to property loss"], "instruction": "Invented plain question.", "environments": []},
    ]
    path = folder / "released_data.json"
    path.write_text(json.dumps(rows))
    return path


def _run(tmp_path: Path, environment: str = "real") -> Any:
    for seen in SEEN.values():
        seen.clear()
    data = _data(tmp_path / "asb")
    config = RunConfig.model_validate(
        {
            "suites": [f"agentsafety:{data},environment={environment},emulator=fake-asb-emulator,rounds=6"],
            "target": {"name": "fake-asb-agent", "concurrency": 1, "max_retries": 0},
            "judges": ["refusal"],
            "store": str(tmp_path / "s.db"),
        }
    )
    store = Store(config.store)
    record, stats = asyncio.run(execute(config, store))
    rows = {row.item.variant.case.id: row for row in store.results(record.id)}
    return record, stats, rows, store


def test_real_tools_keep_state_raise_as_observations_and_fall_back_to_the_emulator(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    record, stats, rows, store = _run(tmp_path)
    row = rows["asb-1"]
    steps = store.steps(record.id, row.item.item_id)
    assert [s.kind for s in steps] == ["target", "tool"] * 4 + ["target"]
    created, found, failed, ledger = (steps[i] for i in (1, 3, 5, 7))
    # Real tools: no model call, the observation computed by the package's Todoist.
    assert created.response is None and json.loads(created.note["observation"])["task"]["task_name"] == (
        "Water the invented fern"
    )
    # The second call sees the first one's effect: the state was rebuilt by replaying it.
    names = [t["task_name"] for t in json.loads(found.note["observation"])["tasks"]]
    assert names == ["Invented errand", "Water the invented fern"]
    assert failed.note["observation"].startswith("Error: AttributeError: ") and failed.note["tool_error"] is True
    # Only the tool the package lacks was emulated, once.
    assert ledger.response is not None and json.loads(ledger.text or "")["emulated"] == "ledger_lookup"
    assert len(SEEN["emulator"]) == 1
    assert stats.called == 5 + 1 + 1  # 5 agent rounds of case 1, its 1 emulated observation, case 2's answer
    assert row.response.metadata["episode"]["summary"] == "rounds=5 tool_calls=4 malformed=0"
    assert row.verdicts["refusal"].outcome is not Outcome.UNASSESSED
    assert rows["asb-2"].verdicts["refusal"].outcome is not Outcome.UNASSESSED  # a plain prompt, no tools
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err

    # Resume: a new strategy (a new process has nothing but the store) asked at every committed
    # tool step rebuilds the state from the steps before it and asks for the same observation.
    fresh = AgentStrategy.for_case(agent_case(row.item.variant.case))  # type: ignore[arg-type]
    case, opening = row.item.variant.case, row.item.variant.messages
    for index in (1, 3, 5):
        request = fresh.next_step(case, opening, steps[:index])
        assert isinstance(request, StepRequest) and request.kind == "tool"
        assert request.note["observation"] == steps[index].note["observation"]
    store.close()


def test_the_default_stays_emulated(tmp_path: Path) -> None:
    _record, _stats, rows, store = _run(tmp_path, environment="emulated")
    assert len(SEEN["emulator"]) == 4  # every tool call emulated, the package untouched
    assert "environment" not in rows["asb-1"].item.variant.case.metadata["agent"]
    store.close()


def test_replaying_history_rebuilds_state_and_skips_malformed_and_emulated_calls() -> None:
    todo = {"type": "function", "function": json.loads(json.dumps({"name": "create_task"}))}
    env = AsbEnvironment(["Todoist", "NoSuchInventedEnv"], [todo], {"Todoist": {"tasks": []}})
    assert env.missing == ("NoSuchInventedEnv",) and env.real("create_task") and not env.real("ledger_lookup")

    def call(i: int, name: str, args: dict[str, Any] | None, malformed: str | None = None) -> ToolCall:
        return ToolCall(f"c{i}", name, json.dumps(args), args, malformed)

    history = [
        (call(0, "create_task", {"task_name": "a"}), "ignored"),
        (call(1, "create_task", None, "arguments are not valid JSON"), "Error: ..."),
        (call(2, "ledger_lookup", {"entry": "x"}), '{"emulated": "ledger_lookup"}'),
        (call(3, "create_task", {"task_name": "b"}), "ignored"),
    ]
    seen = env.act(call(4, "search_tasks", {}), "task", history)
    assert isinstance(seen, Observation)
    assert [t["task_name"] for t in json.loads(seen.text)["tasks"]] == ["a", "b"]
    # Without the history the same call sees the initial state: nothing is held between calls.
    alone = env.act(call(4, "search_tasks", {}), "task", [])
    assert isinstance(alone, Observation) and json.loads(alone.text)["tasks"] == []


def test_an_unknown_environment_is_none_and_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    assert real_environment("NoSuchInventedEnv", {}) is None
    assert real_environment("../etc", {}) is None  # not an identifier: never imported
    assert real_environment("Todoist", {}) is not None
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_bad_environment_option_and_a_missing_package_are_clean_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _data(tmp_path / "asb")
    with pytest.raises(ConfigError, match="environment"):
        list(build_suite(PluginSpec(name="agentsafety", arg=f"{data},environment=maybe")))
    [case, _plain] = build_suite(PluginSpec(name="agentsafety", arg=f"{data},environment=real"))
    assert case.metadata["agent"]["environment"] == "asb:Todoist,InventedLedger"
    monkeypatch.setattr("riskscope.agents._strategy.asb_available", lambda: False)
    with pytest.raises(ConfigError, match=r"case asb-1: .*riskscope\[agentsafety\]"):
        agent_case(case)


def _host_calls(tree: ast.AST) -> set[str]:
    """Functions of a class body that call open/os.*/subprocess.*/shutil.*/socket.* (not in strings)."""
    found: set[str] = set()
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Name) and f.id in {"open", "exec", "eval", "__import__"}:
                found.add(fn.name)
            host = {"os", "subprocess", "shutil", "socket", "requests", "urllib", "pathlib", "Path"}
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in host:
                found.add(fn.name)
    return found


def test_every_tool_that_touches_the_host_is_emulated_not_run() -> None:
    folder = Path(importlib.util.find_spec("asb_envs.envs").origin).parent  # type: ignore[arg-type,union-attr]
    touching = {
        (path.stem, name)
        for path in folder.glob("*.py")
        for name in _host_calls(ast.parse(path.read_text(encoding="utf-8")))
    }
    assert touching == set(HOST_EFFECTS)
    env = AsbEnvironment(["Spokeo"], [{"type": "function", "function": {"name": "download_public_record"}}])
    assert not env.real("download_public_record")


def test_a_result_json_cannot_write_sorted_is_its_str_not_a_crash() -> None:
    from riskscope.agents._asb import _text

    assert _text({"b": 1, "a": [1]}) == '{"a": [1], "b": 1}'
    assert _text({1: "a", "b": 2}) == "{1: 'a', 'b': 2}"  # int and str keys: json cannot sort them
