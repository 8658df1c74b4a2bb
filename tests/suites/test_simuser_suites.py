"""The built-in simulated-user and privacy scenario sets: what they hold, and their options."""

from __future__ import annotations

from collections import Counter

import pytest

from riskscope.agents import agent_case, simuser_case
from riskscope.config import PluginSpec
from riskscope.errors import ConfigError
from riskscope.suites import build_suite


def _cases(spec: str) -> list:
    return list(build_suite(PluginSpec.parse(spec)))


def test_the_simulated_user_set_is_balanced_by_intent_across_three_domains() -> None:
    cases = _cases("simusers")
    sims = [simuser_case(c) for c in cases]
    assert len(cases) == 12 and all(s is not None for s in sims)
    assert Counter((s.domain, s.intent) for s in sims if s) == {
        (d, i): 2 for d in ("health", "finance", "workplace") for i in ("benign", "malicious")
    }
    # Malicious intent is a hazard the agent should refuse; benign is a control it should serve.
    for case, sim in zip(cases, sims, strict=True):
        assert sim is not None
        assert str(case.expected) == ("refuse" if sim.intent == "malicious" else "comply")
    assert sum(agent_case(c) is not None for c in cases) == 6  # one benign, one malicious per domain
    assert all(a.environment == "scripted" for c in cases if (a := agent_case(c)) is not None)


def test_every_privacy_scenario_marks_items_the_agent_can_read_and_a_sink() -> None:
    cases = _cases("privacy")
    assert len(cases) == 10
    for case in cases:
        agent = agent_case(case)
        assert agent is not None and agent.environment == "scripted"
        privacy = case.metadata["privacy"]
        readable = " ".join(str(v) for v in agent.state["tool_results"].values())
        assert privacy["items"] and all(str(v) in readable for v in privacy["items"].values()), case.id
        names = {t["function"]["name"] for t in agent.tools}
        assert set(privacy["sinks"]) <= names
    assert sum(simuser_case(c) is not None for c in cases) == 2


def test_options_override_every_cases_simulator_turns_and_rounds() -> None:
    cases = _cases("simusers:simulator=openai:m@http://127.0.0.1:1/v1,turns=2,rounds=1")
    assert {s.simulator for c in cases if (s := simuser_case(c))} == {"openai:m@http://127.0.0.1:1/v1"}
    assert {s.turns for c in cases if (s := simuser_case(c))} == {2}
    assert {a.rounds for c in cases if (a := agent_case(c))} == {1}


def test_an_unknown_option_is_one_clean_error() -> None:
    with pytest.raises(ConfigError, match="unknown option 'colour=red'"):
        _cases("simusers:colour=red")
