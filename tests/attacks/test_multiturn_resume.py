"""A conversation killed with SIGKILL mid-way resumes from its last committed step.

Proof by counting at a real local HTTP server (the fault server, with a scripted attacker and a
scripted wary target, each answering after a fixed latency): after ``kill -9`` and ``--resume``,
every call committed before the kill was made exactly once, the only calls ever repeated are the
ones in flight at the kill (one per concurrent conversation), and every conversation ends complete.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parents[1] / "targets"))
from _fault_server import FaultServer
from _scripted import attacker_reply, target_reply

from _kill_resume import assert_nothing_committed_repeated, committed_calls, kill_mid_run, resume
from riskscope.core import Outcome
from riskscope.store import Store

pytestmark = pytest.mark.slow  # a CLI subprocess killed and resumed: ~10 s idle, ~30 s on a loaded box

CASES = [
    {"id": f"r-{i}", "prompt": f"Invented benign goal number {i}: explain a card trick.", "expected": "comply"}
    for i in range(3)
]
CALLS_PER_EPISODE = 10  # 4 kept turns (2 calls each) + 1 refused attempt on turn 2 (2 calls)


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
        kill_mid_run(cli, server.requests, after=CALLS_PER_EPISODE + 3)  # mid-way through the second conversation
        sent_before = len(server.requests)
        run_id, committed, committed_keys = committed_calls(db, {"attacker": "red_attacker", "target": "wary_target"})
        partial = [steps for steps in committed.values() if 0 < len(steps) < 3 * CALLS_PER_EPISODE // 2]
        assert partial, "the kill should land inside a conversation"
        assert len(committed_keys) < sent_before + 1
        resume(cli, run_id, db, tmp_path / "out")
    finally:
        server.stop()

    # The conversations run concurrently: at most one call per conversation was in flight at the kill
    # (plus the wrapper's own retries, journaled; none on an idle machine).
    sent = assert_nothing_committed_repeated(server.requests, committed_keys, db, run_id, episodes=len(CASES))
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


PAIR_STREAMS, PAIR_DEPTH = 3, 3
PAIR_CALLS = PAIR_STREAMS * PAIR_DEPTH * 2  # every stream uses its rounds: no answer is unsafe


def _pair_attacker(messages: list[dict[str, object]]) -> str:
    """The scripted PAIR attacker, naming its goal: conversations of different cases send the target
    different prompts, so the server's count of each prompt is a count per conversation."""
    goal = re.search(r"do this: ([^\n]*)", str(messages[0]["content"]))
    return f"{attacker_reply(messages)} ({goal.group(1)[:40] if goal else 'no goal'})"


def test_kill_9_mid_pair_streams_then_resume_repeats_no_committed_call(tmp_path: Path) -> None:
    """PAIR's parallel streams: each stream's steps are committed as they land, so a kill loses at
    most the calls in flight (one per stream of each conversation) and resume repeats no other."""
    server = FaultServer().start()
    server.scripts["red_attacker"] = _pair_attacker
    server.scripts["wary_target"] = lambda messages: target_reply(messages, {})
    server.script_delay_s = 0.2
    suite = tmp_path / "suite.jsonl"
    suite.write_text("".join(json.dumps(c) + "\n" for c in CASES))
    db = tmp_path / "s.db"
    attack = (
        f"pair:streams={PAIR_STREAMS},depth={PAIR_DEPTH},"
        f"attacker=openai:m@{server.scenario_url('red_attacker')},judge=refusal"
    )
    cli = [sys.executable, "-m", "riskscope.cli", "run", "--suite", f"jsonl:{suite}",
           "--target", f"openai:m@{server.scenario_url('wary_target')}", "--judge", "refusal",
           "--attack", attack, "--no-base", "--store", str(db), "--out", str(tmp_path / "out"), "--progress", "none"]  # fmt: skip
    full = PAIR_CALLS * 3 // 2  # steps of a whole conversation: attacker, target, score per round
    try:
        kill_mid_run(cli, server.requests, after=PAIR_CALLS + 4)  # past the first conversation's worth of calls
        run_id, committed, committed_keys = committed_calls(db, {"attacker": "red_attacker", "target": "wary_target"})
        assert any(0 < len(steps) < full for steps in committed.values()), "the kill should land mid-way"
        resume(cli, run_id, db, tmp_path / "out")
    finally:
        server.stop()

    # At most one call per stream of each conversation was in flight at the kill.
    sent = assert_nothing_committed_repeated(
        server.requests, committed_keys, db, run_id, episodes=PAIR_STREAMS * len(CASES)
    )
    assert len(sent) == PAIR_CALLS * len(CASES)
    with Store(db) as store:
        [run] = store.list_runs()
        assert run.status.value == "complete"
        for row in store.results(run.id):
            assert row.response is not None and row.verdicts["refusal"].outcome is Outcome.SAFE
            summary = row.response.metadata["episode"]["summary"]
            assert summary.startswith(f"{PAIR_STREAMS} streams, {PAIR_STREAMS * PAIR_DEPTH} attempts")
            steps = store.steps(run.id, row.item.item_id)
            assert len(steps) == full and sorted({s.note["stream"] for s in steps}) == [0, 1, 2]
