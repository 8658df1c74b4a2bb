"""Which episode a case is: a simulated-user one, an agent one, or none (a plain item).

The runner asks here, once, instead of knowing each kind: a simulated-user case may also carry
tools (its agent block), and then the simulated user drives and the tools are answered inside
that episode, so the simulated-user strategy takes precedence over the agent one.
"""

from __future__ import annotations

from collections.abc import Sequence

from riskscope.agents._simuser import SimUserStrategy, simuser_case, simuser_episode_key
from riskscope.agents._strategy import AgentStrategy, agent_case, agent_episode_key
from riskscope.core import EpisodeStrategy, TestCase

__all__ = ["case_episode_key", "case_strategy_spec", "episode_strategies", "needs_tools"]


def case_episode_key(case: TestCase) -> str | None:
    """What keeps an episode case's cached answer apart from the same prompt played otherwise."""
    return simuser_episode_key(case) or agent_episode_key(case)


def case_strategy_spec(case: TestCase) -> str | None:
    """The spec of the strategy that plays a case (a key of :func:`episode_strategies`), or None."""
    sim = simuser_case(case)
    if sim is not None:
        return SimUserStrategy.spec_of(sim)
    agent = agent_case(case)
    return None if agent is None else AgentStrategy.spec_of(agent)


def episode_strategies(cases: Sequence[TestCase]) -> dict[str, EpisodeStrategy]:
    """One strategy per spec among the cases; a bad agent or simuser block fails here, before a run."""
    found: dict[str, EpisodeStrategy] = {}
    for case in cases:
        sim = simuser_case(case)
        agent = agent_case(case)
        if sim is not None:
            found.setdefault(SimUserStrategy.spec_of(sim), SimUserStrategy.for_case(sim))
        elif agent is not None:
            found.setdefault(AgentStrategy.spec_of(agent), AgentStrategy.for_case(agent))
    return found


def needs_tools(cases: Sequence[TestCase]) -> bool:
    """Does any case carry tools (so the target must take them per request)?"""
    return any(agent_case(case) is not None for case in cases)
