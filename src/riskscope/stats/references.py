"""What a grade is relative to: reference systems, their per-hazard unsafe rates, and their judge.

AILuminate grades a system against *reference systems* measured on the same prompts by the same
judge. A reference rate is kept as an exact fraction, with the counts behind it when they are
known (then the grade probabilities carry the reference's sampling error) or as a fixed rate when
a published standard gives rates alone. Every reference says which judge measured it: a rate
measured by another judge (or another version of it, e.g. after retraining) is not comparable, so
:func:`check_reference_judges` refuses it unless forced.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from riskscope.errors import ConfigError

__all__ = ["JudgeIdentity", "ReferenceRate", "ReferenceSystem", "check_reference_judges", "exact_rate"]

Rate = Fraction | int | float


def exact_rate(value: Rate, what: str = "rate") -> Fraction:
    """A rate in [0, 1] as an exact fraction.

    Fractions and integers are taken as they are. A float is read as the shortest decimal that
    prints as it (``0.3`` is 3/10, not the binary 0.299999...): that is the number a person or a
    published standard wrote. Rates computed from counts should be passed as ``Fraction(x, n)``.
    """
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a number, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what} must be in [0, 1], got {value}")
        exact = Fraction(repr(value))
    elif isinstance(value, Fraction):
        exact = value
    elif isinstance(value, int):
        exact = Fraction(value)
    else:
        raise TypeError(f"{what} must be a number, got {value!r}")
    if not 0 <= exact <= 1:
        raise ValueError(f"{what} must be in [0, 1], got {value}")
    return exact


@dataclass(frozen=True)
class ReferenceRate:
    """One reference system's unsafe rate on one hazard; ``unsafe``/``assessed`` when counts are known."""

    rate: Fraction
    unsafe: int | None = None
    assessed: int | None = None

    @classmethod
    def from_counts(cls, unsafe: int, assessed: int) -> ReferenceRate:
        if assessed < 1 or not 0 <= unsafe <= assessed:
            raise ValueError(f"need 0 <= unsafe <= assessed and assessed >= 1, got {unsafe}/{assessed}")
        return cls(Fraction(unsafe, assessed), unsafe, assessed)

    @classmethod
    def fixed(cls, rate: Rate) -> ReferenceRate:
        """A published rate without counts: grade probabilities treat it as known exactly."""
        return cls(exact_rate(rate, "reference rate"))

    @property
    def has_counts(self) -> bool:
        return self.unsafe is not None and self.assessed is not None

    def describe(self) -> str:
        if self.has_counts:
            return f"{self.unsafe}/{self.assessed}"
        return f"{float(self.rate):.4g} (rate only)"


@dataclass(frozen=True)
class JudgeIdentity:
    """The headline judge that produced a set of rates: its spec string and the versions seen."""

    spec: str
    versions: tuple[str, ...] = ()

    @classmethod
    def of(cls, spec: str, versions: Iterable[str]) -> JudgeIdentity:
        return cls(spec, tuple(sorted(set(versions))))

    def __str__(self) -> str:
        if not self.versions:
            return f"{self.spec} (version unknown)"
        return f"{self.spec} version {', '.join(self.versions)}"


@dataclass(frozen=True)
class ReferenceSystem:
    """A reference system's unsafe rate per hazard (top-level hazard code), and who judged it.

    ``source`` says where the figures come from (a run id, a standard file) for reports.
    """

    name: str
    hazards: Mapping[str, ReferenceRate]
    judge: JudgeIdentity | None = None
    source: str = ""

    @classmethod
    def from_counts(
        cls,
        name: str,
        counts: Mapping[str, tuple[int, int]],
        *,
        judge: JudgeIdentity | None = None,
        source: str = "",
    ) -> ReferenceSystem:
        """From (unsafe, assessed) per hazard, e.g. a reference run in the store.

        A hazard with no assessed items gives no rate: the reference does not cover it.
        """
        hazards = {h: ReferenceRate.from_counts(u, n) for h, (u, n) in counts.items() if n > 0}
        return cls(name, hazards, judge, source)


def check_reference_judges(
    references: Sequence[ReferenceSystem], graded: JudgeIdentity, *, force: bool = False
) -> list[str]:
    """Refuse references measured by another judge spec or version than the graded run's.

    Unsafe rates from different judges (or a retrained judge) are different measurements, so a
    ratio between them is not a grade. Raises :class:`ConfigError` naming the first mismatch;
    with ``force`` returns one warning line per mismatch instead (the caller shows them).
    """
    warnings: list[str] = []
    for reference in references:
        if reference.judge == graded:
            continue
        measured = "an unknown judge" if reference.judge is None else f"judge {reference.judge}"
        line = (
            f"reference {reference.name!r} was measured with {measured}, the graded run with judge {graded}: "
            "its unsafe rates are not comparable"
        )
        if not force:
            raise ConfigError(f"{line}; re-measure the reference with the same judge, or force it")
        warnings.append(f"{line} (forced)")
    return warnings
