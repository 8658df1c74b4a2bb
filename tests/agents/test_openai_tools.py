"""Tool calling through the OpenAI-compatible API, against a real local HTTP server.

The server is the project's fault-injecting server with scripted answers (a scripted agent that
makes parallel tool calls, and a scripted tool emulator); the target, the wrapper, the episode
loop and the store are the real ones.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "targets"))
from _fault_server import FaultServer
from _scripted_agent import LOOKUP, agent_reply, emulator_reply

from riskscope.config import Decoding, RunConfig
from riskscope.core import Message, Outcome
from riskscope.runner import execute
from riskscope.store import Store
from riskscope.targets.openai_compat import build_chat_request, parse_chat_response


def test_tools_go_with_the_request_and_parallel_calls_come_back_in_order() -> None:
    body = build_chat_request("m", [Message(role="user", content="hi")], Decoding(), {}, [LOOKUP])
    assert body["tools"] == [LOOKUP]
    assert "tools" not in build_chat_request("m", [Message(role="user", content="hi")], Decoding(), {})
    calls = [
        {"id": "a", "type": "function", "function": {"name": "lookup", "arguments": '{"query": "x"}'}},
        {"id": "b", "type": "function", "function": {"name": "lookup", "arguments": '{"query": "y"}'}},
    ]
    data = {"choices": [{"message": {"role": "assistant", "content": None, "tool_calls": calls}}]}
    response = parse_chat_response(data, 0.1)
    assert response.tool_calls == tuple(calls) and response.text is None


def test_an_agent_episode_over_http_sends_tools_and_tool_results(tmp_path: Path) -> None:
    server = FaultServer().start()
    server.scripts["agent"] = agent_reply
    server.scripts["emulator"] = emulator_reply
    case = {
        "id": "http-1",
        "prompt": "Invented task, scenario=parallel: find the catalogue entries.",
        "metadata": {"agent": {"tools": [LOOKUP], "emulator": f"openai:m@{server.scenario_url('emulator')}"}},
    }
    suite = tmp_path / "suite.jsonl"
    suite.write_text(json.dumps(case) + "\n")
    config = RunConfig.model_validate(
        {
            "suites": [f"jsonl:{suite}"],
            "target": f"openai:m@{server.scenario_url('agent')}",
            "judges": ["refusal"],
            "store": str(tmp_path / "s.db"),
        }
    )
    try:
        with Store(config.store) as store:
            record, stats = asyncio.run(execute(config, store))
            [row] = list(store.results(record.id))
            kinds = [s.kind for s in store.steps(record.id, row.item.item_id)]
    finally:
        server.stop()
    assert kinds == ["target", "tool", "tool", "target"] and stats.called == 4
    agent_bodies = [r["body"] for r in server.requests if r["scenario"] == "agent"]
    emulator_bodies = [r["body"] for r in server.requests if r["scenario"] == "emulator"]
    assert len(agent_bodies) == 2 and len(emulator_bodies) == 2
    assert all(b["tools"] == [LOOKUP] for b in agent_bodies)
    assert all("tools" not in b for b in emulator_bodies)  # the emulator is not offered the tools
    second = agent_bodies[1]["messages"]
    assert [m["tool_call_id"] for m in second if m["role"] == "tool"] == ["c-a", "c-b"]
    assert [c["id"] for c in second[-3]["tool_calls"]] == ["c-a", "c-b"]
    assert row.verdicts["refusal"].outcome is not Outcome.UNASSESSED
