"""The episode loop: the runner's side of a multi-step item (see ``riskscope.core._episodes``).

The strategy decides; this loop does: every model call (target or attacker) goes through the
targets' one call wrapper (limits, retries, redaction), every judge call is guarded, and every step
is committed to the store as it completes. Resume is "read the committed steps, ask the strategy
again": a committed call is never repeated, because the strategy is a pure function of the steps.

How an episode can end:

- the strategy ends it: the answer it names (with the transcript it replied to) is cached under the
  item's key and judged like any answer;
- a target call fails after its retries: that failed response is the answer, so the judges make the
  item UNASSESSED with the target error, as for a single-turn item;
- an attacker call, a tool emulator call or a strategy judge fails: the item is UNASSESSED with
  that reason. Never "attack failed", never "safe": nothing was learnt about the target.

A strategy with parallel streams (PAIR's ``streams=N``) has ``next_steps``: one request per live
stream, sent at once and committed one by one as they land (each takes the next free step index
then; the stream is in the step's note). The episode waits for the whole batch before asking the
strategy again, and ends UNASSESSED if any of them failed, after committing the ones that landed.

A ``tool`` step (an agent episode's) either carries its observation already (the strategy's
environment computed it, or answered a malformed call with an error: no model call, nothing
journaled) or asks the strategy's second model, the tool emulator, to write it (a model call like
an attacker's, decoded greedily so a rerun emulates the same world). Either way the observation is
committed as a step, so a finished episode replays exactly and resume repeats no call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError

from riskscope.config import Decoding, PluginSpec, TargetConfig
from riskscope.core import (
    EpisodeEnd,
    EpisodeJudge,
    EpisodeStrategy,
    Message,
    Outcome,
    Response,
    Step,
    StepRequest,
    Verdict,
    canonical_json,
    stable_hash,
)
from riskscope.errors import ConfigError
from riskscope.store import ItemRow
from riskscope.targets import AdaptiveLimiter, Redactor, RetryPolicy, Target, build_target, call_target, targets

__all__ = ["ATTACKER_DECODING", "MAX_STEPS", "EpisodeRunner", "ModelSlot", "StepSink", "check_strategy"]

MAX_STEPS = 400
"""A bound on any one episode's steps, whatever a (third-party) strategy does: a loop is a bug."""
ATTACKER_DECODING = Decoding(max_tokens=120, temperature=0.7, seed=0)
"""Attacker turns are sampled (a greedy small attacker repeats itself) but seeded, so a rerun of the
same conversation asks the same questions."""
TOOL_DECODING = Decoding(max_tokens=200, temperature=0.0, seed=0)
"""A tool emulator's decoding: greedy, so the same call in the same episode gets the same observation."""
_SHOWN_CHARS = 2000


class StepSink(Protocol):
    """Where an episode's steps come from and go to: the store itself in a local run, or (on a Ray
    worker) a stream that hands each step to the driver, the store's single writer, as it lands.
    The episode loop is the same either way; only where a step is committed differs."""

    def steps(self, run_id: str, item_id: str) -> list[Step]: ...

    def put_step(self, run_id: str, item_id: str, step: Step) -> None: ...

    def journal_failed_step(self, run_id: str, item_id: str, cache_key: str, response: Response) -> None: ...

    def put_episode_result(self, cache_key: str, response: Response) -> None: ...


@dataclass
class ModelSlot:
    """One model the episodes call (the target, an attacker) with its own wrapper settings."""

    target: Target
    config: TargetConfig
    limiter: AdaptiveLimiter
    owned: bool = False

    def __post_init__(self) -> None:
        self.identity: dict[str, Any] = self.config.cache_identity()
        self._policy = RetryPolicy(max_retries=self.config.max_retries)
        self._redact = Redactor.for_target(self.config)
        # The runner's backstop, for every target kind: an attempt that overruns its timeouts ends
        # as TIMEOUT on time even when the provider cannot be interrupted.
        self._deadline_s = self.config.connect_timeout_s + 2 * self.config.read_timeout_s + 1.0

    async def call(
        self, messages: tuple[Message, ...], decoding: Decoding, tools: tuple[dict[str, Any], ...] = ()
    ) -> Response:
        return await call_target(
            self.target,
            messages,
            decoding,
            self.limiter,
            self._policy,
            redact=self._redact,
            deadline_s=self._deadline_s,
            tools=tools,
        )


def check_strategy(strategy: EpisodeStrategy, judge_exists: Callable[[str], object]) -> None:
    """Fail before a run exists when a strategy names an unknown attacker target or judge (or a bad
    option of one): one clean line, not a run that fails on its first conversation."""
    spec = strategy.attacker_spec()
    if spec is not None:
        config = _attacker_config(spec, strategy.spec)
        targets.check_options(config.name, config.options)
        targets.get(config.name)
    for judge_spec in strategy.judge_specs().values():
        judge_exists(PluginSpec.parse(judge_spec).name)


def _attacker_config(spec: str | dict[str, Any], strategy: str) -> TargetConfig:
    try:
        return TargetConfig.parse(spec)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"{strategy}: attacker {first.get('loc', ())}: {first['msg']}") from exc


def _is_call(request: StepRequest) -> bool:
    """Does this step call a model? A tool step only when it asks the emulator."""
    return request.kind in ("target", "attacker") or (request.kind == "tool" and bool(request.messages))


def _wire(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json", exclude_none=True) for m in messages]


def _shown(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…"


def _step_summary(step: Step) -> dict[str, Any]:
    """What a report shows of a step: who spoke and what, or what the judges scored."""
    out: dict[str, Any] = {"index": step.index, "kind": step.kind, "note": step.note}
    if step.kind == "tool":
        for key in ("tool", "arguments", "malformed"):
            if key in step.note:
                out[key] = step.note[key]
        out["observation"] = _shown(step.text or str(step.note.get("observation", "")))
    elif step.kind == "score":
        out["about"] = step.about
        out["scores"] = {
            name: {"outcome": str(v.outcome), "score": v.score, "refusal": v.labels.get("refusal")}
            for name, v in step.verdicts.items()
        }
    else:
        out["sent"] = _shown(step.messages[-1].content if step.messages else "")
        out["answer"] = _shown(step.text)
        if step.response is not None and step.response.tool_calls:
            out["tool_calls"] = list(step.response.tool_calls)
    return out


@dataclass
class EpisodeRunner:
    """Runs the episodes of one run invocation; built once, shared by the workers."""

    store: StepSink
    run_id: str
    target: ModelSlot
    decoding: Decoding
    judges: dict[str, EpisodeJudge]
    attackers: dict[str, ModelSlot] = field(default_factory=dict)
    built_judges: list[EpisodeJudge] = field(default_factory=list)
    replayed: int = 0
    before_call: Callable[[], Awaitable[None]] | None = None
    """Awaited before each model call: on a Ray worker, until the driver has committed every step so
    far, so a lost driver costs at most the call in flight (as a local kill -9 does)."""

    def attacker(self, spec: str | dict[str, Any], strategy: str) -> ModelSlot:
        """The attacker model for a spec: the run's own target object when it is the same model
        (one embedded model loaded once, one limiter), else built once and shared by every episode."""
        key = spec if isinstance(spec, str) else canonical_json(spec)
        slot = self.attackers.get(key)
        if slot is None:
            config = _attacker_config(spec, strategy)
            if config.cache_identity() == self.target.identity:
                slot = self.target
            else:
                slot = ModelSlot(build_target(config), config, AdaptiveLimiter(config.concurrency), owned=True)
            self.attackers[key] = slot
        return slot

    def judge(self, spec: str, build: Callable[[PluginSpec], EpisodeJudge]) -> EpisodeJudge:
        found = self.judges.get(spec)
        if found is None:
            found = self.judges[spec] = build(PluginSpec.parse(spec))
            self.built_judges.append(found)
        return found

    async def aclose(self) -> None:
        for slot in {id(s): s for s in self.attackers.values()}.values():
            if slot.owned:
                await slot.target.aclose()
        for built in self.built_judges:  # a model judge holds an HTTP client to its server
            closer = getattr(built, "aclose", None)
            if closer is not None:
                await closer()

    async def run(
        self, item: ItemRow, strategy: EpisodeStrategy, build_judge: Callable[[PluginSpec], EpisodeJudge]
    ) -> tuple[Response | str, int]:
        """Play (or resume) one episode: its answer, a failed target response, or why it is UNASSESSED;
        and how many model calls this invocation made for it."""
        case = item.variant.case
        opening = item.variant.messages
        steps = self.store.steps(self.run_id, item.item_id)
        self.replayed += len(steps)
        calls = 0
        batch = getattr(strategy, "next_steps", None)  # a strategy with parallel streams (PAIR's)
        while True:
            found = batch(case, opening, steps) if callable(batch) else strategy.next_step(case, opening, steps)
            if isinstance(found, EpisodeEnd):
                return self._end(item, strategy, steps, found), calls
            if len(steps) >= MAX_STEPS:
                return f"episode stopped after {MAX_STEPS} steps without ending ({strategy.spec})", calls
            requests: tuple[StepRequest, ...] = (found,) if isinstance(found, StepRequest) else tuple(found)
            calls += sum(_is_call(r) for r in requests)
            if len(requests) == 1:
                done = await self._perform(item, strategy, steps, requests[0], build_judge)
                if not isinstance(done, Step):
                    return done, calls
                self.store.put_step(self.run_id, item.item_id, done)
                steps.append(done)
                continue
            outcomes = await asyncio.gather(*(self._commit(item, strategy, steps, r, build_judge) for r in requests))
            failed = next((o for o in outcomes if not isinstance(o, Step)), None)
            if failed is not None:
                return failed, calls

    async def _commit(
        self,
        item: ItemRow,
        strategy: EpisodeStrategy,
        steps: list[Step],
        request: StepRequest,
        build_judge: Callable[[PluginSpec], EpisodeJudge],
    ) -> Step | Response | str:
        """One of several concurrent steps, committed the moment it lands. Its index is the next
        free one *then* (steps land in any order); the strategy reads streams back from the steps'
        notes, so resume needs no particular order, and a step in flight at a crash is the only
        call ever repeated."""
        done = await self._perform(item, strategy, steps, request, build_judge)
        if isinstance(done, Step):
            done = done.model_copy(update={"index": len(steps)})
            self.store.put_step(self.run_id, item.item_id, done)
            steps.append(done)
        return done

    async def _perform(
        self,
        item: ItemRow,
        strategy: EpisodeStrategy,
        steps: list[Step],
        request: StepRequest,
        build_judge: Callable[[PluginSpec], EpisodeJudge],
    ) -> Step | Response | str:
        index = len(steps)
        if request.kind == "score":
            return await self._score(item, strategy, steps, request, build_judge)
        if request.kind == "tool" and not request.messages:  # the observation is already known
            if "observation" not in request.note:
                return f"{strategy.spec} asked for a tool step with neither an emulator prompt nor an observation"
            return Step(index=index, kind="tool", note=request.note)
        if request.kind in ("attacker", "tool"):
            spec = strategy.attacker_spec()
            if spec is None:
                return f"{strategy.spec} asked for a {request.kind} model step but names no model for it"
            slot = self.attacker(spec, strategy.spec)
            decoding = ATTACKER_DECODING if request.kind == "attacker" else TOOL_DECODING
            if request.max_tokens is not None:
                decoding = decoding.model_copy(update={"max_tokens": request.max_tokens})
        else:
            slot, decoding = self.target, self.decoding
        keyed: dict[str, Any] = {
            "target": slot.identity,
            "messages": _wire(request.messages),
            "decoding": decoding.model_dump(mode="json"),
        }
        tools = request.tools if request.kind == "target" else ()
        if tools:  # only then: the keys of steps without tools stay as they were
            keyed["tools"] = list(tools)
        key = stable_hash(keyed, 32)
        if self.before_call is not None:
            await self.before_call()
        response = await slot.call(request.messages, decoding, tools)
        if not response.ok:
            self.store.journal_failed_step(self.run_id, item.item_id, key, response)
            error = response.error
            if request.kind != "target":
                what = "no answer" if error is None else f"{error.kind}: {error.message}"
                # A strategy may name its second model's role (a simulated user's turns are attacker steps).
                role = str(request.note.get("role", "attacker")) if request.kind == "attacker" else "tool emulator"
                return f"{role} error at step {index} ({what})"
            return response  # the target's own failure: judged UNASSESSED like a single-turn one
        return Step(
            index=index,
            kind=request.kind,
            messages=request.messages,
            cache_key=key,
            response=response,
            note=request.note,
        )

    async def _score(
        self,
        item: ItemRow,
        strategy: EpisodeStrategy,
        steps: list[Step],
        request: StepRequest,
        build_judge: Callable[[PluginSpec], EpisodeJudge],
    ) -> Step | str:
        answer = (
            steps[request.about].response if request.about is not None and 0 <= request.about < len(steps) else None
        )
        if answer is None:
            return f"{strategy.spec} asked to score step {request.about}, which has no answer"
        specs = strategy.judge_specs()
        judged = item.variant.case.model_copy(update={"messages": request.messages})
        verdicts: dict[str, Verdict] = {}
        for name in request.judges:
            spec = specs.get(name)
            if spec is None:
                return f"{strategy.spec} asked for judge {name!r}, which it does not name"
            same = next((verdicts[n] for n in verdicts if specs.get(n) == spec), None)
            if same is not None:  # two roles, one judge (crescendo:judge=refusal): judged once
                verdicts[name] = same
                continue
            try:
                verdict = await self.judge(spec, build_judge).judge(judged, answer)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a judge failure is UNASSESSED, never a crash and never "attack failed"
                return f"judge {spec} failed at step {request.about}: {type(exc).__name__}: {exc}"
            if verdict.outcome is Outcome.UNASSESSED:
                return f"judge {spec} could not score step {request.about}: {verdict.reason}"
            verdicts[name] = verdict
        return Step(
            index=len(steps),
            kind="score",
            messages=request.messages,
            about=request.about,
            verdicts=verdicts,
            note=request.note,
        )

    def _end(self, item: ItemRow, strategy: EpisodeStrategy, steps: list[Step], end: EpisodeEnd) -> Response | str:
        if end.unassessed is not None:
            return f"{strategy.spec}: {end.unassessed}"
        answer = steps[end.answer].response if 0 <= end.answer < len(steps) else None
        if answer is None:
            return f"{strategy.spec} ended on step {end.answer}, which has no answer"
        episode = {
            "strategy": strategy.spec,
            "summary": end.summary,
            "answer_step": end.answer,
            "steps": len(steps),
            "model_calls": sum(1 for s in steps if s.response is not None),
            # Every model call's tokens (attacker's too): what the attack cost, for cost per success.
            "tokens": sum(
                (s.response.prompt_tokens or 0) + (s.response.completion_tokens or 0)
                for s in steps
                if s.response is not None
            ),
            "transcript": _wire(end.transcript),
            "turns": [_step_summary(s) for s in steps],
        }
        result = answer.model_copy(update={"metadata": {**answer.metadata, "episode": episode}})
        self.store.put_episode_result(item.cache_key, result)
        return result
