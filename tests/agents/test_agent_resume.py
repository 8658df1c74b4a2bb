"""An agent episode killed with SIGKILL mid-way resumes from its last committed step.

Through the CLI with ``--suite agentsafety:...`` (a tiny Agent-SafetyBench-format file written here,
no benchmark rows) against a real local HTTP server (the fault server with a scripted agent and a
scripted tool emulator, each answering after a fixed latency): after ``kill -9`` and ``--resume``,
every call committed before the kill was made exactly once (emulated observations included), the
only repeated calls are the ones in flight at the kill, and every episode ends complete.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "targets"))
from _fault_server import FaultServer
from _scripted_agent import LOOKUP, agent_reply, emulator_reply

from riskscope.core import Outcome
from riskscope.store import Store

pytestmark = pytest.mark.slow  # a CLI subprocess killed and resumed: ~10 s idle

TOOL_ROUNDS = 4
CALLS_PER_EPISODE = 2 * TOOL_ROUNDS + 1  # each tool round: an agent call and an emulated observation; then the answer
CASES = 3


def _data(folder: Path) -> Path:
    (folder / "environments_json").mkdir(parents=True)
    (folder / "environments_json" / "Catalogue.json").write_text(json.dumps([LOOKUP["function"]]))
    rows = [
        {
            "id": i,
            "risks": ["Leak sensitive data / information"],
            "instruction": f"Invented task {i}, scenario=steps steps={TOOL_ROUNDS}: read the catalogue.",
            "environments": [{"name": "Catalogue", "tools": ["lookup"], "parameters": {"entries": i}}],
            "failure_modes": "1",
            "fulfillable": 1,
        }
        for i in range(CASES)
    ]
    path = folder / "released_data.json"
    path.write_text(json.dumps(rows))
    return path


def _key(scenario: str, messages: list[dict[str, Any]]) -> str:
    return scenario + json.dumps([(m["role"], m.get("content"), m.get("tool_call_id")) for m in messages])


def test_kill_9_mid_episode_then_resume_repeats_no_committed_call(tmp_path: Path) -> None:
    server = FaultServer().start()
    server.scripts["agent"] = agent_reply
    server.scripts["emulator"] = emulator_reply
    server.script_delay_s = 0.2
    data = _data(tmp_path / "asb")
    db = tmp_path / "s.db"
    suite = f"agentsafety:{data},rounds=6,emulator=openai:m@{server.scenario_url('emulator')}"
    cli = [sys.executable, "-m", "riskscope.cli", "run", "--suite", suite,
           "--target", f"openai:m@{server.scenario_url('agent')}", "--judge", "refusal",
           "--store", str(db), "--out", str(tmp_path / "out"), "--progress", "none"]  # fmt: skip
    try:
        proc = subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while len(server.requests) < CALLS_PER_EPISODE + 3:  # mid-way through an episode
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()  # a stalled run still holds its pipes: communicate() would wait on it forever
                _out, err = proc.communicate(timeout=60)
                pytest.fail(f"run ended or stalled before the kill: rc={proc.returncode} {err.decode()[-2000:]}")
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

        with Store(db) as store:
            [run] = store.list_runs()
            committed = {item.item_id: store.steps(run.id, item.item_id) for item in store.items(run.id)}
        scenario = {"tool": "emulator", "target": "agent"}
        committed_keys = {
            _key(scenario[s.kind], [m.model_dump() for m in s.messages]): 1 + len(s.response.retries)
            for steps in committed.values()
            for s in steps
            if s.response is not None
        }
        assert any(0 < len(steps) < CALLS_PER_EPISODE for steps in committed.values()), "kill inside an episode"

        done = subprocess.run([*cli[:4], "--resume", run.id, "--store", str(db), "--out", str(tmp_path / "out"),
                               "--progress", "none"], capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
    finally:
        server.stop()

    sent = Counter(_key(r["scenario"], r["body"]["messages"]) for r in server.requests if "messages" in r["body"])
    for key, times in committed_keys.items():
        assert sent[key] == times, "a call committed before the kill was made again"
    repeated = sum(n - 1 for n in sent.values())
    with Store(db) as store:
        retried = sum(row["retries"] for row in store.call_journal(run.id))
        [run] = store.list_runs()
        assert run.status.value == "complete"
        rows = list(store.results(run.id))
        for row in rows:
            assert row.verdicts["refusal"].outcome is not Outcome.UNASSESSED
            assert row.response is not None
            assert (
                row.response.metadata["episode"]["summary"]
                == f"rounds={TOOL_ROUNDS + 1} tool_calls={TOOL_ROUNDS} malformed=0"
            )
            assert len(store.steps(run.id, row.item.item_id)) == CALLS_PER_EPISODE
    assert repeated <= CASES + retried  # at most one call per concurrent episode was in flight
    assert len(sent) == CALLS_PER_EPISODE * CASES
