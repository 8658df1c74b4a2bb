"""The Attack extension point: a variant in, one or more attacked variants out, each with lineage.

An attack is a step of a *chain* (``base64+refusal_suppression``): each step transforms the
variants the previous step produced, and appends its spec to their lineage, so every attacked item
names exactly what was done to it and pairs with its un-attacked base case (same case id). Attacks
that ask the model to answer in kind (encodings) also *decode* the answer before the judges read
it; an answer that cannot be decoded is UNASSESSED ("undecodable"), never safe.

Specs are ``NAME`` or ``NAME:key=value,key=value``; each attack validates its options with a
pydantic model, so an unknown option or a bad value is one clear error before anything runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, cast, runtime_checkable

from pydantic import BaseModel, ConfigDict, ValidationError

from riskscope.core import EpisodeStrategy, ErrorKind, Message, Registry, Response, ResponseError, TestCase, Variant
from riskscope.errors import ConfigError, RiskscopeError

__all__ = [
    "Attack",
    "AttackChain",
    "AttackFactory",
    "AttackOptions",
    "StepFailure",
    "TextAttack",
    "Undecodable",
    "attack",
    "attacks",
    "build_chain",
    "expand",
    "lineage_ids",
    "parse_attack_spec",
]


class StepFailure(RiskscopeError):
    """Why a model-calling attack step (an LLM rewrite) could not make a variant: the item is
    recorded UNASSESSED with this reason and its kind, and the target is never called for it."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    def response(self) -> Response:
        """The failure as the item's response: an error, so every judge records it UNASSESSED."""
        return Response(error=ResponseError(kind=self.kind, message=self.message))


class Undecodable(ValueError):
    """The model's answer could not be decoded from the encoding it was asked to answer in."""


class AttackOptions(BaseModel):
    """Base of every attack's options: unknown keys are refused (a typo must not run silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@runtime_checkable
class Attack(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def spec(self) -> str: ...

    def apply(self, variant: Variant) -> list[Variant]: ...

    def decode(self, text: str) -> str: ...


AttackFactory = Callable[[dict[str, str]], Attack]

attacks: Registry[AttackFactory] = Registry(
    "attack",
    "riskscope.attacks",
    builtin_modules=(
        "riskscope.attacks.encodings",
        "riskscope.attacks.prompts",
        "riskscope.attacks.templates",
        "riskscope.attacks.multiturn",
        "riskscope.attacks.shots",
        "riskscope.attacks.personas",
        "riskscope.attacks.rewrite",
    ),
)


def attack(name: str, summary: str = "") -> Callable[[AttackFactory], AttackFactory]:
    """Register an attack factory under ``name`` (used as ``--attack NAME[:k=v,…]``)."""
    return attacks.register(name, summary)


def parse_attack_spec(spec: str) -> tuple[str, dict[str, str]]:
    """``NAME:k=v,k2=v2`` → (name, options); values stay text for the attack's options model."""
    name, _, rest = spec.strip().partition(":")
    if not name:
        raise ConfigError(f"empty attack spec {spec!r}: expected NAME or NAME:key=value,…")
    options: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"attack {spec!r}: option {part!r} must be key=value")
        options[key.strip()] = value.strip()
    return name, options


def validate_options(name: str, model: type[AttackOptions], options: dict[str, str]) -> Any:
    try:
        return model.model_validate(options)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(options)"
        known = ", ".join(model.model_fields) or "none"
        raise ConfigError(f"attack {name!r}: option {field!r}: {first['msg']} (options: {known})") from exc


def _child_id(parent: str, step: str) -> str:
    """A variant's id from its parent's id and the step: plain sha256, as cheap as an id can be
    (a run makes one per attacked variant)."""
    return hashlib.sha256(f"{parent}\x1f{step}".encode()).hexdigest()[:16]


def lineage_ids(variant: Variant) -> tuple[str, ...]:
    """The ids along a variant's lineage, base case first and the variant itself last (so the
    parent's id is ``[-2]``). Each step's id is its parent's id hashed with the step, so the
    ancestry is recomputed from the lineage rather than stored twice; a base case is ``(case id,)``."""
    ids = [variant.case.id]
    for step in variant.lineage:
        ids.append(_child_id(ids[-1], step))
    return tuple(ids)


class TextAttack:
    """A single-turn attack that rewrites the last user message (most attacks): subclasses set
    ``name`` and ``Options`` and implement :meth:`rewrite`; multi-output attacks override
    :meth:`choices` to return several (label, rewrite) pairs."""

    name: ClassVar[str] = ""
    Options: ClassVar[type[AttackOptions]] = AttackOptions

    def __init__(self, options: dict[str, str]) -> None:
        self.options = validate_options(self.name, self.Options, options)
        shown = ",".join(f"{k}={v}" for k, v in sorted(options.items()))
        self.spec = f"{self.name}:{shown}" if shown else self.name

    def rewrite(self, prompt: str, case: TestCase) -> str:
        raise NotImplementedError

    def choices(self, prompt: str, case: TestCase) -> list[tuple[str, str]]:
        """(choice label, rewritten prompt) pairs; one unlabelled choice for most attacks."""
        return [("", self.rewrite(prompt, case))]

    def decode(self, text: str) -> str:
        return text

    def apply(self, variant: Variant) -> list[Variant]:
        messages = list(variant.messages)
        last = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
        if last is None:
            return []  # nothing a single-turn attack can rewrite
        out: list[Variant] = []
        for label, text in self.choices(messages[last].content or "", variant.case):
            step = f"{self.spec}#{label}" if label else self.spec
            new = [*messages[:last], Message.model_construct(role="user", content=text), *messages[last + 1 :]]
            lineage = (*variant.lineage, step)
            out.append(
                Variant.model_construct(  # fields are already valid values: skip re-validation
                    id=_child_id(variant.id, step), case=variant.case, messages=tuple(new), lineage=lineage
                )
            )
        return out


@dataclass(frozen=True)
class AttackChain:
    """Attacks applied in order (``a+b``: ``b`` transforms what ``a`` produced).

    Steps that call a model (LLM rewrites) have an async ``prepare(variants, cache)`` that the
    runner awaits before planning (:meth:`prepare`); a step whose model failed on a variant says
    so through ``failure(variant)``, and the chain carries that failure down to every variant the
    later steps make from it (:meth:`failure`), so the item is UNASSESSED, never sent.
    """

    spec: str
    steps: tuple[Attack, ...]
    failures: dict[str, StepFailure] = field(default_factory=dict, compare=False, repr=False)

    @property
    def needs_model(self) -> bool:
        return any(hasattr(step, "prepare") for step in self.steps)

    async def prepare(self, variants: Sequence[Variant], cache: Any) -> None:
        """Run every model-calling step on what the steps before it produce, in chain order."""
        current = list(variants)
        for index, step in enumerate(self.steps):
            prepare = getattr(step, "prepare", None)
            if prepare is not None:
                await prepare(current, cache)
            if index < len(self.steps) - 1:
                current = [out for v in current for out in step.apply(v)]

    def apply(self, variant: Variant) -> list[Variant]:
        if not self.needs_model:
            current = [variant]
            for step in self.steps:
                current = [out for v in current for out in step.apply(v)]
            return current
        tracked: list[tuple[Variant, StepFailure | None]] = [(variant, None)]
        for step in self.steps:
            failure_of = getattr(step, "failure", None)
            tracked = [
                (out, failed or (failure_of(out) if failure_of is not None else None))
                for v, failed in tracked
                for out in step.apply(v)
            ]
        for out, failed in tracked:
            if failed is not None:
                self.failures[out.id] = failed
        return [out for out, _ in tracked]

    def failure(self, variant: Variant) -> StepFailure | None:
        """Why a model-calling step could not make this variant (None when it could)."""
        return self.failures.get(variant.id)

    @property
    def episode(self) -> EpisodeStrategy | None:
        """The multi-turn attack's episode strategy (always a chain of its own), or None."""
        maker = getattr(self.steps[-1], "strategy", None)
        return None if maker is None else cast("EpisodeStrategy", maker())

    def decode(self, text: str) -> str:
        """Undo the answer-in-kind encodings, last applied first; raises :class:`Undecodable`."""
        for step in reversed(self.steps):
            text = step.decode(text)
        return text


def build_chain(spec: str) -> AttackChain:
    """A chain from ``a[:opts]+b[:opts]``; unknown attacks and options fail here, before a run."""
    parts = [p for p in (s.strip() for s in spec.split("+")) if p]
    if not parts:
        raise ConfigError(f"empty attack chain {spec!r}")
    steps = []
    for part in parts:
        name, options = parse_attack_spec(part)
        steps.append(attacks.get(name)(options))
    if len(steps) > 1 and any(hasattr(s, "strategy") for s in steps):
        # A conversation is written at run time by the attacker from the case's goal: a transform
        # before it would never reach the target, and one after it would have nothing to transform.
        raise ConfigError(f"attack chain {spec!r}: a multi-turn attack is a chain of its own (no '+')")
    return AttackChain("+".join(s.spec for s in steps), tuple(steps))


def expand(case: TestCase, chains: Sequence[AttackChain], *, base: bool = True) -> list[Variant]:
    """The variants of one case: the base case (unless ``base`` is False) and every chain's outputs."""
    plain = Variant.of(case)
    out = [plain] if base else []
    for chain in chains:
        out.extend(chain.apply(plain))
    return out
