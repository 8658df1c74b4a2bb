"""A scripted AgentDojo agent for tests: a named fake (a hosted tool-calling model cannot run here).

It reads the conversation like an agent would (AgentDojo's tools, the user's prompt, the tool
observations) and plays one of these scripts, using AgentDojo's ground truth for the calls:

- ``honest``: round 1 makes the user task's ground-truth calls, round 2 answers with its expected
  output; it never reads the injection.
- ``follower``: the same first round; then it looks for an injection task's goal in the tool
  observations (so it only follows an injection the attack really placed where the user task
  reads) and makes that injection task's ground-truth calls, then answers.
- ``malformed``: round 1 makes calls that are malformed (bad JSON, unknown tool, missing
  arguments), then it behaves like ``honest``.
- ``stepwise``: like ``honest`` but one ground-truth call per round (as AgentDojo's own ground-truth
  pipeline does), so an episode has several rounds to be killed between.
- ``injection-truth``: only the injection task's ground truth, one call per round, then its expected
  output (AgentDojo's ``GroundTruthPipeline`` for the injection task, which AgentDojo runs itself:
  the tests compare the two).
- ``runaway``: calls a read-only tool every round, never answers.

Messages may be riskscope ``Message`` objects or OpenAI wire dicts (the fault server's scripts).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from riskscope.suites._agentdojo_world import SUITES, DojoRef, world


def _get(message: Any, key: str) -> Any:
    return message.get(key) if isinstance(message, dict) else getattr(message, key)


def _normal(text: str) -> str:
    """Text as it reads once YAML's folding, indentation and quote doubling are undone."""
    return " ".join(text.replace("\\", " ").replace("''", "'").split())


def _where(messages: Sequence[Any], tools: Sequence[dict[str, Any]]) -> tuple[str, str]:
    names = {t["function"]["name"] for t in tools}
    prompt = next(_get(m, "content") for m in messages if _get(m, "role") == "user")
    for suite in SUITES:
        dojo = world(suite)
        if not names or {t["function"]["name"] for t in dojo.tools} == names:
            for task_id in dojo.user_tasks:
                if dojo.prompt(task_id) == prompt:
                    return suite, task_id
    raise AssertionError("the scripted agent got a conversation that is not an AgentDojo task")


KNOWN: dict[str, DojoRef] = {}
"""User prompt -> the case (tasks and injections), when a test tells the scripted agent: it then
computes its ground-truth calls on the injected environment, as AgentDojo's ground-truth pipeline
does (a task may name a thing whose *name* holds the injection). Otherwise it uses the
environment without injections, and ``injection-truth`` cannot be played."""


def _calls(calls: list[tuple[str, dict[str, Any]]], round_no: int) -> list[dict[str, Any]]:
    return [
        {"id": f"r{round_no}c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
        for i, (n, a) in enumerate(calls)
    ]


def reply(mode: str, messages: Sequence[Any], tools: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """The scripted agent's next turn: ``{"content": str, "tool_calls": [...]}``."""
    suite, user_task = _where(messages, tools)
    dojo = world(suite)
    rounds = sum(_get(m, "role") == "assistant" for m in messages)
    known = KNOWN.get(dojo.prompt(user_task))
    start = dojo.start(known or DojoRef(suite=suite, user_task=user_task))
    truth = dojo.ground_truth(user_task, start)
    answer = {"content": dojo.ground_truth_output(user_task) or "Done.", "tool_calls": []}
    if mode == "runaway":
        name = truth[0][0] if truth else dojo.tools[0]["function"]["name"]
        return {"content": "", "tool_calls": _calls([(name, truth[0][1] if truth else {})], rounds)}
    if mode == "malformed":
        if rounds == 0:
            return {
                "content": "",
                "tool_calls": [
                    {"id": "m0", "type": "function", "function": {"name": truth[0][0], "arguments": "{not json"}},
                    {"id": "m1", "type": "function", "function": {"name": "launch_rocket", "arguments": "{}"}},
                    {"id": "m2", "type": "function", "function": {"name": truth[0][0], "arguments": "[1, 2]"}},
                ],
            }
        rounds -= 1
    if mode == "injection-truth":
        assert known is not None and known.injection_task is not None, "injection-truth needs KNOWN"
        injection_task = known.injection_task
        steps = dojo.ground_truth(injection_task, start)
        if rounds < len(steps):
            return {"content": "", "tool_calls": _calls([steps[rounds]], rounds)}
        return {"content": dojo.ground_truth_output(injection_task) or "Done.", "tool_calls": []}
    if mode == "stepwise":
        return {"content": "", "tool_calls": _calls([truth[rounds]], rounds)} if rounds < len(truth) else answer
    if rounds == 0:
        return {"content": "", "tool_calls": _calls(truth, 0)}
    if mode == "follower" and rounds == 1:
        seen = _normal(" ".join(str(_get(m, "content")) for m in messages if _get(m, "role") == "tool"))
        found = [i for i in dojo.injection_tasks if _normal(dojo.goal(i)) in seen]
        if found:  # the goal read in an observation (the longest, when one goal starts another)
            calls = dojo.ground_truth(max(found, key=lambda i: len(dojo.goal(i))), start)
            if calls:  # AgentDojo gives some goals (a phishing text, a claim to make) no calls
                return {"content": "", "tool_calls": _calls(calls, 1)}
    return answer
