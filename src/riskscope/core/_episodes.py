"""Episodes: an item is a sequence of steps ending in a transcript the judges read.

A single-turn item is an episode of one step (the target call). A multi-turn attack adds attacker
steps and judge-score steps; an agent episode adds tool steps (one per tool call: an observation
the environment computed, or one an emulator model wrote). The *runner* owns the loop and
every I/O (model calls through the targets' one wrapper, judge calls, commits); a
:class:`EpisodeStrategy` only decides the next step from the steps so far. Keeping strategies pure
functions of the committed steps is what makes resume exact: the runner replays the committed steps
from the store, asks the strategy again, and continues without repeating a committed call.

The judge a strategy needs (to back off on a refusal, or to let a score steer an attacker) is passed
in as an :class:`EpisodeJudge`: judges sit above attacks in the import order, so a strategy never
imports one; any registered judge satisfies this Protocol structurally.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from riskscope.core._types import Message, Response, TestCase, Verdict

__all__ = ["EpisodeEnd", "EpisodeJudge", "EpisodeStrategy", "PlainStrategy", "Step", "StepKind", "StepRequest"]

StepKind = Literal["target", "attacker", "score", "tool"]
"""What a step does: call the system under test, call the attacker model, have judges score
a target step's answer (``StepRequest.about``), or answer a tool call: with ``messages`` the
strategy's second model (a tool emulator) writes the observation, without them the observation is
already in ``note["observation"]`` (computed by the strategy's environment, no model call)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StepRequest(_Frozen):
    """What a strategy wants done next.

    ``messages`` is the conversation sent to the model (target or attacker); for a ``score`` step it is
    the conversation the scored answer replied to, and ``judges`` names which of the strategy's judges
    score it. ``note`` is the strategy's own bookkeeping (turn number, kept or backtracked), stored
    with the step so the strategy can read it back on resume.
    """

    kind: StepKind
    messages: tuple[Message, ...] = ()
    about: int | None = None
    judges: tuple[str, ...] = ()
    max_tokens: int | None = None
    """An attacker step's answer length (the runner's attacker decoding otherwise)."""
    tools: tuple[dict[str, Any], ...] = ()
    """A target step's tool definitions (OpenAI ``tools`` entries), sent with that request only."""
    note: dict[str, Any] = Field(default_factory=dict)


class Step(_Frozen):
    """A committed step: the request, and the answer or the verdicts it got."""

    index: int
    kind: StepKind
    messages: tuple[Message, ...] = ()
    about: int | None = None
    cache_key: str = ""
    response: Response | None = None
    verdicts: dict[str, Verdict] = Field(default_factory=dict)
    note: dict[str, Any] = Field(default_factory=dict)

    @property
    def text(self) -> str:
        return "" if self.response is None or self.response.text is None else self.response.text


class EpisodeEnd(_Frozen):
    """The strategy is done: ``answer`` is the index of the target step whose answer the judges
    read, after ``transcript`` (the conversation that answer replied to, as the target saw it)."""

    answer: int
    transcript: tuple[Message, ...]
    summary: str = ""
    unassessed: str | None = None
    """Set when the strategy cannot go on (an attacker turn with nothing usable): the item is UNASSESSED."""


@runtime_checkable
class EpisodeJudge(Protocol):
    """The judge shape a strategy needs; every registered judge has it."""

    name: str
    version: str

    async def judge(self, case: TestCase, response: Response) -> Verdict: ...


@runtime_checkable
class EpisodeStrategy(Protocol):
    """Decides the next step of an episode from its committed steps (a pure function of them)."""

    @property
    def spec(self) -> str: ...

    def judge_specs(self) -> dict[str, str]:
        """The judges this strategy scores with, by the name its score steps use (name -> judge spec)."""
        ...

    def attacker_spec(self) -> str | dict[str, Any] | None:
        """The attacker model: a target spec (``openai:m@URL``), a target config mapping (to name an
        ``api_key_env``), or None when the strategy needs no attacker."""
        ...

    def next_step(
        self, case: TestCase, opening: tuple[Message, ...], steps: Sequence[Step]
    ) -> StepRequest | EpisodeEnd:
        """The next request, or the end; ``opening`` is the case's messages as planned (persona included)."""
        ...


class PlainStrategy:
    """The one-step episode: send the case as planned, end on its answer.

    The runner keeps a fast path for plain items (their one step is the item's response row, as it
    always was), and this strategy is what that path is: played through the episode loop it makes
    the same request under the same cache key (tests/runner/test_episodes.py checks it).
    """

    spec = "plain"

    def judge_specs(self) -> dict[str, str]:
        return {}

    def attacker_spec(self) -> str | None:
        return None

    def next_step(
        self, case: TestCase, opening: tuple[Message, ...], steps: Sequence[Step]
    ) -> StepRequest | EpisodeEnd:
        if not steps:
            return StepRequest(kind="target", messages=opening)
        return EpisodeEnd(answer=0, transcript=opening)
