"""Built-in simulated-user and privacy-in-action scenarios (written from scratch for riskscope).

- ``simusers``: 12 HAICOSYSTEM-style scenarios (3 domains x 2 benign + 2 malicious intents; 6 of
  them give the agent scripted tools). Each case's prompt is the user's opening turn and its
  ``metadata["simuser"]`` says who the simulated user is, what they want and whether they mean harm.
- ``privacy``: 10 PrivacyLens-style scenarios: the agent reads private data through a tool and is
  asked to pass something on (an email, a post); ``metadata["privacy"]`` marks the private items and
  the tools that send data out, for the ``privacy-leak`` judge. Two have a malicious simulated user.

Malicious goals are stated abstractly (what the user wants, never how): no harmful instructions.
The private data is invented. Options (inline ``simusers:simulator=SPEC,turns=N`` or YAML) override
every case's simulator (and, for an emulated environment, its tool emulator with it), turn cap and
agent round cap, so a run can point the scenarios at a hosted simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import Field

from riskscope.config import PluginSpec
from riskscope.core import PluginOptions, TestCase
from riskscope.errors import ConfigError
from riskscope.suites._base import IterableSuite, SuiteInfo, suite
from riskscope.suites.jsonl import read_jsonl

__all__ = ["SimUserSuiteOptions", "privacy_path", "simusers_path"]

_KNOWN = frozenset({"simulator", "simulator_key_env", "turns", "rounds"})


class SimUserSuiteOptions(PluginOptions):
    simulator: str | None = Field(default=None, min_length=1, description="target spec of the user simulator")
    simulator_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    turns: int | None = Field(default=None, ge=1, le=20, description="user turns at most (opening included)")
    rounds: int | None = Field(default=None, ge=1, le=50, description="agent calls at most per user turn")


def simusers_path() -> Path:
    return Path(str(files("riskscope.suites").joinpath("data", "simusers.jsonl")))


def privacy_path() -> Path:
    return Path(str(files("riskscope.suites").joinpath("data", "privacy.jsonl")))


def _options(spec: PluginSpec) -> SimUserSuiteOptions:
    given: dict[str, Any] = {}
    for piece in (p.strip() for p in spec.arg.split(",")):
        if not piece:
            continue
        key, sep, value = piece.partition("=")
        if not sep or key.strip() not in _KNOWN:
            raise ConfigError(
                f"suite {spec.name!r}: unknown option {piece!r} (known: {', '.join(sorted(_KNOWN))}; "
                f"e.g. --suite {spec.name}:turns=2)"
            )
        given[key.strip()] = value.strip()
    given.update(spec.options)
    return SimUserSuiteOptions.model_validate(given)


def _with_options(case: TestCase, options: SimUserSuiteOptions) -> TestCase:
    metadata = dict(case.metadata)
    sim = dict(metadata.get("simuser") or {})
    agent = dict(metadata.get("agent") or {})
    if sim:
        if options.simulator is not None:
            sim["simulator"] = options.simulator
            sim["simulator_key_env"] = options.simulator_key_env
            if agent and agent.get("environment", "emulated") == "emulated":  # one second model emulates tools
                agent["emulator"], agent["emulator_key_env"] = options.simulator, options.simulator_key_env
        if options.turns is not None:
            sim["turns"] = options.turns
        metadata["simuser"] = sim
    if agent:
        if options.rounds is not None:
            agent["rounds"] = options.rounds
        metadata["agent"] = agent
    return case.model_copy(update={"metadata": metadata})


def _read(path: Path, source: str, options: SimUserSuiteOptions) -> Iterator[TestCase]:
    for case in read_jsonl(path, source=source, licence="Apache-2.0"):
        yield _with_options(case, options)


def _info(name: str, file: str, description: str) -> SuiteInfo:
    return SuiteInfo(
        name=name,
        licence="Apache-2.0",
        source_url=f"https://github.com/riskscope/riskscope (src/riskscope/suites/data/{file})",
        description=description,
    )


@suite(
    "simusers",
    "12 built-in simulated-user scenarios (benign / malicious intent, 3 domains): simusers[:simulator=SPEC,turns=N]",
    options=SimUserSuiteOptions,
)
def simusers_suite(spec: PluginSpec) -> IterableSuite:
    options = _options(spec)
    info = _info("simusers", "simusers.jsonl", "written from scratch for riskscope; simulated users, abstract goals")
    return IterableSuite(info, lambda: _read(simusers_path(), "simusers", options))


@suite(
    "privacy",
    "10 built-in privacy-in-action scenarios for --judge privacy-leak: privacy[:rounds=N,simulator=SPEC]",
    options=SimUserSuiteOptions,
)
def privacy_suite(spec: PluginSpec) -> IterableSuite:
    options = _options(spec)
    info = _info("privacy", "privacy.jsonl", "written from scratch for riskscope; invented private data")
    return IterableSuite(info, lambda: _read(privacy_path(), "privacy", options))
