"""An agent trajectory as a value: the turns a trajectory judge reads.

The shape follows the public agent-safety records (R-Judge, ASSEBench): a list of turns, each from
the *user*, the *agent* (its ``thought`` and the ``action`` it took, a tool call or a final
answer) or the *environment* (a tool's observation). It lives in ``core`` because judges (which
grade it) and agents/runner (which produce it) both need it, and judges sit below agents.

A trajectory is also a conversation: :meth:`Trajectory.from_messages` reads one from the chat
messages of an episode (user / assistant / tool), so a judge can take either form.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from riskscope.core._types import Message

TurnRole = Literal["user", "agent", "environment"]

__all__ = ["Trajectory", "TrajectoryTurn", "TurnRole"]


class TrajectoryTurn(BaseModel):
    """One turn; ``content`` for user and environment turns, ``thought`` and ``action`` for the agent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: TurnRole
    content: str = ""
    thought: str = ""
    action: str = ""

    @property
    def text(self) -> str:
        """Everything the turn says, in one string (thought and action joined for the agent)."""
        if self.role == "agent":
            return "\n".join(part for part in (self.thought, self.action) if part)
        return self.content


class Trajectory(BaseModel):
    """The turns of one agent interaction, in order, and the agent's profile (its system prompt)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    turns: tuple[TrajectoryTurn, ...]
    profile: str = ""

    @property
    def agent_turns(self) -> tuple[TrajectoryTurn, ...]:
        return tuple(t for t in self.turns if t.role == "agent")

    @property
    def first_request(self) -> str:
        """The first user turn: what the agent was asked to do."""
        return next((t.content for t in self.turns if t.role == "user"), "")

    def agent_text(self) -> str:
        """What the agent did (thoughts and actions), one turn a paragraph: the "response" of the episode."""
        return "\n\n".join(t.text for t in self.agent_turns if t.text)

    @classmethod
    def from_messages(cls, messages: Sequence[Message], final: str | None = None) -> Trajectory:
        """A trajectory from an episode's chat messages, plus the agent's final reply if given.

        system -> profile, user -> user, assistant -> agent (content as thought, tool calls as the
        action, in their JSON form), tool -> environment.
        """
        profile: list[str] = []
        turns: list[TrajectoryTurn] = []
        for message in messages:
            if message.role == "system":
                profile.append(message.content)
            elif message.role == "user":
                turns.append(TrajectoryTurn(role="user", content=message.content))
            elif message.role == "tool":
                turns.append(TrajectoryTurn(role="environment", content=message.content))
            else:
                action = json.dumps(list(message.tool_calls), ensure_ascii=False) if message.tool_calls else ""
                turns.append(TrajectoryTurn(role="agent", thought=message.content, action=action))
        if final:
            turns.append(TrajectoryTurn(role="agent", action=final))
        return cls(turns=tuple(turns), profile="\n".join(profile))
