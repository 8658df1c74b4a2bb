"""The guard's policy file: which judges check the input and the output, and what a verdict does.

A policy file holds several named policies and names the default one; a request picks another
with the ``X-Riskscope-Policy`` header or a ``safety_config`` body field (CoSA's per-request safety
config, here naming a policy). It is validated once, at start-up, with unknown keys rejected, and
a bad file fails with one line naming the file, the line and the field::

    default: standard
    policies:
      standard:
        input_judges: [embedded]
        output_judges: ["llama-guard-4:guard@http://127.0.0.1:8081/v1"]
        on_unsafe: block            # block | flag | pass
        on_judge_error: block       # block | pass: an error or timeout fails closed by default
        refusal_message: "I can't help with that."
        judge_timeout_s: 10
        stream: {chunk_chars: 200, overlap_chars: 64}
      audit:
        output_judges: [embedded]
        on_unsafe: flag

A judge is any riskscope judge spec (a string such as ``embedded`` or a mapping with ``name``,
``arg`` and ``options``), built through the judge registry as ``riskscope run`` builds it.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from riskscope.config import PluginSpec, read_yaml_mapping, spec_label, yaml_line
from riskscope.errors import ConfigError

__all__ = ["DEFAULT_REFUSAL", "Action", "GuardPolicy", "PolicyFile", "StreamSettings", "load_policies"]

DEFAULT_REFUSAL = "I can't help with that request."


class Action(enum.StrEnum):
    """What a check's verdicts do to the request; a stronger action wins (block > flag > pass)."""

    PASS = "pass"  # noqa: S105 - an action, not a password
    FLAG = "flag"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        return {"pass": 0, "flag": 1, "block": 2}[self.value]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StreamSettings(_Strict):
    """How a streamed answer is checked: held back and judged ``chunk_chars`` at a time, each window
    starting ``overlap_chars`` back into the text already released, so text cut at a chunk
    boundary is judged whole in the next window (an overlap of at least len(phrase) - 1 means a
    phrase the judge blocks never reaches the client whole)."""

    chunk_chars: int = Field(default=200, ge=1, le=100_000)
    overlap_chars: int = Field(default=64, ge=0, le=100_000)


class GuardPolicy(_Strict):
    """One named policy. With no judges on a side that side is not checked."""

    input_judges: tuple[PluginSpec, ...] = ()
    output_judges: tuple[PluginSpec, ...] = ()
    on_unsafe: Action = Action.BLOCK
    on_judge_error: Action = Action.BLOCK
    refusal_message: str = Field(default=DEFAULT_REFUSAL, min_length=1, max_length=4000)
    judge_timeout_s: float = Field(default=30.0, gt=0, le=3600, allow_inf_nan=False)
    stream: StreamSettings = StreamSettings()

    @field_validator("input_judges", "output_judges", mode="before")
    @classmethod
    def _specs(cls, value: Any) -> Any:
        if isinstance(value, str | dict):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ValueError(f"expected a judge spec or a list of them, got {type(value).__name__}")
        specs = []
        for item in value:
            if not isinstance(item, str | dict | PluginSpec):
                raise ValueError(f"a judge is a spec string or a mapping, got {type(item).__name__}")
            specs.append(PluginSpec.parse(item))
        return tuple(specs)

    @field_validator("on_judge_error")
    @classmethod
    def _error_is_block_or_pass(cls, value: Action) -> Action:
        if value is Action.FLAG:
            raise ValueError("on_judge_error must be block or pass (an unchecked answer cannot be 'flagged' safe)")
        return value

    def judge_labels(self) -> dict[str, list[str]]:
        return {
            "input": [spec_label(s) for s in self.input_judges],
            "output": [spec_label(s) for s in self.output_judges],
        }


class PolicyFile(_Strict):
    """Every policy the proxy knows, and the one used when a request names none."""

    default: str
    policies: dict[str, GuardPolicy] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_exists(self) -> PolicyFile:
        if self.default not in self.policies:
            raise ValueError(f"default policy {self.default!r} is not among {', '.join(sorted(self.policies))}")
        return self

    def pick(self, name: str | None) -> tuple[str, GuardPolicy]:
        """The named policy (the default for None); an unknown name is the caller's error."""
        chosen = self.default if name is None else name
        policy = self.policies.get(chosen)
        if policy is None:
            raise ConfigError(f"unknown policy {chosen!r}; known: {', '.join(sorted(self.policies))}")
        return chosen, policy


def load_policies(path: Path) -> PolicyFile:
    """Read and validate a policy file; one line naming file, line and field when it is wrong."""
    data = read_yaml_mapping(path, "policy")
    try:
        return PolicyFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(p) for p in loc) or "policy"
        line = yaml_line(path, loc)
        where = f"{path}:{line}" if line is not None else str(path)
        raise ConfigError(f"{where}: field {field!r}: {first['msg']}") from exc
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
