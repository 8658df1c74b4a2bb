"""An agent episode killed with SIGKILL mid-way resumes from its last committed step.

Through the CLI with ``--suite agentsafety:...`` (a tiny Agent-SafetyBench-format file written here,
no benchmark rows) against a real local HTTP server (the fault server with a scripted agent and a
scripted tool emulator, each answering after a fixed latency): after ``kill -9`` and ``--resume``,
every call committed before the kill was made exactly once (emulated observations included), the
only repeated calls are the ones in flight at the kill, and every episode ends complete.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "targets"))
from _fault_server import FaultServer
from _scripted_agent import LOOKUP, agent_reply, emulator_reply

from _kill_resume import assert_nothing_committed_repeated, committed_calls, kill_mid_run, resume
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
        kill_mid_run(cli, server.requests, after=CALLS_PER_EPISODE + 3)  # mid-way through an episode
        run_id, committed, committed_keys = committed_calls(db, {"tool": "emulator", "target": "agent"})
        assert any(0 < len(steps) < CALLS_PER_EPISODE for steps in committed.values()), "kill inside an episode"
        resume(cli, run_id, db, tmp_path / "out")
    finally:
        server.stop()

    sent = assert_nothing_committed_repeated(server.requests, committed_keys, db, run_id, episodes=CASES)
    with Store(db) as store:
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
    assert len(sent) == CALLS_PER_EPISODE * CASES
