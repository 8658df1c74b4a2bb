"""Agents: tool-calling episodes in environments (issue 14).

An agent case carries its tools; :class:`AgentStrategy` plays it as an episode through the runner's
one episode loop (every step committed, resume exact), with tools answered by an
:class:`Environment` (Python functions, or a model emulating the tools from their schemas).
:class:`SimUserStrategy` lets a user-simulator model drive a multi-turn episode (HAICOSYSTEM-style).
docs/agents.md says what is measured and what is not yet.
"""

from riskscope.agents._asb import AsbEnvironment, asb_available
from riskscope.agents._calls import ToolCall, parse_calls, tool_names
from riskscope.agents._cases import case_episode_key, case_strategy_spec, episode_strategies, needs_tools
from riskscope.agents._environment import (
    EmulatedEnvironment,
    EmulatorPrompt,
    Environment,
    FunctionEnvironment,
    Observation,
)
from riskscope.agents._scripted import ScriptedEnvironment
from riskscope.agents._simuser import STOP, SimUserCase, SimUserStrategy, simuser_case, simuser_episode_key
from riskscope.agents._strategy import AGENT_SYSTEM, AgentCase, AgentStrategy, agent_case, agent_episode_key

__all__ = [
    "AGENT_SYSTEM",
    "STOP",
    "AgentCase",
    "AgentStrategy",
    "AsbEnvironment",
    "EmulatedEnvironment",
    "EmulatorPrompt",
    "Environment",
    "FunctionEnvironment",
    "Observation",
    "ScriptedEnvironment",
    "SimUserCase",
    "SimUserStrategy",
    "ToolCall",
    "agent_case",
    "agent_episode_key",
    "asb_available",
    "case_episode_key",
    "case_strategy_spec",
    "episode_strategies",
    "needs_tools",
    "parse_calls",
    "simuser_case",
    "simuser_episode_key",
    "tool_names",
]
