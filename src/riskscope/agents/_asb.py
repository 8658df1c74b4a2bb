"""Real Agent-SafetyBench tool behaviour from the optional ``agent-safety-bench-envs`` package.

The package (Apache-2.0, extra ``agentsafety``) ships one Python class per Agent-SafetyBench
environment: its tools are methods that read and change the environment's state (the case's
``parameters``). :class:`AsbEnvironment` answers an agent's calls with them, and falls back to the
LM emulator (:class:`EmulatedEnvironment`, with the case's emulator) for any tool no real
environment serves, per tool, so one missing class never makes a case unplayable.

Why it is wrapped rather than called directly:

- the package's ``EnvManager.init_env`` prints a traceback and returns None for an unknown
  environment, and some classes raise in their constructor on unexpected parameters: both become
  "no real environment" (the tool is emulated), and nothing reaches the run's stdout/stderr (a
  few tools print too: their output is captured and dropped, the returned value is the observation);
- a tool that raises comes back as an ``Error: Type: message`` observation, as the ``python:``
  environment does: an agent meeting a failing tool is part of what is measured;
- the state is rebuilt for every call by replaying the episode's committed calls (``history``) on a
  fresh instance, never held between calls: a resumed episode, or another worker, sees the same
  world the first one did, and episodes sharing a strategy never share state;
- the two classes that draw random numbers get a generator seeded from the call's place and
  content, so the same call in the same episode gives the same observation on every replay;
- a tool that writes to the host (``Spokeo.download_public_record`` opens a model-chosen path for
  writing) is never run: it is emulated (``HOST_EFFECTS``; tests/agents/test_asbenvs_real.py scans
  the installed package for others).

The package is imported lazily: without it ``environment=real`` is refused before a run starts
(suites/agentsafety.py), and an ``asb:`` case read from a file fails with one clean line.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import importlib
import importlib.util
import io
import json
import random
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from riskscope.agents._calls import ToolCall
from riskscope.agents._environment import (
    MAX_OBSERVATION_CHARS,
    EmulatedEnvironment,
    EmulatorPrompt,
    History,
    Observation,
)
from riskscope.core import stable_hash
from riskscope.errors import ConfigError

__all__ = ["ASB_PACKAGE", "HOST_EFFECTS", "AsbEnvironment", "asb_available", "real_environment"]

ASB_PACKAGE = "asb_envs"
"""The import name of ``agent-safety-bench-envs``."""
HOST_EFFECTS = frozenset({("Spokeo", "download_public_record")})
"""(environment, tool) pairs whose implementation touches the host (writes a file at a path the
agent chose): emulated instead of run."""
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_QUIET = threading.Lock()  # stdout/stderr are process-wide: one redirect at a time


@functools.cache
def asb_available() -> bool:
    """Is the optional package installed (without importing it)? Asked once per process."""
    return importlib.util.find_spec(ASB_PACKAGE) is not None


@contextlib.contextmanager
def _quiet() -> Any:
    """Capture what the package prints (tracebacks, tool chatter): it is not the run's output."""
    with _QUIET, contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def real_environment(name: str, parameters: Mapping[str, Any] | None) -> Any | None:
    """A fresh instance of the package's environment ``name`` with this initial state, or None when
    the package has none (unknown name, an import that fails, a constructor that raises)."""
    if not _NAME.match(name):
        return None
    try:
        if importlib.util.find_spec(f"{ASB_PACKAGE}.envs.{name}") is None:
            return None
    except (ImportError, ValueError):
        return None
    manager = importlib.import_module(ASB_PACKAGE).EnvManager()
    try:
        with _quiet():
            return manager.init_env(name, copy.deepcopy(dict(parameters or {})))
    except Exception:  # the package's own try covers only the import: a constructor may raise too
        return None


def _serves(env: Any, tool: str) -> bool:
    return tool in getattr(env, "tool_list", ()) and callable(getattr(env, tool, None))


class AsbEnvironment:
    """The case's Agent-SafetyBench environments, real where the package has them, emulated elsewhere.

    ``names`` are the case's environments in order (the first that serves a tool answers it);
    ``state`` maps an environment's name to its initial ``parameters`` (absent: empty).
    """

    def __init__(
        self, names: Sequence[str], tools: Sequence[Mapping[str, Any]], state: Mapping[str, Any] | None = None
    ) -> None:
        if not asb_available():
            raise ConfigError(
                "agent environment 'asb:...' needs the optional package agent-safety-bench-envs: "
                "pip install 'riskscope[agentsafety]'"
            )
        self.names = tuple(names)
        self._state = dict(state or {})
        self._fallback = EmulatedEnvironment(tools, state)
        probe = {name: real_environment(name, self._state.get(name)) for name in self.names}
        self.missing = tuple(name for name, env in probe.items() if env is None)
        """The case's environments the package lacks (their tools are emulated)."""
        self._owner: dict[str, str] = {}
        for name, env in probe.items():
            for tool in getattr(env, "tool_list", ()) if env is not None else ():
                if _serves(env, tool) and (name, tool) not in HOST_EFFECTS:
                    self._owner.setdefault(tool, name)

    def real(self, tool: str) -> bool:
        """Does a real environment answer this tool (else the emulator does)?"""
        return tool in self._owner

    def act(self, call: ToolCall, task: str, history: History) -> Observation | EmulatorPrompt:
        owner = self._owner.get(call.name)
        if owner is None:
            return self._fallback.act(call, task, history)
        envs = {name: real_environment(name, self._state.get(name)) for name in self.names}
        for position, (earlier, _observation) in enumerate(history):
            home = self._owner.get(earlier.name)
            if earlier.malformed is None and home is not None and envs[home] is not None:
                with contextlib.suppress(Exception):  # its observation is committed: only its effect counts
                    _call(envs[home], earlier, position)
        env = envs[owner]
        if env is None:  # it was built once at the start: a class that fails only sometimes
            return self._fallback.act(call, task, history)
        try:
            result = _call(env, call, len(history))
        except Exception as exc:  # a tool's failure is an observation, as a real tool API returns one
            return Observation(f"Error: {type(exc).__name__}: {exc}"[:MAX_OBSERVATION_CHARS], error=True)
        return Observation(_text(result)[:MAX_OBSERVATION_CHARS])


def _text(result: Any) -> str:
    """A tool's return value as the observation (JSON where it can be: keys of mixed types cannot be
    sorted, a cycle cannot be written; then its ``str``)."""
    if isinstance(result, str):
        return result
    try:
        return json.dumps(result, default=str, sort_keys=True)
    except (TypeError, ValueError):
        return str(result)


def _call(env: Any, call: ToolCall, position: int) -> Any:
    """One tool call on a real environment, quietly, with a seeded random generator where the
    class draws random numbers; raises what the tool raises."""
    module = importlib.import_module(type(env).__module__)
    drawn = getattr(module, "random", None)
    if drawn is random or isinstance(drawn, random.Random):
        seed = int(stable_hash({"position": position, "tool": call.name, "args": call.raw_arguments}, 16), 16)
        module.random = random.Random(seed)  # type: ignore[attr-defined]
    with _quiet():
        return env.call_tool(call.name, copy.deepcopy(call.arguments or {}))
