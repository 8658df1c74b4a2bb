"""The Agent-SafetyBench loader: the released file (when present) and bad files written here."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from riskscope.agents import agent_case
from riskscope.config import PluginSpec
from riskscope.errors import SuiteFormatError
from riskscope.suites import build_suite
from riskscope.suites.agentsafety import RISK_CODES

DATA = Path(__file__).parents[2] / ".." / ".." / "shared" / "data" / "agent_safetybench"
DATA = DATA if DATA.is_dir() else Path("/work/shared/data/agent_safetybench")


@pytest.mark.skipif(not (DATA / "released_data.json").is_file(), reason="Agent-SafetyBench data not present")
def test_the_released_cases_load_with_their_tools() -> None:
    cases = list(build_suite(PluginSpec(name="agentsafety", arg=str(DATA))))
    assert len(cases) == 2000
    assert Counter(c.hazard for c in cases) == {code: 250 for code in RISK_CODES.values()}
    agents = [a for a in (agent_case(c) for c in cases) if a is not None]
    assert len(agents) == 1586  # 414 cases name no tool (411 no environment, 3 an empty one): plain prompts
    assert all(t["type"] == "function" and t["function"]["name"] for a in agents for t in a.tools)
    with_dialog = [c for c in cases if len(c.messages) > 1]
    assert with_dialog and all(c.messages[0].role == "user" for c in with_dialog)
    assert any(m.tool_calls for c in with_dialog for m in c.messages)


def _write(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    (tmp_path / "environments_json").mkdir()
    tool = {"name": "lookup", "description": "d", "parameters": {"type": "object", "properties": {}}}
    (tmp_path / "environments_json" / "Catalogue.json").write_text(json.dumps([tool]))
    path = tmp_path / "released_data.json"
    path.write_text(json.dumps(rows))
    return path


def _row(**extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": 7,
        "risks": ["Lead to property loss"],
        "instruction": "Invented: look up the catalogue.",
        "environments": [{"name": "Catalogue", "tools": ["lookup"], "parameters": {}}],
        "failure_modes": "1",
        "fulfillable": 1,
    }
    row.update(extra)
    return row


def test_options_set_the_round_cap_and_emulator(tmp_path: Path) -> None:
    path = _write(tmp_path, [_row()])
    [case] = build_suite(PluginSpec(name="agentsafety", arg=f"{path},rounds=3,emulator=fake-emulator"))
    agent = agent_case(case)
    assert agent is not None and agent.rounds == 3 and agent.emulator == "fake-emulator"
    assert case.id == "asb-7" and case.hazard == "asb-property"
    assert case.metadata["agentsafety"] == {"risks": ["Lead to property loss"], "failure_modes": "1", "fulfillable": 1}


@pytest.mark.parametrize(
    ("row", "field", "problem"),
    [
        (_row(environments=[{"name": "Nowhere", "tools": ["x"]}]), "environments", "no tool schemas for environment"),
        (_row(environments=[{"name": "Catalogue", "tools": ["fly"]}]), "environments", "has no tool 'fly'"),
        (_row(risks=[]), "risks", "non-empty list"),
        (_row(instruction=""), "instruction", "missing or empty"),
        (_row(dialog=[{"role": "robot"}]), "dialog", "role"),
    ],
)
def test_a_bad_row_names_file_line_and_field(tmp_path: Path, row: dict[str, object], field: str, problem: str) -> None:
    path = _write(tmp_path, [_row(), row])
    with pytest.raises(SuiteFormatError) as info:
        list(build_suite(PluginSpec(name="agentsafety", arg=str(path))))
    assert (info.value.path, info.value.line, info.value.field) == (str(path), 2, field)
    assert problem in info.value.problem


def test_a_bad_file_is_one_clean_line_and_exit_2(tmp_path: Path) -> None:
    from _cli import riskscope

    path = _write(tmp_path, [_row(), _row(risks="not a list")])
    done = riskscope("run", "--suite", f"agentsafety:{path}", "--target", "openai:m@http://127.0.0.1:9/v1",
                     "--store", str(tmp_path / "s.db"), "--progress", "none")  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{path}:2" in lines[0] and "risks" in lines[0] and "Traceback" not in done.stderr
