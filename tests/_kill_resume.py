"""Kill -9 a CLI run mid-episode, then prove by counting at the server that resume repeats nothing.

Shared by the episode kill-and-resume tests (multi-turn attacks, agents): each starts the CLI
against a FaultServer with scripted partners, and the proof is the same arithmetic on what went
over the wire versus what the store had committed at the kill.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from riskscope.core import Step
from riskscope.store import Store

Key = Callable[[str, list[dict[str, Any]]], str]


def content_key(scenario: str, messages: list[dict[str, Any]]) -> str:
    """A call's identity at the server: its scenario and its messages (role, content, tool call id)."""
    return scenario + json.dumps([(m["role"], m.get("content"), m.get("tool_call_id")) for m in messages])


def kill_mid_run(cli: Sequence[str], requests: list[dict[str, Any]], after: int, timeout_s: float = 120) -> None:
    """Start ``cli``, SIGKILL it once the server has seen ``after`` requests; a run that ends or
    stalls before that is a test failure (never a hang: the child is killed before its pipes are read)."""
    proc = subprocess.Popen(list(cli), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout_s
    while len(requests) < after:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()  # a stalled run still holds its pipes: communicate() would wait on it forever
            _out, err = proc.communicate(timeout=60)
            pytest.fail(f"run ended or stalled before the kill: rc={proc.returncode} {err.decode()[-2000:]}")
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def committed_calls(
    db: Path, scenario_of_kind: Mapping[str, str], key: Key = content_key
) -> tuple[str, dict[str, list[Step]], dict[str, int]]:
    """The killed run's id, its committed steps per item, and how many times each committed call was
    sent (once, plus any retries the call wrapper made before it succeeded)."""
    with Store(db) as store:
        [run] = store.list_runs()
        committed = {item.item_id: store.steps(run.id, item.item_id) for item in store.items(run.id)}
    keys = {
        key(scenario_of_kind[s.kind], [m.model_dump() for m in s.messages]): 1 + len(s.response.retries)
        for steps in committed.values()
        for s in steps
        if s.response is not None
    }
    return run.id, committed, keys


def resume(cli: Sequence[str], run_id: str, db: Path, out: Path) -> None:
    """``riskscope run --resume RUN`` with no other run flags; it must finish cleanly."""
    done = subprocess.run([*cli[:4], "--resume", run_id, "--store", str(db), "--out", str(out),
                           "--progress", "none"], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr


def assert_nothing_committed_repeated(
    requests: list[dict[str, Any]], committed: Mapping[str, int], db: Path, run_id: str, episodes: int,
    key: Key = content_key,
) -> Counter[str]:
    """Every committed call was sent exactly as often as committed; the only repeats are the calls in
    flight at the kill (one per concurrent episode, plus journaled retries). Returns the sent counts."""
    # A request the kill tore before its body was sent arrives empty: it never reached a model.
    sent = Counter(key(r["scenario"], r["body"]["messages"]) for r in requests if "messages" in r["body"])
    for call, times in committed.items():
        assert sent[call] == times, "a call committed before the kill was made again"
    with Store(db) as store:
        retried = sum(row["retries"] for row in store.call_journal(run_id))
    assert sum(n - 1 for n in sent.values()) <= episodes + retried
    return sent
