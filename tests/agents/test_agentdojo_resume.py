"""An AgentDojo episode killed with SIGKILL mid-way resumes without repeating a committed call.

Through the CLI (``--suite agentdojo:banking,...``) against a real local HTTP server (the fault
server with the scripted AgentDojo agent in ``stepwise`` mode: one ground-truth call per round,
after a fixed latency). After ``kill -9`` and ``--resume``: every agent call committed before the
kill was made exactly once, the only repeated calls are those in flight at the kill, and every
episode ends assessed by AgentDojo's checks with the user task done (the stateful environment was
rebuilt from the committed calls, and the judge replays them all).
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

pytest.importorskip("agentdojo", reason="needs the agentdojo extra (make bootstrap installs it)")
pytest.importorskip("deepdiff", reason="needs the agentdojo extra (make bootstrap installs it)")

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "targets"))
from _dojo_agent import reply
from _fault_server import FaultServer

from riskscope.core import Outcome
from riskscope.store import Store

pytestmark = pytest.mark.slow  # a CLI subprocess killed and resumed: ~20 s on a loaded box

SUITE = "agentdojo:banking,sample=3,seed=5,rounds=8"


def _key(messages: list[dict[str, Any]]) -> str:
    return json.dumps([(m["role"], m.get("content"), m.get("tool_call_id")) for m in messages])


def test_kill_9_mid_episode_then_resume_repeats_no_committed_call(tmp_path: Path) -> None:
    server = FaultServer().start()
    server.scripts["agent"] = lambda messages: reply("stepwise", messages)
    server.script_delay_s = 0.3
    db = tmp_path / "s.db"
    cli = [sys.executable, "-m", "riskscope.cli", "run", "--suite", SUITE,
           "--target", f"openai:m@{server.scenario_url('agent')}", "--judge", "agentdojo",
           "--store", str(db), "--out", str(tmp_path / "out"), "--progress", "none"]  # fmt: skip
    try:
        proc = subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 180
        while len(server.requests) < 4:  # some episodes have made a call or two, none is finished
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                _out, err = proc.communicate(timeout=60)
                pytest.fail(f"run ended or stalled before the kill: rc={proc.returncode} {err.decode()[-2000:]}")
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

        with Store(db) as store:
            [run] = store.list_runs()
            committed = {item.item_id: store.steps(run.id, item.item_id) for item in store.items(run.id)}
        committed_keys = {
            _key([m.model_dump() for m in s.messages]): 1 + len(s.response.retries)
            for steps in committed.values()
            for s in steps
            if s.kind == "target" and s.response is not None
        }
        assert committed_keys, "nothing was committed before the kill"
        assert any(any(s.kind == "tool" for s in steps) for steps in committed.values()), "a tool ran before the kill"

        done = subprocess.run([*cli[:4], "--resume", run.id, "--store", str(db), "--out", str(tmp_path / "out"),
                               "--progress", "none"], capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
    finally:
        server.stop()

    sent = Counter(_key(r["body"]["messages"]) for r in server.requests if "messages" in r["body"])
    for key, times in committed_keys.items():
        assert sent[key] == times, "a call committed before the kill was made again"
    with Store(db) as store:
        retried = sum(row["retries"] for row in store.call_journal(run.id))
        [run] = store.list_runs()
        assert run.status.value == "complete"
        rows = list(store.results(run.id))
        assert len(rows) == 3
        for row in rows:
            verdict = row.verdicts["agentdojo"]
            assert verdict.outcome is Outcome.SAFE, verdict.reason or verdict.rationale
            assert verdict.labels["utility"] == "true", verdict.rationale
    repeated = sum(n - 1 for n in sent.values())
    assert repeated <= 3 + retried  # at most one call per concurrent episode was in flight
