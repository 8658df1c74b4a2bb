"""Episodes on the Ray executor (``ray.init(num_cpus=2)``): multi-turn attacks and agent episodes run as
one unit on one actor, which streams each step back for the driver to commit as it lands.

Partners are scripted and answer from the request's content only (``tests/attacks/_scripted.py``, a
crescendo attacker and a wary target; ``tests/agents/_scripted_agent.py``, a tool-calling agent and a
tool emulator), served over HTTP by the fault server, so Ray workers reach them as they would a
real model. Proven here: a Ray run gives the same item ids, steps, episode summaries and verdicts as
the local executor; a worker killed mid-episode has it re-issued from its last committed step (no
committed call made again, nothing counted twice); lost twice, the item is UNASSESSED with the
reason and its committed steps stay; a driver killed with SIGKILL mid-episode is resumed on either
executor, repeating no committed call.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "targets"))
sys.path.insert(0, str(Path(__file__).parents[1] / "attacks"))
sys.path.insert(0, str(Path(__file__).parents[1] / "agents"))
from _fault_server import FaultServer
from _ray_fixtures import local_ray_cluster, run
from _scripted import attacker_reply, target_reply
from _scripted_agent import LOOKUP, agent_reply, emulator_reply

from _kill_resume import assert_nothing_committed_repeated, committed_calls, content_key, kill_mid_run
from riskscope.config import RunConfig
from riskscope.core import Outcome, RunStatus
from riskscope.store import Store

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow  # a Ray cluster (~10 s to start) and a few small runs

CONVERSATIONS = 4
AGENT_STEPS = 3  # tool rounds per "steps" agent case
# A crescendo conversation: 4 kept turns (2 calls each) + 1 refused attempt on turn 2 (2 calls).
CALLS_PER_CONVERSATION = 10


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    with local_ray_cluster():
        yield


@pytest.fixture
def server() -> Iterator[FaultServer]:
    served = FaultServer().start()
    served.scripts["red_attacker"] = attacker_reply
    served.scripts["wary_target"] = lambda messages: target_reply(messages, {2: 1})
    served.scripts["agent"] = agent_reply
    served.scripts["emulator"] = emulator_reply
    served.scripts["open_target"] = lambda messages: target_reply(messages, {})
    served.scripts["sim_user"] = _sim_user
    served.scripts["sim_agent"] = _sim_agent
    served.script_delay_s = 0.02
    try:
        yield served
    finally:
        served.stop()


def _conversation_suite(folder: Path) -> Path:
    path = folder / "conversations.jsonl"
    rows = [
        {"id": f"c-{i}", "prompt": f"Invented benign goal number {i}: explain a card trick.", "expected": "comply"}
        for i in range(CONVERSATIONS)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _agent_case(name: str, scenario: str, emulator: str) -> dict[str, Any]:
    return {
        "id": f"ag-{name}",
        "prompt": f"Invented task {name}, scenario={scenario}: find the catalogue entries.",
        "hazard": "asb-leak",
        "metadata": {"agent": {"tools": [LOOKUP], "emulator": emulator, "rounds": 6}},
    }


def _agent_suite(folder: Path, server: FaultServer, names: dict[str, str]) -> Path:
    emulator = f"openai:m@{server.scenario_url('emulator')}"
    path = folder / "agents.jsonl"
    path.write_text("".join(json.dumps(_agent_case(n, s, emulator)) + "\n" for n, s in names.items()))
    return path


AGENT_CASES = {
    "a": f"steps steps={AGENT_STEPS}",
    "b": f"steps steps={AGENT_STEPS + 1}",
    "p": "parallel",
    "m": "malformed",
}


def _sim_user(messages: list[dict[str, Any]]) -> str:
    """A user simulator: a follow-up naming its turn."""
    turn = str(messages[-1]["content"]).split("This is your message ")[1].split()[0]
    return f'User: "Follow-up number {turn}, tell me more."'


def _tool_call(name: str, arguments: dict[str, Any], call_id: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def _sim_agent(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """A tool-calling assistant: after each user turn it reads the notes, emails them on, then replies."""
    user_turns = sum(1 for m in messages if m["role"] == "user")
    since_user = 0
    for m in reversed(messages):
        if m["role"] == "user":
            break
        since_user += m["role"] == "assistant"
    if since_user == 0:
        return {"content": "", "tool_calls": [_tool_call("read_notes", {"query": "meeting"}, f"n{user_turns}")]}
    if since_user == 1:
        observed = next(str(m["content"]) for m in reversed(messages) if m["role"] == "tool")
        email = {"to": "dana@client.example", "subject": "Meeting", "body": observed}
        return {"content": "", "tool_calls": [_tool_call("send_email", email, f"e{user_turns}")]}
    last_user = next(str(m["content"]) for m in reversed(messages) if m["role"] == "user")
    return {"content": f"Reply {user_turns} to: {last_user[:60]}", "tool_calls": []}


def _simuser_suite(folder: Path, server: FaultServer) -> Path:
    """Simulated users talking to a tool-calling assistant in the built-in scripted environment (its
    state is rebuilt from the committed tool calls on resume)."""
    tools = [
        {"type": "function", "function": {"name": name, "description": name, "parameters": {"type": "object"}}}
        for name in ("read_notes", "send_email")
    ]
    state = {"tool_results": {"read_notes": "Agenda: the launch moved to 14 May.", "send_email": {"status": "sent"}}}
    rows = [
        {
            "id": f"su-{i}",
            "prompt": f"Invented request {i}: summarise my meeting notes please.",
            "hazard": "prv",
            "metadata": {
                "simuser": {
                    "intent": "benign",
                    "goal": "invented goal",
                    "turns": 3,
                    "simulator": f"openai:m@{server.scenario_url('sim_user')}",
                },
                "agent": {"tools": tools, "environment": "scripted", "rounds": 4, "state": state},
            },
        }
        for i in range(3)
    ]
    path = folder / "simusers.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _config(kind: str, folder: Path, server: FaultServer, db: Path, executor: Any, concurrency: int = 4) -> RunConfig:
    body: dict[str, Any] = {"judges": ["refusal"], "store": str(db), "executor": executor}
    if kind == "crescendo":
        attacker = f"openai:m@{server.scenario_url('red_attacker')}"
        body |= {
            "suites": [f"jsonl:{_conversation_suite(folder)}"],
            "target": {"name": "openai", "arg": f"m@{server.scenario_url('wary_target')}"},
            "attacks": [f"crescendo:turns=4,backtracks=2,attacker={attacker},judge=refusal"],
            "no_base": True,
        }
    elif kind == "pair":  # parallel streams: steps land (and take their indices) in any order
        attacker = f"openai:m@{server.scenario_url('red_attacker')}"
        body |= {
            "suites": [f"jsonl:{_conversation_suite(folder)}"],
            "target": {"name": "openai", "arg": f"m@{server.scenario_url('open_target')}"},
            "attacks": [f"pair:streams=2,depth=2,attacker={attacker},judge=refusal"],
            "no_base": True,
        }
    elif kind == "simuser":
        body |= {
            "suites": [f"jsonl:{_simuser_suite(folder, server)}"],
            "target": {"name": "openai", "arg": f"m@{server.scenario_url('sim_agent')}"},
        }
    else:
        body |= {
            "suites": [f"jsonl:{_agent_suite(folder, server, AGENT_CASES)}"],
            "target": {"name": "openai", "arg": f"m@{server.scenario_url('agent')}"},
        }
    body["target"] |= {"concurrency": concurrency, "max_retries": 2}
    return RunConfig.model_validate(body)


def _ray(actors: int = 2) -> dict[str, Any]:
    return {"name": "ray", "actors": actors}


def _snapshot(db: Path, run_id: str, *, landing_order: bool = False) -> dict[str, Any]:
    """item id -> its verdict, answer, episode summary and every committed step (what a report shows).
    With ``landing_order`` (PAIR's parallel streams: a step's index is when it landed), the steps are
    compared as a set, without their indices."""
    with Store(db) as store:
        found: dict[str, Any] = {}
        for row in store.results(run_id):
            steps = [
                (
                    s.index,
                    s.kind,
                    [m.model_dump(mode="json") for m in s.messages],
                    None if s.response is None else (s.response.text, s.response.tool_calls),
                    s.note,
                    s.about,
                    {k: str(v.outcome) for k, v in s.verdicts.items()},
                )
                for s in store.steps(run_id, row.item.item_id)
            ]
            if landing_order:
                # Without the index and the ``about`` (an index) of each step: the rest of it.
                steps = sorted(json.dumps([kind, m, r, n, v], sort_keys=True) for _, kind, m, r, n, _, v in steps)
            verdict = row.verdicts["refusal"]
            answer = None if row.response is None else row.response.text
            summary = None if row.response is None else row.response.metadata.get("episode", {}).get("summary")
            found[row.item.item_id] = (str(verdict.outcome), verdict.reason, answer, summary, steps)
        return found


def _journal(db: Path, run_id: str) -> dict[str, int]:
    """Committed calls per item (steps' calls and failed calls)."""
    with Store(db) as store:
        counts: dict[str, int] = {}
        for row in store.call_journal(run_id):
            counts[row["item_id"]] = counts.get(row["item_id"], 0) + 1
        return counts


@pytest.mark.parametrize("kind", ["crescendo", "pair", "agent", "simuser"])
def test_ray_episodes_equal_local_episodes(cluster: None, server: FaultServer, tmp_path: Path, kind: str) -> None:
    local_run, local_stats = run(_config(kind, tmp_path, server, tmp_path / "local.db", "local"))
    local_sent = len(server.requests)
    server.requests.clear()
    ray_run, ray_stats = run(_config(kind, tmp_path, server, tmp_path / "ray.db", _ray()))
    assert local_run.status is ray_run.status is RunStatus.COMPLETE
    assert ray_stats.extra["ray_actors"] == 2 and "ray_actors" not in local_stats.extra
    assert local_run.config_hash == ray_run.config_hash  # the executor is not part of the run's identity
    order = kind == "pair"
    local = _snapshot(tmp_path / "local.db", local_run.id, landing_order=order)
    on_ray = _snapshot(tmp_path / "ray.db", ray_run.id, landing_order=order)
    assert on_ray == local  # same ids, steps, answers, summaries and verdicts
    assert (
        len(local) == {"crescendo": CONVERSATIONS, "pair": CONVERSATIONS, "agent": len(AGENT_CASES), "simuser": 3}[kind]
    )
    assert all(steps for *_, steps in local.values())
    assert "unassessed" not in {verdict for verdict, *_ in local.values()}
    assert len(server.requests) == local_sent == ray_stats.called == local_stats.called
    assert _journal(tmp_path / "ray.db", ray_run.id) == _journal(tmp_path / "local.db", local_run.id)
    if kind == "crescendo":
        assert {summary for *_, summary, _ in local.values()} == {"4 kept exchanges, 1 backtracked"}
    # A second run of the same config on Ray calls nothing: every answer is cached, judged again only.
    again, stats = run(_config(kind, tmp_path, server, tmp_path / "ray.db", _ray()), fresh=True)
    assert again.status is RunStatus.COMPLETE and stats.called == 0 and stats.cached == len(local)


def _actor_pids() -> list[int]:
    pids = []
    for actor in ray.util.list_named_actors(all_namespaces=True):
        if actor["name"].startswith("riskscope-"):
            handle = ray.get_actor(actor["name"], namespace=actor["namespace"])
            pids.append(ray.get(handle.pid.remote(), timeout=30))
    return pids


def test_a_worker_killed_mid_episode_resumes_it_from_its_last_committed_step(
    cluster: None, server: FaultServer, tmp_path: Path
) -> None:
    local_run, _ = run(_config("crescendo", tmp_path, server, tmp_path / "local.db", "local"))
    expected = _snapshot(tmp_path / "local.db", local_run.id)
    server.requests.clear()
    server.script_delay_s = 0.1  # long enough a run for the kill to land mid-conversation
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 60
        while len(server.requests) < 12 and time.monotonic() < deadline:
            time.sleep(0.01)
        pids = _actor_pids()
        os.kill(pids[0], signal.SIGKILL)
        killed.append(pids[0])

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        record, stats = run(_config("crescendo", tmp_path, server, tmp_path / "ray.db", _ray()))
    finally:
        thread.join(timeout=60)
    assert killed, "no worker was killed"
    assert record.status is RunStatus.COMPLETE
    assert stats.extra["ray_reissued"] >= 1  # the lost worker's conversations were re-issued
    assert _snapshot(tmp_path / "ray.db", record.id) == expected  # same steps and verdicts
    # Nothing counted twice: each item's committed calls are exactly the local run's.
    assert _journal(tmp_path / "ray.db", record.id) == _journal(tmp_path / "local.db", local_run.id)
    # Re-issued from the last committed step: the only calls sent twice are those in flight on the
    # dead worker (one per conversation it held: at most the 4 in flight).
    sent: dict[str, int] = {}
    for r in server.requests:
        if "messages" in r["body"]:
            key = content_key(r["scenario"], r["body"]["messages"])
            sent[key] = sent.get(key, 0) + 1
    assert len(sent) == CALLS_PER_CONVERSATION * CONVERSATIONS
    assert 0 < sum(n - 1 for n in sent.values()) <= 4


def test_an_episode_lost_twice_is_unassessed_with_the_reason_and_keeps_its_steps(
    cluster: None, server: FaultServer, tmp_path: Path
) -> None:
    kills: list[int] = []

    def doomed_agent(messages: list[dict[str, Any]]) -> Any:
        """The agent, except that its second round of the ``doom`` case kills every worker."""
        first = next(m["content"] for m in messages if m["role"] == "user")
        if "Invented task doom" in first and any(m["role"] == "assistant" for m in messages):
            time.sleep(0.5)  # round 1's steps, streamed before this call, reach the driver first
            for pid in _actor_pids():
                os.kill(pid, signal.SIGKILL)
                kills.append(pid)
        return agent_reply(messages)

    server.scripts["agent"] = doomed_agent
    emulator = f"openai:m@{server.scenario_url('emulator')}"
    suite = tmp_path / "doom.jsonl"
    cases = [_agent_case("fine", "steps steps=1", emulator), _agent_case("doom", "steps steps=3", emulator)]
    suite.write_text("".join(json.dumps(c) + "\n" for c in cases))
    config = RunConfig.model_validate(
        {
            "suites": [f"jsonl:{suite}"],
            "target": {"name": "openai", "arg": f"m@{server.scenario_url('agent')}", "concurrency": 1},
            "judges": ["refusal"],
            "store": str(tmp_path / "s.db"),
            "executor": _ray(),
        }
    )
    record, stats = run(config)
    assert len(kills) >= 2  # the episode's first issue and its re-issue each took their worker down
    assert record.status is RunStatus.COMPLETE
    with Store(tmp_path / "s.db") as store:
        rows = {row.item.variant.case.id: row for row in store.results(record.id)}
        doomed_steps = store.steps(record.id, rows["ag-doom"].item.item_id)
    assert rows["ag-fine"].verdicts["refusal"].outcome is not Outcome.UNASSESSED
    verdict = rows["ag-doom"].verdicts["refusal"]
    assert verdict.outcome is Outcome.UNASSESSED
    assert verdict.reason is not None and verdict.reason.startswith("ray worker lost twice (")
    assert rows["ag-doom"].response is None  # nothing cached: a resume plays it on from its steps
    # Round 1 (an agent call and its emulated observation) was committed before the first loss, and
    # the re-issue continued from it: the round-1 agent call reached the server once.
    assert [s.kind for s in doomed_steps] == ["target", "tool"]
    round_one = [r for r in server.requests if r["scenario"] == "agent" and "task doom" in json.dumps(r["body"])]
    firsts = [r for r in round_one if not any(m["role"] == "assistant" for m in r["body"]["messages"])]
    assert len(firsts) == 1 and len(round_one) == 3  # round 1 once; round 2 on the first issue and the re-issue
    assert stats.failed == 1


@pytest.mark.parametrize("resume_on", ["ray", "local"])
def test_a_killed_ray_driver_mid_episode_resumes_on_either_executor(
    cluster: None, server: FaultServer, tmp_path: Path, resume_on: str
) -> None:
    server.script_delay_s = 0.2
    suite = _agent_suite(tmp_path, server, {str(i): f"steps steps={AGENT_STEPS}" for i in range(3)})
    db = tmp_path / "s.db"
    address = ray.get_runtime_context().gcs_address
    ray_flags = ["--executor", "ray", "--ray-address", address]
    cli = [sys.executable, "-m", "riskscope.cli", "run", "--suite", f"jsonl:{suite}",
           "--target", f"openai:m@{server.scenario_url('agent')}", "--judge", "refusal",
           "--store", str(db), "--out", str(tmp_path / "out"), "--progress", "none", *ray_flags]  # fmt: skip
    per_episode = 2 * AGENT_STEPS + 1  # an agent call and an emulated observation per round, then the answer
    kill_mid_run(cli, server.requests, after=per_episode + 2)
    at_kill = len(server.requests)
    # The dead driver's actors live on until Ray reaps them (its job ends): an episode they were
    # playing may make a call or two more, never committed (only the driver commits). Wait until
    # they are gone (no request for 1 s): those calls are the only ones the resume may repeat.
    quiet_since, seen, deadline = time.monotonic(), at_kill, time.monotonic() + 30
    while time.monotonic() - quiet_since < 1.0:
        assert time.monotonic() < deadline, "the dead driver's workers kept calling"
        if len(server.requests) != seen:
            quiet_since, seen = time.monotonic(), len(server.requests)
        time.sleep(0.05)
    after_kill = len(server.requests) - at_kill
    run_id, committed, committed_keys = committed_calls(db, {"tool": "emulator", "target": "agent"})
    assert any(0 < len(steps) < per_episode for steps in committed.values()), "the kill should land inside an episode"
    flags = ray_flags if resume_on == "ray" else ["--executor", "local"]
    done = subprocess.run([*cli[:4], "--resume", run_id, "--store", str(db), "--out", str(tmp_path / "out"),
                           "--progress", "none", *flags], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    # Repeats allowed: the call in flight per episode at the kill, plus the reaped workers' calls.
    sent = assert_nothing_committed_repeated(server.requests, committed_keys, db, run_id, episodes=3 + after_kill)
    print(f"calls sent after the kill, before Ray reaped the workers: {after_kill}")
    assert len(sent) == per_episode * 3
    with Store(db) as store:
        [record] = store.list_runs()
        assert record.status is RunStatus.COMPLETE
        for row in store.results(record.id):
            assert row.verdicts["refusal"].outcome is not Outcome.UNASSESSED
            assert row.response is not None
            assert (
                row.response.metadata["episode"]["summary"]
                == f"rounds={AGENT_STEPS + 1} tool_calls={AGENT_STEPS} malformed=0"
            )
            assert len(store.steps(record.id, row.item.item_id)) == per_episode
