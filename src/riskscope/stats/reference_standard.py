"""A reference "standard" file: reference systems' per-hazard unsafe rates, with their provenance.

A standard lets a run be graded without the reference runs in the same store, e.g. against the
rates a benchmark publishes. It is YAML (JSON is read too)::

    name: AILuminate v1.0 practice reference (en_US)
    source: https://github.com/mlcommons/modelbench/blob/.../standards.json
    version: "1.0"
    date: 2025-01-22
    judge: {spec: ensemble, version: "1.0"}   # the judge the rates were measured with
    systems:                                   # per hazard, the less safe system is the reference
      - name: system-a
        hazards:
          vcr: {unsafe: 31, assessed: 200}     # counts: grade probabilities carry their uncertainty
          hte: {unsafe_rate: 0.111}            # a rate alone: held fixed
          cse: {safe_rate: 0.775}              # ModelBench publishes the fraction *safe*

Rates are read exactly as written (0.111 is 111/1000; "37/333" is accepted too). Every error
names the file, the line and the field, as the run config and the gate policy do.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator, model_validator

from riskscope.config import read_yaml_mapping
from riskscope.errors import ConfigError
from riskscope.stats.references import JudgeIdentity, ReferenceRate, ReferenceSystem, exact_rate
from riskscope.taxonomy import top_level

__all__ = ["ReferenceStandard", "load_reference_standard"]

Loc = tuple[str | int, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


def _quoted_text(value: Any) -> Any:
    # YAML reads `version: 1.10` as the number 1.1: refuse numbers rather than guess the text.
    if isinstance(value, bool | int | float):
        raise ValueError(f'write it as a quoted string (e.g. "{value}"): YAML turns numbers like 1.10 into 1.1')
    return value


def _rate(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{value!r} is not a number (write 0.184 or 23/125)") from None
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
        raise ValueError(f"expected a number in [0, 1], got {value!r}")
    return exact_rate(value)


class _Judge(_Strict):
    spec: str = Field(min_length=1, description="The judge's spec string as riskscope runs record it.")
    version: str = Field(min_length=1)

    _version = field_validator("version", mode="before")(_quoted_text)


class _HazardEntry(_Strict):
    unsafe: StrictInt | None = Field(default=None, ge=0)
    assessed: StrictInt | None = Field(default=None, ge=1)
    unsafe_rate: Fraction | None = None
    safe_rate: Fraction | None = None

    _rates = field_validator("unsafe_rate", "safe_rate", mode="before")(_rate)

    @model_validator(mode="after")
    def _one_form(self) -> _HazardEntry:
        counts = self.unsafe is not None or self.assessed is not None
        forms = int(counts) + int(self.unsafe_rate is not None) + int(self.safe_rate is not None)
        if forms == 0:
            raise ValueError("give counts (unsafe and assessed), or unsafe_rate, or safe_rate")
        if forms > 1:
            raise ValueError("give counts or one rate (unsafe_rate or safe_rate), not several")
        if counts and (self.unsafe is None or self.assessed is None):
            raise ValueError("counts need both unsafe and assessed")
        if self.unsafe is not None and self.assessed is not None and self.unsafe > self.assessed:
            raise ValueError(f"unsafe ({self.unsafe}) cannot exceed assessed ({self.assessed})")
        return self

    def to_rate(self) -> ReferenceRate:
        if self.unsafe is not None and self.assessed is not None:
            return ReferenceRate.from_counts(self.unsafe, self.assessed)
        if self.unsafe_rate is not None:
            return ReferenceRate.fixed(self.unsafe_rate)
        if self.safe_rate is not None:
            return ReferenceRate.fixed(1 - self.safe_rate)
        raise ValueError("no counts and no rate")  # unreachable: _one_form requires one


class _System(_Strict):
    name: str = Field(min_length=1)
    hazards: dict[str, _HazardEntry] = Field(min_length=1)


class _StandardFile(_Strict):
    name: str = Field(min_length=1)
    source: str = Field(min_length=1, description="Where the figures come from: a URL, a report, a run id.")
    version: str = Field(min_length=1)
    date: str = Field(min_length=1)
    judge: _Judge
    systems: list[_System] = Field(min_length=1)
    description: str = ""

    _version = field_validator("version", mode="before")(_quoted_text)

    @field_validator("date", mode="before")
    @classmethod
    def _date_text(cls, value: Any) -> Any:
        if isinstance(value, _dt.date):  # YAML reads 2025-01-22 as a date
            return value.isoformat()
        return _quoted_text(value)


@dataclass(frozen=True)
class ReferenceStandard:
    """A loaded standard: provenance plus its reference systems, each tagged with the standard's judge."""

    name: str
    source: str
    version: str
    date: str
    judge: JudgeIdentity
    systems: tuple[ReferenceSystem, ...]
    path: str
    description: str = ""


def _lines(text: str) -> dict[Loc, int]:
    """The 1-based line of every key and list item, by its path, so errors can point at it."""
    found: dict[Loc, int] = {}

    def walk(node: yaml.Node, path: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, str(key.value))
                found[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = (*path, index)
                found[child] = item.start_mark.line + 1
                walk(item, child)

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return found


def _field(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _error(path: Path, lines: dict[Loc, int], loc: Loc, problem: str) -> ConfigError:
    line = next((lines[loc[:i]] for i in range(len(loc), 0, -1) if loc[:i] in lines), None)
    where = f"{path}:{line}" if line is not None else str(path)
    return ConfigError(f"{where}: field {_field(loc)!r}: {problem}")


def load_reference_standard(path: Path) -> ReferenceStandard:
    """Read and validate a standard file; one :class:`ConfigError` naming file, line and field."""
    data = read_yaml_mapping(path, "reference standard")
    lines = _lines(path.read_text(encoding="utf-8"))
    if not data:
        raise ConfigError(f"{path}: a reference standard needs name, source, version, date, judge and systems")
    try:
        parsed = _StandardFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        problem = str(first["msg"]).removeprefix("Value error, ")
        raise _error(path, lines, tuple(first["loc"]), problem) from exc
    judge = JudgeIdentity(parsed.judge.spec, (parsed.judge.version,))
    source = f"{parsed.name} {parsed.version} ({path})"
    systems: list[ReferenceSystem] = []
    for index, system in enumerate(parsed.systems):
        if any(s.name == system.name for s in systems):
            raise _error(path, lines, ("systems", index, "name"), f"system {system.name!r} is listed twice")
        for key in system.hazards:
            if top_level(key) != key:
                problem = f"{key!r} is part of hazard {top_level(key)!r}: give rates per reporting hazard"
                raise _error(path, lines, ("systems", index, "hazards", key), problem)
        rates = {key: entry.to_rate() for key, entry in system.hazards.items()}
        systems.append(ReferenceSystem(system.name, rates, judge, source))
    return ReferenceStandard(
        name=parsed.name,
        source=parsed.source,
        version=parsed.version,
        date=parsed.date,
        judge=judge,
        systems=tuple(systems),
        path=str(path),
        description=parsed.description,
    )
