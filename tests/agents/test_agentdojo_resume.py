"""An AgentDojo episode killed with SIGKILL mid-way resumes without repeating a committed call.

Through the CLI (``--suite agentdojo:banking,...``) against a real local HTTP server (the fault
server with the scripted AgentDojo agent in ``stepwise`` mode: one ground-truth call per round,
after a fixed latency). After ``kill -9`` and ``--resume``: every agent call committed before the
kill was made exactly once, the only repeated calls are those in flight at the kill, and every
episode ends assessed by AgentDojo's checks with the user task done (the stateful environment was
rebuilt from the committed calls, and the judge replays them all).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("agentdojo", reason="needs the agentdojo extra (make bootstrap installs it)")
pytest.importorskip("deepdiff", reason="needs the agentdojo extra (make bootstrap installs it)")

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "targets"))
from _dojo_agent import reply
from _fault_server import FaultServer

from _kill_resume import assert_nothing_committed_repeated, committed_calls, kill_mid_run, resume
from riskscope.core import Outcome
from riskscope.store import Store

pytestmark = pytest.mark.slow  # a CLI subprocess killed and resumed: ~30 s on a loaded box

SUITE = "agentdojo:banking,sample=3,seed=5,rounds=8"
EPISODES = 3


def test_kill_9_mid_episode_then_resume_repeats_no_committed_call(tmp_path: Path) -> None:
    server = FaultServer().start()
    server.scripts["agent"] = lambda messages: reply("stepwise", messages)
    server.script_delay_s = 0.3
    db, out = tmp_path / "s.db", tmp_path / "out"
    cli = [sys.executable, "-m", "riskscope.cli", "run", "--suite", SUITE,
           "--target", f"openai:m@{server.scenario_url('agent')}", "--judge", "agentdojo",
           "--store", str(db), "--out", str(out), "--progress", "none"]  # fmt: skip
    try:
        kill_mid_run(cli, server.requests, after=4)  # some episodes have made a call or two, none is finished
        run_id, committed, committed_keys = committed_calls(db, {"target": "agent"})
        assert committed_keys, "nothing was committed before the kill"
        assert any(any(s.kind == "tool" for s in steps) for steps in committed.values()), "a tool ran before the kill"
        assert all(s.kind != "tool" or s.response is None for steps in committed.values() for s in steps)
        resume(cli, run_id, db, out)
    finally:
        server.stop()

    assert_nothing_committed_repeated(server.requests, committed_keys, db, run_id, EPISODES)
    with Store(db) as store:
        [run] = store.list_runs()
        assert run.status.value == "complete"
        rows = list(store.results(run.id))
        assert len(rows) == EPISODES
        for row in rows:
            verdict = row.verdicts["agentdojo"]
            assert verdict.outcome is Outcome.SAFE, verdict.reason or verdict.rationale
            assert verdict.labels["utility"] == "true", verdict.rationale
