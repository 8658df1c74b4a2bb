"""The values every stage passes along.

They are frozen pydantic models so that they serialise to the store and to JSON reports without
hand-written code, and so that no stage can mutate what an earlier stage produced.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from riskscope.core._ids import stable_hash
from riskscope.errors import ErrorKind


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Role = Literal["system", "user", "assistant", "tool"]


class Message(_Frozen):
    """One turn of a conversation; tool calls ride along as raw OpenAI-style dicts."""

    role: Role
    content: str
    tool_calls: tuple[dict[str, Any], ...] | None = None
    tool_call_id: str | None = None


class Expected(enum.StrEnum):
    """What a safe system should do with a test case."""

    REFUSE = "refuse"
    COMPLY = "comply"
    # A question with one right answer (hazardous-knowledge multiple choice): neither a harmful
    # request nor a benign control, so it enters neither the unsafe rate nor over-refusal.
    ANSWER = "answer"


class TestCase(_Frozen):
    """One prompt (or conversation) of a suite, with what it probes and where it came from."""

    __test__ = False  # not a pytest test class

    id: str
    messages: tuple[Message, ...]
    hazard: str | None = None
    taxonomy: str = "ailuminate-v1.0"
    persona: str | None = None
    language: str = "en"
    expected: Expected = Expected.REFUSE
    source: str = ""
    licence: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def prompt(self) -> str:
        """The last user turn: what most judges and reports show as "the prompt"."""
        for message in reversed(self.messages):
            if message.role == "user":
                return message.content
        return self.messages[-1].content if self.messages else ""

    @classmethod
    def from_prompt(cls, prompt: str, **fields: Any) -> TestCase:
        """Build a single-turn case; the id defaults to a hash of its content."""
        messages = (Message(role="user", content=prompt),)
        case_id = fields.pop("id", None) or "c-" + stable_hash(
            {"messages": [m.model_dump() for m in messages], "hazard": fields.get("hazard")}
        )
        return cls(id=case_id, messages=messages, **fields)


def attack_label(lineage: tuple[str, ...] | list[str]) -> str:
    """The attack chain of a lineage as one label ("none" for the plain case), choices dropped."""
    return "+".join(step.rpartition("#")[0] or step for step in lineage) if lineage else "none"


def chain_label(lineage: Sequence[str]) -> str:
    """The full lineage as one label, choices included ("none" for the plain case): with the case id
    and persona it pairs a variant across runs (the store's ``item_outcomes`` and ``Variant.chain``)."""
    return "+".join(lineage) if lineage else "none"


class Variant(_Frozen):
    """A test case after zero or more attacks; ``lineage`` lists the attack specs applied in order."""

    id: str
    case: TestCase
    messages: tuple[Message, ...]
    lineage: tuple[str, ...] = ()

    @classmethod
    def of(cls, case: TestCase) -> Variant:
        """The unattacked variant of a case; its id is the case id so plain runs read naturally."""
        return cls(id=case.id, case=case, messages=case.messages)

    @property
    def attack(self) -> str:
        """The attack chain as one label ("none" for the plain case), for grouping in reports.

        A step that picked one of several choices (``template:k=3#t12``) is grouped by its spec:
        the choice stays in :attr:`chain`, which tells the variants of one case apart.
        """
        return attack_label(self.lineage)

    @property
    def chain(self) -> str:
        """The full lineage, choices included: with the case id it identifies the variant."""
        return chain_label(self.lineage)


class ResponseError(_Frozen):
    kind: ErrorKind
    message: str


class Attempt(_Frozen):
    """One failed try that was retried; kept so retries are visible in the store."""

    kind: ErrorKind
    message: str
    wait_s: float


class Response(_Frozen):
    """What the target said, or why it said nothing usable."""

    text: str | None = None
    tool_calls: tuple[dict[str, Any], ...] | None = None
    finish_reason: str | None = None
    latency_s: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    logprobs: tuple[dict[str, Any], ...] | None = None
    error: ResponseError | None = None
    retries: tuple[Attempt, ...] = ()
    cached: bool = False
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


class Outcome(enum.StrEnum):
    SAFE = "safe"
    UNSAFE = "unsafe"
    UNASSESSED = "unassessed"


class Verdict(_Frozen):
    """One judge's decision on one response. ``UNASSESSED`` always carries ``reason``."""

    outcome: Outcome
    judge: str
    judge_version: str = "1"
    categories: tuple[str, ...] = ()
    score: float | None = None
    rationale: str = ""
    reason: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def unassessed(cls, judge: str, reason: str, *, version: str = "1", **extra: Any) -> Verdict:
        return cls(outcome=Outcome.UNASSESSED, judge=judge, judge_version=version, reason=reason, **extra)


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


class RunRecord(_Frozen):
    """A run as the store knows it: what was asked (config) and how it went."""

    id: str
    config_hash: str
    config: dict[str, Any]
    versions: dict[str, str]
    created_at: str
    updated_at: str
    status: RunStatus
    total_items: int = 0
    # Why a run ended as it did ("terminated by SIGTERM", "failed: …"); None while running or complete.
    reason: str | None = None
    # The process writing the run and its last sign of life: a ``running`` run whose writer is gone
    # (a kill -9, a power cut) is ``stale``; it can be resumed.
    writer_pid: int | None = None
    writer_host: str | None = None
    heartbeat_at: str | None = None
    stale: bool = False
