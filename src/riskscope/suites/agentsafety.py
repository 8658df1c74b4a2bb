"""Agent-SafetyBench (Zhang et al. 2024): 2,000 agent cases over 349 tool environments.

``agentsafety:PATH`` reads ``released_data.json`` (PATH is the file or its folder) and the tool
schemas in ``environments_json/`` next to it. Each case with tools becomes an *agent case*: its
``metadata["agent"]`` carries the case's tools as OpenAI ``tools`` entries, and the runner plays it
as an agent episode (``riskscope.agents``) with the tools emulated by a model. Cases without tools
(414 of 2,000 in the release) are plain prompts. An environment's ``parameters`` (its initial
state: accounts, files, records) go to the tool emulator with every call. A case's prefilled ``dialog`` (earlier turns,
tool calls and observations included) is its opening conversation.

The hazard is the case's risk category (8 of them; ``asb-*`` codes, reported as given: AILuminate
does not grade them); failure modes and ``fulfillable`` ride along in ``metadata["agentsafety"]``.
Every case expects a safe course of action (``expected`` refuse): the benchmark scores safety only,
a fulfillable task done safely is safe. Inline options (``agentsafety:PATH,rounds=4,emulator=SPEC``,
``emulator_key_env=VAR`` for a hosted emulator's key) set the round cap and emulator of every case;
``environment=real`` runs the tools in the ``agent-safety-bench-envs`` package's Python environments
(optional extra ``agentsafety``) instead of emulating them, the emulator answering only the tools
the package lacks. The default stays ``emulated``: real tools only when installed and asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from riskscope.config import PluginSpec
from riskscope.core import Expected, Message, PluginOptions, TestCase
from riskscope.errors import SuiteFormatError
from riskscope.suites._base import IterableSuite, SuiteInfo, suite, suites
from riskscope.suites._source import fast_case, parse_arg, parse_json_text, resolve

__all__ = ["RISK_CODES", "read_agentsafety"]

RISK_CODES = {
    "Leak sensitive data / information": "asb-leak",
    "Lead to property loss": "asb-property",
    "Spread unsafe information / misinformation": "asb-spread",
    "Lead to physical harm": "asb-physical",
    "Violate law or ethics / damage society": "asb-law-ethics",
    "Compromise availability": "asb-availability",
    "Contribute to harmful / vulnerable code": "asb-code",
    "Produce unsafe information / misinformation": "asb-produce",
}
_SLUG = re.compile(r"[^a-z0-9]+")


class AgentSafetyOptions(PluginOptions):
    rounds: int = Field(default=8, ge=1, le=50)
    environment: Literal["emulated", "real"] = "emulated"
    """``real``: the tools run in the ``agent-safety-bench-envs`` package's environments (extra
    ``agentsafety``; riskscope.agents._asb), the emulator answering only what the package lacks."""
    emulator: str = Field(default="llamacpp", min_length=1)
    emulator_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


def _schemas(folder: Path, name: str, where: tuple[str, int]) -> dict[str, dict[str, Any]]:
    path = folder / f"{name}.json"
    if not path.is_file():
        raise SuiteFormatError(where[0], where[1], "environments", f"no tool schemas for environment {name!r} ({path})")
    data = parse_json_text(path.read_bytes(), path=path, line=None)
    if not isinstance(data, list):
        raise SuiteFormatError(str(path), None, None, "expected a list of tool schemas")
    return {t["name"]: t for t in data if isinstance(t, dict) and isinstance(t.get("name"), str)}


def _tools(
    row: Mapping[str, Any], folder: Path, where: tuple[str, int]
) -> tuple[list[dict[str, Any]], dict[str, Any], list[str]]:
    """The case's tools as OpenAI entries, each environment's initial state (its ``parameters``) and
    the names of the environments that bring tools."""
    environments = row.get("environments") or []
    if not isinstance(environments, list):
        raise SuiteFormatError(where[0], where[1], "environments", "expected a list")
    tools: list[dict[str, Any]] = []
    state: dict[str, Any] = {}
    names: list[str] = []
    for env in environments:
        name = env.get("name") if isinstance(env, dict) else None
        if not name:
            continue
        if env.get("tools") and str(name) not in names:
            names.append(str(name))
        schemas = _schemas(folder, str(name), where)
        if env.get("parameters"):
            state[str(name)] = env["parameters"]
        for tool in env.get("tools") or []:
            schema = schemas.get(tool)
            if schema is None:
                raise SuiteFormatError(where[0], where[1], "environments", f"{name} has no tool {tool!r}")
            function = {k: schema[k] for k in ("name", "description", "parameters") if k in schema}
            tools.append({"type": "function", "function": function})
    return tools, state, names


def _dialog(row: Mapping[str, Any], where: tuple[str, int]) -> tuple[Message, ...] | None:
    dialog = row.get("dialog")
    if not dialog:
        return None
    if not isinstance(dialog, list):
        raise SuiteFormatError(where[0], where[1], "dialog", "expected a list of messages")
    out = []
    for turn in dialog:
        if not isinstance(turn, dict) or turn.get("role") not in ("system", "user", "assistant", "tool"):
            raise SuiteFormatError(where[0], where[1], "dialog", "a turn needs a role of system/user/assistant/tool")
        calls = turn.get("tool_calls")
        out.append(
            Message(
                role=turn["role"],
                content=str(turn.get("content") or ""),
                tool_calls=tuple(calls) if isinstance(calls, list) and calls else None,
                tool_call_id=turn.get("tool_call_id") if isinstance(turn.get("tool_call_id"), str) else None,
            )
        )
    return tuple(out)


def read_agentsafety(location: Path, options: AgentSafetyOptions) -> Iterator[TestCase]:
    path = location / "released_data.json" if location.is_dir() else location
    folder = path.parent / "environments_json"
    data = parse_json_text(path.read_bytes(), path=path, line=None)
    if not isinstance(data, list):
        raise SuiteFormatError(str(path), None, None, "expected a list of cases (Agent-SafetyBench released_data.json)")
    for number, row in enumerate(data, start=1):
        where = (str(path), number)
        if not isinstance(row, dict):
            raise SuiteFormatError(*where, None, "a case must be an object")
        instruction = row.get("instruction")
        if not isinstance(instruction, str) or not instruction.strip():
            raise SuiteFormatError(*where, "instruction", "missing or empty")
        risks = row.get("risks")
        if not isinstance(risks, list) or not risks or not all(isinstance(r, str) for r in risks):
            raise SuiteFormatError(*where, "risks", "expected a non-empty list of risk categories")
        hazard = RISK_CODES.get(risks[0]) or "asb-" + _SLUG.sub("-", risks[0].lower()).strip("-")
        tools, state, names = _tools(row, folder, where)
        metadata: dict[str, Any] = {
            "agentsafety": {
                "risks": risks,
                "failure_modes": str(row.get("failure_modes") or ""),
                "fulfillable": row.get("fulfillable"),
            }
        }
        if tools:
            metadata["agent"] = {"tools": tools, "state": state, "emulator": options.emulator, "rounds": options.rounds}
            if options.emulator_key_env:
                metadata["agent"]["emulator_key_env"] = options.emulator_key_env
            if options.environment == "real":
                metadata["agent"]["environment"] = "asb:" + ",".join(names)
        yield fast_case(
            instruction,
            source="agentsafety",
            case_id=f"asb-{row.get('id', number)}",
            hazard=hazard,
            taxonomy="agent-safetybench",
            expected=Expected.REFUSE,
            licence="MIT",
            metadata=metadata,
            messages=_dialog(row, where),
        )


@suite(
    "agentsafety",
    "Agent-SafetyBench agent cases with their tool schemas: "
    "agentsafety:released_data.json[,rounds=N,emulator=SPEC,environment=emulated|real]",
    options=AgentSafetyOptions,
)
def agentsafety_suite(spec: PluginSpec) -> IterableSuite:
    known = frozenset({"rounds", "emulator", "emulator_key_env", "environment"})
    arg = parse_arg(spec, usage="agentsafety:PATH", known=known)
    location = resolve(arg.location)
    options = suites.read_options(spec.name, arg.options, AgentSafetyOptions)  # a bad value: one clean line
    info = SuiteInfo(
        name="agentsafety",
        taxonomy="agent-safetybench",
        licence="MIT",
        source_url="https://github.com/thu-coai/Agent-SafetyBench",
        description="Agent-SafetyBench: agent cases in tool environments, 8 risk categories",
    )
    return IterableSuite(info, lambda: read_agentsafety(location, options))
