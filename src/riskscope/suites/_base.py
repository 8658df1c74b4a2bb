"""The Suite extension point: an iterable of test cases with where they came from.

Loaders stream (they yield cases as they read) so a million-row file never sits in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from riskscope.config import PluginSpec
from riskscope.core import NoOptions, Registry, TestCase


@dataclass(frozen=True)
class SuiteInfo:
    name: str
    taxonomy: str = "ailuminate-v1.0"
    licence: str | None = None
    source_url: str | None = None
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Suite(Protocol):
    info: SuiteInfo

    def __iter__(self) -> Iterator[TestCase]: ...


SuiteFactory = Callable[[PluginSpec], Suite]

suites: Registry[SuiteFactory] = Registry(
    "suite",
    "riskscope.suites",
    builtin_modules=(
        "riskscope.suites.demo",
        "riskscope.suites.jsonl",
        "riskscope.suites.public",
        "riskscope.suites.generic",
        "riskscope.suites.mcq",
        "riskscope.suites.overrefusal",
        "riskscope.suites.agentsafety",
        "riskscope.suites.toolemu",
        "riskscope.suites.pasttense",
        "riskscope.suites.simusers",
        "riskscope.suites.agentdojo",
    ),
)


def suite(
    name: str, summary: str = "", *, options: type[BaseModel] = NoOptions
) -> Callable[[SuiteFactory], SuiteFactory]:
    """Register a suite loader under ``name`` (used as ``--suite NAME:ARG``)."""
    return suites.register(name, summary, options=options)


def build_suite(spec: PluginSpec) -> Suite:
    suites.check_options(spec.name, spec.options)  # unknown keys: one line naming plugin and key
    return suites.get(spec.name)(spec)


@dataclass
class IterableSuite:
    """A suite backed by a generator function, re-run on every iteration."""

    info: SuiteInfo
    produce: Callable[[], Iterator[TestCase]]

    def __iter__(self) -> Iterator[TestCase]:
        return self.produce()
