"""The Judge extension point: one response in, one Verdict out (SAFE / UNSAFE / UNASSESSED).

A judge never sees a failed response as safe or unsafe: :func:`unassessable` turns a target error
or an empty answer into UNASSESSED with its reason, and every built-in judge calls it first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from riskscope.config import PluginSpec
from riskscope.core import NoOptions, Registry, Response, TestCase, Verdict

M = TypeVar("M", bound=BaseModel)


@runtime_checkable
class Judge(Protocol):
    name: str
    version: str

    async def judge(self, case: TestCase, response: Response) -> Verdict: ...


async def judge_many(judge: Judge, pairs: Sequence[tuple[TestCase, Response]]) -> list[Verdict]:
    """Batch entry point; judges with a faster batched path expose their own ``judge_many``."""
    batched = getattr(judge, "judge_many", None)
    if batched is not None:
        result: list[Verdict] = await batched(pairs)
        return result
    return [await judge.judge(case, response) for case, response in pairs]


JudgeFactory = Callable[[PluginSpec], Judge]

judges: Registry[JudgeFactory] = Registry(
    "judge",
    "riskscope.judges",
    builtin_modules=(
        "riskscope.judges.refusal",
        "riskscope.judges.embedded",
        "riskscope.judges.guards",
        "riskscope.judges.rubric",
        "riskscope.judges.ensemble",
        "riskscope.judges.mcq",
        "riskscope.judges.trajectory",
        "riskscope.judges.trajectory_rubric",
        "riskscope.judges.privacy_leak",
        "riskscope.judges.agentdojo",
        "riskscope.judges.toolemu_eval",
    ),
)


def judge(
    name: str, summary: str = "", *, options: type[BaseModel] = NoOptions
) -> Callable[[JudgeFactory], JudgeFactory]:
    """Register a judge factory under ``name`` (used as ``--judge NAME:ARG``)."""
    return judges.register(name, summary, options=options)


def judge_options(spec: PluginSpec, model: type[M]) -> M:
    """A built-in judge's options as its typed model (defaults and allowed values live in the model)."""
    return judges.read_options(spec.name, spec.options, model)


def build_judge(spec: PluginSpec) -> Judge:
    judges.check_options(spec.name, spec.options)  # unknown keys: one line naming plugin and key
    return judges.get(spec.name)(spec)


def unassessable(judge_name: str, version: str, response: Response) -> Verdict | None:
    """The UNASSESSED verdict for a response no judge may grade, or None if it can be graded."""
    if response.error is not None:
        return Verdict.unassessed(
            judge_name,
            f"target error ({response.error.kind}): {response.error.message}",
            version=version,
            labels={"error_kind": str(response.error.kind)},
        )
    if response.tool_calls:
        return None
    if response.text is None or not response.text.strip():
        return Verdict.unassessed(judge_name, "empty response", version=version, labels={"error_kind": "empty"})
    return None
