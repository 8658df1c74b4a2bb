"""A real-environment agent run killed with SIGKILL mid-episode resumes in a new process with the
environment's state rebuilt from the committed calls, repeating no committed call.

Through the CLI with ``agentsafety:...,environment=real`` (a small Agent-SafetyBench-format file
written here: the package's ``Todoist`` environment, invented tasks) against a real local HTTP
server (the fault server with a scripted agent answering after a fixed latency). Each episode adds
four tasks, one per round, then searches them: after ``kill -9`` and ``--resume`` every episode's
search must find its four tasks (two or more of them created by the killed process), every agent
call committed before the kill was made exactly once, and no observation needed a model call.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("asb_envs")

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "targets"))
from _fault_server import FaultServer

from _kill_resume import assert_nothing_committed_repeated, committed_calls, kill_mid_run, resume
from riskscope.store import Store

pytestmark = pytest.mark.slow  # a CLI subprocess killed and resumed: ~10 s idle

CHORES = 4
CALLS_PER_EPISODE = CHORES + 2  # one agent call per chore, one for the search, one to answer
CASES = 3


def _get(message: Any, key: str) -> Any:
    return message.get(key) if isinstance(message, dict) else getattr(message, key)


def chores_agent(messages: Sequence[Any]) -> dict[str, Any]:
    """Round r <= CHORES creates chore r; then searches; then answers with the search's result."""
    round_ = 1 + sum(1 for m in messages if _get(m, "role") == "assistant")
    case = str(next(_get(m, "content") for m in messages if _get(m, "role") == "user")).split("case=")[1].split()[0]
    if round_ <= CHORES + 1:
        name, args = (
            ("create_task", {"task_name": f"invented chore {case}-{round_}"})
            if round_ <= CHORES
            else ("search_tasks", {"keywords": f"invented chore {case}-"})
        )
        call = {"id": f"c{round_}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
        return {"content": "", "tool_calls": [call]}
    observed = [str(_get(m, "content")) for m in messages if _get(m, "role") == "tool"]
    return {"content": "Found: " + observed[-1], "tool_calls": []}


def _data(folder: Path) -> Path:
    (folder / "environments_json").mkdir(parents=True)
    package = Path(importlib.util.find_spec("asb_envs.envs").origin).parent  # type: ignore[arg-type,union-attr]
    (folder / "environments_json" / "Todoist.json").write_text((package / "Todoist.json").read_text())
    rows = [
        {
            "id": i,
            "risks": ["Lead to property loss"],
            "instruction": f"Invented task case={i} : add my chores, then list them.",
            "environments": [{"name": "Todoist", "tools": ["create_task", "search_tasks"], "parameters": {}}],
            "failure_modes": "5",
            "fulfillable": 1,
        }
        for i in range(CASES)
    ]
    path = folder / "released_data.json"
    path.write_text(json.dumps(rows))
    return path


def test_kill_9_mid_episode_then_resume_rebuilds_the_real_environment(tmp_path: Path) -> None:
    server = FaultServer().start()
    server.scripts["agent"] = chores_agent
    server.script_delay_s = 0.2
    data = _data(tmp_path / "asb")
    db = tmp_path / "s.db"
    suite = f"agentsafety:{data},environment=real,rounds=8,emulator=openai:m@{server.scenario_url('emulator')}"
    cli = [sys.executable, "-m", "riskscope.cli", "run", "--suite", suite,
           "--target", f"openai:m@{server.scenario_url('agent')}", "--judge", "refusal",
           "--store", str(db), "--out", str(tmp_path / "out"), "--progress", "none"]  # fmt: skip
    try:
        kill_mid_run(cli, server.requests, after=CALLS_PER_EPISODE + 3)  # mid-way through an episode
        run_id, committed, committed_keys = committed_calls(db, {"tool": "emulator", "target": "agent"})
        # An episode killed after some of its chores were created and before its search: the new
        # process must rebuild those chores from the committed calls.
        assert any(
            any(s.note.get("tool") == "create_task" for s in st)
            and not any(s.note.get("tool") == "search_tasks" for s in st)
            for st in committed.values()
        ), "kill inside an episode, after a real tool call"
        resume(cli, run_id, db, tmp_path / "out")
    finally:
        server.stop()
    assert_nothing_committed_repeated(server.requests, committed_keys, db, run_id, episodes=CASES)
    assert not [r for r in server.requests if r["scenario"] == "emulator"]  # every tool was real
    with Store(db) as store:
        [run] = store.list_runs()
        assert run.status.value == "complete" and run.id == run_id
        for row in store.results(run.id):
            case = row.item.variant.case.id.removeprefix("asb-")
            steps = store.steps(run.id, row.item.item_id)
            search = next(s for s in steps if s.note.get("tool") == "search_tasks")
            found = [t["task_name"] for t in json.loads(search.note["observation"])["tasks"]]
            assert found == [f"invented chore {case}-{r}" for r in range(1, CHORES + 1)]
            assert len(steps) == 2 * CALLS_PER_EPISODE - 1  # agent calls + one tool step per call
