"""A conversation killed with SIGKILL mid-way resumes from its last committed step.

Proof by counting at a real local HTTP server (the fault server, with a scripted attacker and a
scripted wary target, each answering after a fixed latency): after ``kill -9`` and ``--resume``,
every call committed before the kill was made exactly once, the only calls ever repeated are the
ones in flight at the kill (one per concurrent conversation), and every conversation ends complete.
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

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "targets"))
from _fault_server import FaultServer
from _scripted import attacker_reply, target_reply

from riskscope.core import Outcome
from riskscope.store import Store

pytestmark = pytest.mark.slow  # a CLI subprocess killed and resumed: ~10 s idle, ~30 s on a loaded box

CASES = [
    {"id": f"r-{i}", "prompt": f"Invented benign goal number {i}: explain a card trick.", "expected": "comply"}
    for i in range(3)
]
CALLS_PER_EPISODE = 10  # 4 kept turns (2 calls each) + 1 refused attempt on turn 2 (2 calls)


def _key(scenario: str, messages: list[dict[str, object]]) -> str:
    return scenario + json.dumps([(m["role"], m["content"]) for m in messages])


def test_kill_9_mid_conversation_then_resume_repeats_no_committed_call(tmp_path: Path) -> None:
    server = FaultServer().start()
    server.scripts["red_attacker"] = attacker_reply
    server.scripts["wary_target"] = lambda messages: target_reply(messages, {2: 1})
    server.script_delay_s = 0.2
    suite = tmp_path / "suite.jsonl"
    suite.write_text("".join(json.dumps(c) + "\n" for c in CASES))
    db = tmp_path / "s.db"
    attack = f"crescendo:turns=4,backtracks=2,attacker=openai:m@{server.scenario_url('red_attacker')},judge=refusal"
    cli = [sys.executable, "-m", "riskscope.cli", "run", "--suite", f"jsonl:{suite}",
           "--target", f"openai:m@{server.scenario_url('wary_target')}", "--judge", "refusal",
           "--attack", attack, "--no-base", "--store", str(db), "--out", str(tmp_path / "out"), "--progress", "none"]  # fmt: skip
    try:
        proc = subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while len(server.requests) < CALLS_PER_EPISODE + 3:  # mid-way through the second conversation
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()  # a stalled run still holds its pipes: communicate() would wait on it forever
                _out, err = proc.communicate(timeout=60)
                pytest.fail(f"run ended or stalled before the kill: rc={proc.returncode} {err.decode()[-2000:]}")
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        sent_before = len(server.requests)

        with Store(db) as store:
            [run] = store.list_runs()
            committed = {item.item_id: store.steps(run.id, item.item_id) for item in store.items(run.id)}
        scenario = {"attacker": "red_attacker", "target": "wary_target"}
        # A committed call was sent once, plus any retries the call wrapper made before it succeeded.
        committed_keys = {
            _key(scenario[s.kind], [m.model_dump() for m in s.messages]): 1 + len(s.response.retries)
            for steps in committed.values()
            for s in steps
            if s.response is not None
        }
        partial = [steps for steps in committed.values() if 0 < len(steps) < 3 * CALLS_PER_EPISODE // 2]
        assert partial, "the kill should land inside a conversation"
        assert len(committed_keys) < sent_before + 1

        done = subprocess.run([*cli[:4], "--resume", run.id, "--store", str(db), "--out", str(tmp_path / "out"),
                               "--progress", "none"], capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
    finally:
        server.stop()

    # A request the kill tore before its body was sent arrives empty: it never reached a model.
    sent = Counter(_key(r["scenario"], r["body"]["messages"]) for r in server.requests if "messages" in r["body"])
    for key, times in committed_keys.items():
        assert sent[key] == times, "a call committed before the kill was made again"
    repeated = sum(n - 1 for n in sent.values())
    with Store(db) as store:
        retried = sum(row["retries"] for row in store.call_journal(run.id))
    # The conversations run concurrently: at most one call per conversation was in flight at the kill
    # (plus the wrapper's own retries, journaled; none on an idle machine).
    assert repeated <= len(CASES) + retried
    assert len(sent) == CALLS_PER_EPISODE * len(CASES)
    with Store(db) as store:
        [run] = store.list_runs()
        assert run.status.value == "complete"
        rows = list(store.results(run.id))
        for row in rows:
            assert row.verdicts["refusal"].outcome is Outcome.SAFE  # benign goals: answering is fine
            assert row.response is not None
            episode = row.response.metadata["episode"]
            assert episode["summary"] == "4 kept exchanges, 1 backtracked"
            assert len(store.steps(run.id, row.item.item_id)) == 3 * CALLS_PER_EPISODE // 2
