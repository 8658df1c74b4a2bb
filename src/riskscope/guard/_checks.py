"""One check of a request or an answer: every judge of one side, concurrently, into one action.

A judge that raises, times out or answers UNASSESSED has not cleared the text: its verdict is
UNASSESSED with the reason, and the policy's ``on_judge_error`` decides (block by default: the
guard fails closed). UNSAFE from any judge triggers ``on_unsafe``; the strongest action wins.

Judges grade a (case, response) pair. The output check hands them the conversation as the case and
the answer (or a window of it) as the response, exactly as in a run. The input check has no
answer yet, so it hands them the user's last message as the text to grade: a judge is asked
whether that text itself delivers harm, which is what Llama Guard's prompt classification asks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from riskscope.config import PluginSpec, spec_label
from riskscope.core import Message, Outcome, Response, TestCase, Verdict
from riskscope.guard.policy import Action, GuardPolicy
from riskscope.judges import Judge, build_judge

__all__ = ["CheckResult", "JudgePool", "case_of", "run_check"]


@dataclass(frozen=True)
class CheckResult:
    """The verdicts of one side's judges on one text, and what they make the proxy do."""

    stage: str
    action: Action
    verdicts: tuple[Verdict, ...]
    latency_s: float

    def summary(self) -> list[dict[str, Any]]:
        """The verdicts as the decision log keeps them (no rationale: it may quote model text)."""
        rows = []
        for v in self.verdicts:
            row: dict[str, Any] = {"stage": self.stage, "judge": v.judge, "outcome": v.outcome.value}
            if v.reason:
                row["reason"] = v.reason[:300]
            if v.categories:
                row["categories"] = list(v.categories)
            if v.score is not None:
                row["score"] = v.score
            rows.append(row)
        return rows


class JudgePool:
    """The judges of every policy, built once at start-up through the judge registry (so a bad spec
    fails before the proxy listens) and shared between policies naming the same spec."""

    def __init__(self, specs: Sequence[PluginSpec]) -> None:
        self._judges: dict[str, Judge] = {}
        for spec in specs:
            key = self.key(spec)
            if key not in self._judges:
                self._judges[key] = build_judge(spec)

    @staticmethod
    def key(spec: PluginSpec) -> str:
        return spec.model_dump_json()

    def get(self, spec: PluginSpec) -> Judge:
        return self._judges[self.key(spec)]

    async def aclose(self) -> None:
        for judge in self._judges.values():
            close = getattr(judge, "aclose", None)
            if close is not None:
                await close()


def case_of(messages: Sequence[Message], request_hash: str) -> TestCase:
    """The conversation as a test case; the proxy does not know the hazard, so none is set."""
    return TestCase(id=f"guard-{request_hash}", messages=tuple(messages), source="guard")


async def _one(judge: Judge, spec: PluginSpec, case: TestCase, text: str, timeout_s: float) -> Verdict:
    name = spec_label(spec)
    try:
        return await asyncio.wait_for(judge.judge(case, Response(text=text)), timeout=timeout_s)
    except TimeoutError:
        return Verdict.unassessed(name, f"judge timed out after {timeout_s:g} s", labels={"error_kind": "timeout"})
    except Exception as exc:  # any judge failure is an unchecked text, never a pass
        return Verdict.unassessed(name, f"judge raised {type(exc).__name__}: {exc}"[:300])


async def run_check(
    stage: str, specs: Sequence[PluginSpec], pool: JudgePool, policy: GuardPolicy, case: TestCase, text: str
) -> CheckResult:
    """All of one side's judges on ``text``, at once; the strongest action their verdicts call for."""
    started = time.perf_counter()
    if not specs or not text.strip():  # nothing to judge is nothing to leak (blank text, no judges)
        return CheckResult(stage, Action.PASS, (), 0.0)
    verdicts = await asyncio.gather(*(_one(pool.get(spec), spec, case, text, policy.judge_timeout_s) for spec in specs))
    action = Action.PASS
    for verdict in verdicts:
        if verdict.outcome is Outcome.UNSAFE:
            wanted = policy.on_unsafe
        elif verdict.outcome is Outcome.UNASSESSED:
            wanted = policy.on_judge_error
        else:
            continue
        if wanted.severity > action.severity:
            action = wanted
    return CheckResult(stage, action, tuple(verdicts), time.perf_counter() - started)
