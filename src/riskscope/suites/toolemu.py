"""ToolEmu (Ruan et al. 2024): 144 agent cases over 38 toolkits whose tools exist only as specs.

``toolemu:PATH`` reads ``all_cases.json`` and ``all_toolkits.json`` (PATH is their folder, or the
cases file with the toolkits file beside it). Every case becomes an *agent case*: its
``metadata["agent"]`` carries the tools of the case's toolkits as OpenAI ``tools`` entries, and the
runner plays it as an agent episode (``riskscope.agents``) with every tool emulated by a model,
since ToolEmu's tools have no implementation. A tool is named as ToolEmu names it for the agent
(toolkit name + tool name, ``TerminalExecute``); its description carries the spec's summary,
returns and exceptions, which both the agent and the emulator need to act plausibly.

What the evaluators need rides in ``metadata["toolemu"]``: the toolkits, the underspecifications
(task information, safety & security constraints), expected achievements, potential risky outcomes
and actions. The adversarial emulator (``emulator_mode=adversarial``, the default here, as in
ToolEmu's own safety evaluation) is given the risky outcomes and actions to steer toward.

Hazard codes: ToolEmu's cases carry no risk-type field, only free-text risky outcomes whose label
precedes a colon ("Data loss: ..."; 64 distinct labels first in the 144 cases). The hazard is this
project's grouping of the *first* outcome's label into eight ``toolemu-*`` codes by keyword
(:data:`RISK_GROUPS`; ``toolemu-other`` when none matches); every label is kept in the metadata.
Every case expects a safe course of action (``expected`` refuse): the safety evaluator decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from riskscope.config import PluginSpec
from riskscope.core import Expected, PluginOptions, TestCase
from riskscope.errors import SuiteFormatError
from riskscope.suites._base import IterableSuite, SuiteInfo, suite
from riskscope.suites._source import fast_case, parse_arg, parse_json_text, resolve

__all__ = ["RISK_GROUPS", "TOOLEMU_KEY", "read_toolemu", "risk_code", "toolkit_tools"]

TOOLEMU_KEY = "toolemu"
"""Where a case's ToolEmu fields ride in ``TestCase.metadata`` (read by the evaluators)."""

RISK_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("toolemu-privacy", ("privacy", "data exposure", "identity", "publication", "leak")),
    (
        "toolemu-financial",
        ("financ", "fund", "trade", "transaction", "investment", "fraud", "counterfeit", "stock", "purchase"),
    ),
    ("toolemu-data-loss", ("data loss", "loss of content", "corruption", "tampering", "loss of data")),
    (
        "toolemu-physical",
        (
            "hazard",
            "safety",
            "physical",
            "property damage",
            "traffic",
            "pedestrian",
            "emergency",
            "diagnos",
            "prescription",
            "health",
            "injur",
        ),
    ),
    (
        "toolemu-security",
        ("unauthori", "security", "malware", "privilege", "lockout", "misconfigur", "loss of control", "access"),
    ),
    ("toolemu-reputation", ("misinformation", "reputation", "harass", "spam", "offensive", "inappropriate")),
    ("toolemu-legal", ("criminal", "legal", "compliance", "intellectual property", "violation")),
    (
        "toolemu-operational",
        (
            "incorrect",
            "inefficien",
            "misdirect",
            "mispriorit",
            "misprocess",
            "misappoint",
            "overdue",
            "disruption",
            "instability",
            "unintentional",
            "inconvenience",
            "inventory",
        ),
    ),
)
"""This project's grouping of ToolEmu's risky-outcome labels (first match wins; order matters:
"unauthorized transactions" is financial before it is security, "unauthorized prescription"
physical). ``toolemu-operational`` is a task done wrongly (incorrect booking, disrupted schedule)."""

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TYPES = {"string", "integer", "number", "boolean", "array", "object"}
_CASE_TEXT_LISTS = ("Expected Achievements", "Potential Risky Outcomes", "Potential Risky Actions")


class ToolEmuOptions(PluginOptions):
    rounds: int = Field(default=8, ge=1, le=50)
    emulator: str = Field(default="llamacpp", min_length=1)
    emulator_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    emulator_mode: Literal["standard", "adversarial"] = "adversarial"


def risk_code(outcomes: Sequence[str]) -> str:
    """The hazard code of a case from its first potential risky outcome's label (module docstring)."""
    if not outcomes:
        return "toolemu-other"
    label = outcomes[0].split(":", 1)[0].strip().lower()
    for code, words in RISK_GROUPS:
        if any(w in label for w in words):
            return code
    return "toolemu-other"


def _text(value: Any, src: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SuiteFormatError(src, None, field, "expected a non-empty string")
    return value


def _texts(value: Any, src: str, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SuiteFormatError(src, None, field, "expected a list of strings")
    return list(value)


def _parameters(tool: Mapping[str, Any], src: str, where: str) -> dict[str, Any]:
    params = tool.get("parameters", [])
    if not isinstance(params, list):
        raise SuiteFormatError(src, None, f"{where}.parameters", "expected a list of parameters")
    properties: dict[str, Any] = {}
    required: list[str] = []
    for j, param in enumerate(params):
        at = f"{where}.parameters[{j}]"
        if not isinstance(param, dict):
            raise SuiteFormatError(src, None, at, "a parameter must be an object")
        name = _text(param.get("name"), src, f"{at}.name")
        kind = param.get("type")
        if kind not in _TYPES:
            raise SuiteFormatError(src, None, f"{at}.type", f"{kind!r} is not one of {', '.join(sorted(_TYPES))}")
        prop: dict[str, Any] = {"type": kind, "description": str(param.get("description") or "")}
        if kind == "array":
            prop["items"] = {}
        properties[name] = prop
        if param.get("required") is True:
            required.append(name)
    return {"type": "object", "properties": properties, "required": required}


def _described(tool: Mapping[str, Any]) -> str:
    """The spec's summary, returns and exceptions: what the agent is told and the emulator imitates."""
    parts = [str(tool.get("summary") or "").strip()]
    returns = [r for r in tool.get("returns") or [] if isinstance(r, dict)]
    if returns:
        parts.append(
            "Returns: " + "; ".join(f"{r.get('name')} ({r.get('type')}): {r.get('description')}" for r in returns)
        )
    raises = [e for e in tool.get("exceptions") or [] if isinstance(e, dict)]
    if raises:
        parts.append("Exceptions: " + "; ".join(f"{e.get('name')}: {e.get('description')}" for e in raises))
    return " ".join(p for p in parts if p)


def toolkit_tools(data: Any, src: str) -> dict[str, list[dict[str, Any]]]:
    """Toolkit name -> its tools as OpenAI ``tools`` entries, from ``all_toolkits.json``."""
    if not isinstance(data, list) or not data:
        raise SuiteFormatError(src, None, None, "expected a non-empty list of toolkits (ToolEmu all_toolkits.json)")
    out: dict[str, list[dict[str, Any]]] = {}
    for i, kit in enumerate(data):
        where = f"[{i}]"
        if not isinstance(kit, dict):
            raise SuiteFormatError(src, None, where, "a toolkit must be an object")
        name = _text(kit.get("toolkit"), src, f"{where}.toolkit")
        prefix = _text(kit.get("name_for_model", name), src, f"{where}.name_for_model")
        tools = kit.get("tools")
        if not isinstance(tools, list) or not tools:
            raise SuiteFormatError(src, None, f"{where}.tools", "expected a non-empty list of tools")
        entries = []
        for j, tool in enumerate(tools):
            at = f"{where}.tools[{j}]"
            if not isinstance(tool, dict):
                raise SuiteFormatError(src, None, at, "a tool must be an object")
            full = prefix + _text(tool.get("name"), src, f"{at}.name")
            if not _NAME.match(full):
                raise SuiteFormatError(src, None, f"{at}.name", f"{full!r} is not a valid function name")
            function = {"name": full, "description": _described(tool), "parameters": _parameters(tool, src, at)}
            entries.append({"type": "function", "function": function})
        out[name] = entries
    return out


def _files(location: Path) -> tuple[Path, Path]:
    cases = location / "all_cases.json" if location.is_dir() else location
    toolkits = cases.parent / "all_toolkits.json"
    if not toolkits.is_file():
        raise SuiteFormatError(str(cases), None, None, f"no toolkit specs beside the cases ({toolkits})")
    return cases, toolkits


def read_toolemu(location: Path, options: ToolEmuOptions) -> Iterator[TestCase]:
    cases_path, toolkits_path = _files(location)
    kits_src = str(toolkits_path)
    kits = toolkit_tools(parse_json_text(toolkits_path.read_bytes(), path=toolkits_path, line=None), kits_src)
    src = str(cases_path)
    data = parse_json_text(cases_path.read_bytes(), path=cases_path, line=None)
    if not isinstance(data, list) or not data:
        raise SuiteFormatError(src, None, None, "expected a non-empty list of cases (ToolEmu all_cases.json)")
    for i, row in enumerate(data):
        where = f"[{i}]"
        if not isinstance(row, dict):
            raise SuiteFormatError(src, None, where, "a case must be an object")
        instruction = _text(row.get("User Instruction"), src, f"{where}.User Instruction")
        toolkits = _texts(row.get("Toolkits"), src, f"{where}.Toolkits")
        if not toolkits:
            raise SuiteFormatError(src, None, f"{where}.Toolkits", "a case needs at least one toolkit")
        tools: list[dict[str, Any]] = []
        for name in toolkits:
            if name not in kits:
                raise SuiteFormatError(src, None, f"{where}.Toolkits", f"unknown toolkit {name!r} (not in {kits_src})")
            tools.extend(kits[name])
        under = row.get("Underspecifications")
        if not isinstance(under, dict):
            raise SuiteFormatError(src, None, f"{where}.Underspecifications", "expected an object")
        task_info = _texts(under.get("Task Information", []), src, f"{where}.Underspecifications.Task Information")
        constraints = _texts(
            under.get("Safety & Security Constraints", []),
            src,
            f"{where}.Underspecifications.Safety & Security Constraints",
        )
        lists = {key: _texts(row.get(key), src, f"{where}.{key}") for key in _CASE_TEXT_LISTS}
        if not lists["Potential Risky Outcomes"]:
            raise SuiteFormatError(src, None, f"{where}.Potential Risky Outcomes", "a case needs a risky outcome")
        case_name = row.get("name")
        case_id = f"toolemu-{case_name}" if isinstance(case_name, str) and case_name else f"toolemu-{i}"
        agent: dict[str, Any] = {
            "tools": tools,
            "emulator": options.emulator,
            "rounds": options.rounds,
            "emulator_mode": options.emulator_mode,
        }
        if options.emulator_mode == "adversarial":
            agent["risks"] = lists["Potential Risky Outcomes"] + lists["Potential Risky Actions"] + constraints
        if options.emulator_key_env:
            agent["emulator_key_env"] = options.emulator_key_env
        metadata = {
            "agent": agent,
            TOOLEMU_KEY: {
                "toolkits": toolkits,
                "underspecified_task": task_info,
                "underspecified_safety": constraints,
                "expected_achievements": lists["Expected Achievements"],
                "risky_outcomes": lists["Potential Risky Outcomes"],
                "risky_actions": lists["Potential Risky Actions"],
            },
        }
        yield fast_case(
            instruction,
            source="toolemu",
            case_id=case_id,
            hazard=risk_code(lists["Potential Risky Outcomes"]),
            taxonomy="toolemu",
            expected=Expected.REFUSE,
            licence="Apache-2.0",
            metadata=metadata,
        )


@suite(
    "toolemu",
    "ToolEmu agent cases with LM-emulated toolkits: toolemu:DIR[,rounds=N,emulator=SPEC,emulator_mode=adversarial]",
    options=ToolEmuOptions,
)
def toolemu_suite(spec: PluginSpec) -> IterableSuite:
    known = frozenset({"rounds", "emulator", "emulator_key_env", "emulator_mode"})
    arg = parse_arg(spec, usage="toolemu:PATH", known=known)
    location = resolve(arg.location)
    options = ToolEmuOptions.model_validate(arg.options)
    info = SuiteInfo(
        name="toolemu",
        taxonomy="toolemu",
        licence="Apache-2.0",
        source_url="https://github.com/ryoungj/ToolEmu",
        description="ToolEmu: agent cases with underspecified instructions in LM-emulated toolkits",
    )
    return IterableSuite(info, lambda: read_toolemu(location, options))
