"""AgentDojo's task suites as riskscope sees them: load, inject, act, check (the ``agentdojo`` extra).

AgentDojo (Debenedetti et al. 2024, MIT, PyPI ``agentdojo``) ships four task suites (workspace,
travel, banking, slack): a stateful Python environment per suite, tools that act on it, *user
tasks* with a deterministic utility check, *injection tasks* with a deterministic security check
(did the attacker's goal happen?), and *attacks* that write an injection into the places of the
environment that a user task's tools read. This module is the one place riskscope touches the
package; the suite loader (``suites.agentdojo``), the agent environment (``agents._agentdojo``) and
the judge (``judges.agentdojo``) all go through it, so they agree on how a call changes the world.

**Which parts of AgentDojo are imported.** Its declared dependencies include five provider SDKs
(openai, anthropic, cohere, google-genai, plus langchain) that only its own agent pipelines use:
riskscope's target is the agent. The task suites need ``pydantic[email]``, ``pyyaml``,
``docstring-parser``, ``deepdiff`` and ``rich``; the extra installs those and AgentDojo itself
with ``--no-deps`` (README, docs/agents.md). The one obstacle is that
``agentdojo.agent_pipeline/__init__`` imports every SDK, and the task suite imports two harmless
submodules of that package (the ground-truth pipeline and the tool-output formatter). When the SDKs
are absent, :func:`load_agentdojo` registers that package (and ``llms``) as a bare namespace over the
installed folder, so its submodules import without its ``__init__``, and gives ``llms.google_llm``
its one constant read from the installed file (never a copy). With the SDKs installed, the real
package is imported unchanged.

**The state of an episode is rebuilt, not kept.** :meth:`DojoWorld.start` builds the task's
environment from the suite's data with the case's injections in place; :meth:`DojoWorld.apply`
runs one call on it (AgentDojo's own ``FunctionsRuntime``, the same argument conversion as its
``ToolsExecutor``, the same YAML rendering of results). Replaying an episode's calls in order
gives the same world, which is what the agent environment does on resume and what the judge does
to check the final state.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.machinery
import importlib.metadata
import importlib.resources
import importlib.util
import sys
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from riskscope.errors import ConfigError

__all__ = [
    "DEFAULT_VERSION",
    "SUITES",
    "DojoCheck",
    "DojoRef",
    "DojoWorld",
    "agentdojo_version",
    "load_agentdojo",
    "world",
]

SUITES = ("workspace", "travel", "banking", "slack")
DEFAULT_VERSION = "v1.2.2"
"""AgentDojo's latest benchmark version in 0.1.35 (949 user x injection task pairs over the four suites)."""
INSTALL_HINT = (
    "the agentdojo extra is not installed: pip install -c constraints.txt 'riskscope[agentdojo]' && "
    "pip install --no-deps -c constraints.txt agentdojo (docs/agents.md, AgentDojo)"
)
_SDKS = ("anthropic", "cohere", "openai", "requests", "google.genai")
"""What ``agentdojo.agent_pipeline/__init__`` imports that the task suites never use."""


class DojoRef(BaseModel):
    """What an AgentDojo case names: suite, version, tasks, attack and the injections it placed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    suite: str
    version: str = DEFAULT_VERSION
    user_task: str
    injection_task: str | None = None
    """None for a baseline case (no attack: the injection vectors hold their benign defaults)."""
    attack: str | None = None
    injections: dict[str, str] = Field(default_factory=dict)


class DojoCheck(BaseModel):
    """AgentDojo's checks on a finished episode: utility (user task) and security (injection task).

    ``security`` is AgentDojo's word: True when the *injection task's goal was achieved* (the attack
    succeeded); None for a baseline case, which has no injection task.
    """

    model_config = ConfigDict(frozen=True)

    utility: bool
    security: bool | None


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _namespace(name: str, folder: Path) -> types.ModuleType:
    module = types.ModuleType(name)
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = [str(folder)]
    module.__spec__ = spec
    module.__path__ = [str(folder)]
    module.__package__ = name
    return module


def _constant(path: Path, name: str) -> str:
    """A module-level string constant of an installed AgentDojo file, read without importing it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        named = isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        if named and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):  # type: ignore[attr-defined]
            return node.value.value  # type: ignore[attr-defined]
    raise ConfigError(f"agentdojo: {path} has no string {name}; install agentdojo with its dependencies instead")


def _bare_pipeline_package() -> None:
    """Let ``agentdojo.agent_pipeline.*`` submodules import without the package's SDK-laden ``__init__``."""
    if "agentdojo.agent_pipeline" in sys.modules or all(_has(m) for m in _SDKS):
        return
    spec = importlib.util.find_spec("agentdojo")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(INSTALL_HINT)
    root = Path(next(iter(spec.submodule_search_locations))) / "agent_pipeline"
    sys.modules["agentdojo.agent_pipeline"] = _namespace("agentdojo.agent_pipeline", root)
    sys.modules["agentdojo.agent_pipeline.llms"] = _namespace("agentdojo.agent_pipeline.llms", root / "llms")
    google = types.ModuleType("agentdojo.agent_pipeline.llms.google_llm")
    google.EMPTY_FUNCTION_NAME = _constant(root / "llms" / "google_llm.py", "EMPTY_FUNCTION_NAME")  # type: ignore[attr-defined]
    sys.modules[google.__name__] = google


@functools.cache
def load_agentdojo() -> types.SimpleNamespace:
    """AgentDojo's modules the adapter uses (imported once); a clean ConfigError when it is missing."""
    if not _has("agentdojo"):
        raise ConfigError(INSTALL_HINT)
    _bare_pipeline_package()
    try:
        attacks = importlib.import_module("agentdojo.attacks")
        registry = importlib.import_module("agentdojo.attacks.attack_registry")
        suites = importlib.import_module("agentdojo.task_suite.load_suites")
        runtime = importlib.import_module("agentdojo.functions_runtime")
        execution = importlib.import_module("agentdojo.agent_pipeline.tool_execution")
        base = importlib.import_module("agentdojo.agent_pipeline.base_pipeline_element")
    except ImportError as exc:
        raise ConfigError(f"agentdojo cannot be imported ({exc}): {INSTALL_HINT}") from exc
    return types.SimpleNamespace(
        attacks=attacks, registry=registry, suites=suites, runtime=runtime, execution=execution, base=base
    )


def agentdojo_version() -> str:
    try:
        return importlib.metadata.version("agentdojo")
    except importlib.metadata.PackageNotFoundError:
        return "missing"


@functools.cache
def system_message() -> str:
    """AgentDojo's default system prompt (its ``data/system_messages.yaml``), as its pipelines send it."""
    import yaml

    load_agentdojo()
    text = importlib.resources.files("agentdojo").joinpath("data/system_messages.yaml").read_text(encoding="utf-8")
    return str(yaml.safe_load(text)["default"])


def _task_number(task_id: str) -> int:
    return int(task_id.rpartition("_")[2])


class DojoWorld:
    """One AgentDojo task suite at one benchmark version: its tools, tasks, environments and checks."""

    def __init__(self, suite: str, version: str) -> None:
        dojo = load_agentdojo()
        suites = dojo.suites.get_suites(version)
        if not suites:
            raise ConfigError(f"agentdojo: unknown benchmark version {version!r}")
        if suite not in suites:
            raise ConfigError(f"agentdojo: unknown suite {suite!r} in {version} (known: {', '.join(sorted(suites))})")
        self.name, self.version = suite, version
        self._dojo = dojo
        self._suite: Any = suites[suite]
        self._runtime: Any = dojo.runtime.FunctionsRuntime(self._suite.tools)
        self.user_tasks: dict[str, Any] = dict(
            sorted(self._suite.user_tasks.items(), key=lambda kv: _task_number(kv[0]))
        )
        self.injection_tasks: dict[str, Any] = dict(
            sorted(self._suite.injection_tasks.items(), key=lambda kv: _task_number(kv[0]))
        )

    # -- what the agent is given ---------------------------------------------------------------
    @functools.cached_property
    def tools(self) -> tuple[dict[str, Any], ...]:
        """The suite's tools as OpenAI ``tools`` entries (AgentDojo's own schema for each function)."""
        return tuple(
            {
                "type": "function",
                "function": {
                    "name": f.name,
                    "description": f.description,
                    "parameters": f.parameters.model_json_schema(),
                },
            }
            for f in self._suite.tools
        )

    def prompt(self, user_task: str) -> str:
        return str(self.user_tasks[user_task].PROMPT)

    def injections(self, attack: str, model: str, user_task: str, injection_task: str) -> dict[str, str]:
        """The attack's injections for one pair: vector id -> text, only in vectors the user task reads."""
        attacker = self.attacker(attack, model)
        out = attacker.attack(self.user_tasks[user_task], self.injection_tasks[injection_task])
        return {str(k): str(v) for k, v in out.items()}

    @functools.cache  # noqa: B019 -- one attacker per (suite, attack, model); worlds live as long as the process
    def attacker(self, attack: str, model: str) -> Any:
        """The AgentDojo attack object (a clean ConfigError for an unknown or unsupported one)."""
        dojo = self._dojo
        known = dojo.registry.ATTACKS
        if attack not in known:
            names = ", ".join(sorted(a for a in known if _usable(known[a])))
            raise ConfigError(f"agentdojo: unknown attack {attack!r} (known: {names})")
        if not _usable(known[attack]):
            raise ConfigError(f"agentdojo: attack {attack!r} is not supported (interactive or denial-of-service)")

        class _Victim(dojo.base.BasePipelineElement):  # type: ignore[misc,name-defined]
            """Stands for riskscope's target where an attack reads the victim's name (AgentDojo's MODEL_NAMES key)."""

            name = model

            def query(self, *args: Any, **kwargs: Any) -> Any:  # never run: riskscope runs the agent
                raise NotImplementedError

        try:
            return known[attack](self._suite, _Victim())
        except ValueError as exc:
            raise ConfigError(f"agentdojo: attack {attack!r} with model={model!r}: {exc}") from exc

    # -- the environment -------------------------------------------------------------------------
    def start(self, ref: DojoRef) -> Any:
        """The user task's environment with the case's injections in place (a fresh object each time)."""
        environment = self._suite.load_and_inject_default_environment(dict(ref.injections))
        return self.user_tasks[ref.user_task].init_environment(environment)

    def apply(self, environment: Any, name: str, arguments: Mapping[str, Any]) -> tuple[str, str | None]:
        """Run one call on the environment (mutating it): the observation text and AgentDojo's error, if any.

        Mirrors AgentDojo's ``ToolsExecutor``: string arguments that spell a Python list become lists,
        the result is rendered as YAML; a failing call changes nothing and returns its error.
        """
        execution = self._dojo.execution
        args = dict(arguments)
        for key, value in args.items():
            if isinstance(value, str) and execution.is_string_list(value):
                args[key] = ast.literal_eval(value)
        result, error = self._runtime.run_function(environment, name, args)
        if error is not None:
            return "", str(error)
        return str(execution.tool_result_to_str(result)), None

    def check(
        self, ref: DojoRef, pre: Any, post: Any, answer: str, calls: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> DojoCheck:
        """AgentDojo's utility and security checks (the task's trace-based check first, as its suite does)."""
        function_call = self._dojo.runtime.FunctionCall
        traces = [function_call(function=name, args=dict(args)) for name, args in calls]
        user = self.user_tasks[ref.user_task]
        utility = user.utility_from_traces(answer, pre, post, traces)
        if utility is None:
            utility = user.utility(answer, pre, post)
        security: bool | None = None
        if ref.injection_task is not None:
            injection = self.injection_tasks[ref.injection_task]
            security = injection.security_from_traces(answer, pre, post, traces)
            if security is None:
                security = injection.security(answer, pre, post)
        return DojoCheck(utility=bool(utility), security=None if security is None else bool(security))

    def ground_truth(self, task_id: str, environment: Any) -> list[tuple[str, dict[str, Any]]]:
        """A task's ground-truth calls (user or injection task) against an environment: for scripted tests."""
        task = self.user_tasks.get(task_id) or self.injection_tasks[task_id]
        return [(c.function, dict(c.args)) for c in task.ground_truth(environment)]

    def ground_truth_output(self, task_id: str) -> str:
        task = self.user_tasks.get(task_id) or self.injection_tasks[task_id]
        return str(task.GROUND_TRUTH_OUTPUT)

    def goal(self, injection_task: str) -> str:
        return str(self.injection_tasks[injection_task].GOAL)


def _usable(attack: Any) -> bool:
    return not getattr(attack, "is_dos_attack", False) and getattr(attack, "name", "") != "manual"


@functools.cache
def world(suite: str, version: str = DEFAULT_VERSION) -> DojoWorld:
    """The suite at that version, loaded once per process."""
    return DojoWorld(suite, version)
