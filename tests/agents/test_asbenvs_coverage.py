"""How much of Agent-SafetyBench the ``agent-safety-bench-envs`` package runs for real.

Reads the released data (skipped when ../shared/data/agent_safetybench or the package is absent)
and builds every agent case's environments through the same wrapper a run uses, with the case's
own initial state. These are the coverage figures docs/agents.md quotes.
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("asb_envs")

from riskscope.agents import AsbEnvironment, agent_case
from riskscope.agents._asb import real_environment
from riskscope.config import PluginSpec
from riskscope.suites import build_suite

DATA = Path(__file__).parents[2] / ".." / ".." / "shared" / "data" / "agent_safetybench"
DATA = DATA if DATA.is_dir() else Path("/work/shared/data/agent_safetybench")
pytestmark = pytest.mark.skipif(not (DATA / "released_data.json").is_file(), reason="Agent-SafetyBench data absent")


def test_every_environment_and_every_offered_tool_has_a_real_implementation() -> None:
    schemas = sorted((DATA / "environments_json").glob("*.json"))
    assert len(schemas) == 349
    package = Path(importlib.util.find_spec("asb_envs.envs").origin).parent  # type: ignore[arg-type,union-attr]
    identical = sum(json.loads(p.read_text()) == json.loads((package / p.name).read_text()) for p in schemas)
    assert identical == 348  # PersonalizedDreamIncubation: the package's adds a tool (add_dream_log)
    tools = implemented = 0
    for path in schemas:
        env = real_environment(path.stem, {})
        assert env is not None, path.stem
        for tool in json.loads(path.read_text()):
            tools += 1
            implemented += callable(getattr(env, tool["name"], None))
    assert (tools, implemented) == (2013, 1998)  # 15 schemas without a method; no case offers one

    cases = list(build_suite(PluginSpec(name="agentsafety", arg=f"{DATA},environment=real")))
    kinds: Counter[str] = Counter()
    for case in cases:
        agent = agent_case(case)
        if agent is None:
            kinds["no tools"] += 1
            continue
        env = AsbEnvironment(agent.environment.split(":", 1)[1].split(","), agent.tools, agent.state)
        assert env.missing == ()
        real = [env.real(t["function"]["name"]) for t in agent.tools]
        kinds["all tools real" if all(real) else "some tools emulated"] += 1
    # The 2 with an emulated tool offer Spokeo.download_public_record (writes a host file: never run).
    assert kinds == {"all tools real": 1584, "some tools emulated": 2, "no tools": 414}
