"""Agents: tool-calling episodes in environments (issue 14).

An agent case carries its tools; :class:`AgentStrategy` plays it as an episode through the runner's
one episode loop (every step committed, resume exact), with tools answered by an
:class:`Environment` (Python functions, or a model emulating the tools from their schemas).
docs/agents.md says what is measured and what is not yet.
"""

from riskscope.agents._asb import AsbEnvironment, asb_available
from riskscope.agents._calls import ToolCall, parse_calls, tool_names
from riskscope.agents._environment import (
    EmulatedEnvironment,
    EmulatorPrompt,
    Environment,
    FunctionEnvironment,
    Observation,
)
from riskscope.agents._strategy import AGENT_SYSTEM, AgentCase, AgentStrategy, agent_case, agent_episode_key

__all__ = [
    "AGENT_SYSTEM",
    "AgentCase",
    "AgentStrategy",
    "AsbEnvironment",
    "EmulatedEnvironment",
    "EmulatorPrompt",
    "Environment",
    "FunctionEnvironment",
    "Observation",
    "ToolCall",
    "agent_case",
    "agent_episode_key",
    "asb_available",
    "parse_calls",
    "tool_names",
]
