"""The ``agentdojo`` environment: an agent's tool calls run on AgentDojo's real task environment.

A case's ``metadata["agent"]["state"]["agentdojo"]`` names the suite, the user task and the
injections the attack placed (``suites.agentdojo``). Each well-formed call is run by AgentDojo's
``FunctionsRuntime`` on that environment (``suites._agentdojo_world.DojoWorld.apply``); a failing
call is an error observation, as AgentDojo's own executor reports it.

**State on resume.** The environment is stateful (a sent e-mail stays sent), but the strategy is a
pure function of the committed steps, so the state is a function of the calls committed so far:
before a call, the world is the task's start plus every earlier well-formed call replayed in order
(``history``). The replay is skipped when the world after exactly those calls is still in memory
(the usual case: the previous call of the same episode left it there); after a kill, or for an
episode not seen by this process, it is rebuilt from the committed calls. A malformed call never
reached the environment, so it is never replayed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from riskscope.agents._calls import ToolCall
from riskscope.agents._environment import History, Observation
from riskscope.core import canonical_json
from riskscope.errors import ConfigError
from riskscope.suites._agentdojo_world import DojoRef, DojoWorld, world

__all__ = ["AgentDojoEnvironment"]

_KEPT_WORLDS = 64
"""Worlds kept between calls (one per live episode is enough; more episodes than this just replay)."""
_WORLDS: OrderedDict[tuple[str, str], Any] = OrderedDict()


class AgentDojoEnvironment:
    """Answers an AgentDojo case's calls on its suite's environment; see the module docstring."""

    def __init__(self, state: Mapping[str, Any]) -> None:
        raw = state.get("agentdojo")
        if not isinstance(raw, Mapping):
            raise ConfigError("agent environment 'agentdojo' needs state.agentdojo (suite, user_task, injections)")
        self.ref = DojoRef.model_validate(dict(raw))
        self.observation_chars = int(state.get("observation_chars", 20_000))
        self._world: DojoWorld = world(self.ref.suite, self.ref.version)
        self._key = canonical_json(self.ref.model_dump(mode="json"))
        self.replayed = 0
        """Calls replayed to rebuild a world (tests read it: a resumed episode replays, a live one not)."""

    def act(self, call: ToolCall, task: str, history: History) -> Observation:
        done = [c for c, _ in history if c.malformed is None]
        before = (self._key, canonical_json([(c.name, c.raw_arguments) for c in done]))
        environment = _WORLDS.pop(before, None)
        if environment is None:
            environment = self._world.start(self.ref)
            for earlier in done:
                self._world.apply(environment, earlier.name, earlier.arguments or {})
            self.replayed += len(done)
        text, error = self._world.apply(environment, call.name, call.arguments or {})
        after = (self._key, canonical_json([(c.name, c.raw_arguments) for c in [*done, call]]))
        _WORLDS[after] = environment
        while len(_WORLDS) > _KEPT_WORLDS:
            _WORLDS.popitem(last=False)
        if error is not None:
            return Observation(f"Error: {error}", error=True)
        return Observation(text)

    def malformed_observation(self, call: ToolCall) -> str | None:
        """AgentDojo's executor's words for a call to no tool (``ToolsExecutor``, 0.1.35): an empty
        name and an unknown tool are answered so, without running anything. (It has no words for
        bad JSON or a non-object: its pipelines fail on those, so they keep the default answer.)"""
        if call.malformed is None or not call.malformed.startswith("unknown tool"):
            return None
        if not call.name:
            return "Empty function name provided. Provide a valid function name."
        return f"Invalid tool {call.name} provided."


def forget_worlds() -> None:
    """Drop every kept world (tests: what a fresh process after a kill would have)."""
    _WORLDS.clear()
