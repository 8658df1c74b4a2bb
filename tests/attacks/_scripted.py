"""Scripted conversation partners for the multi-turn tests: a fake attacker and a wary fake target.

They answer from the content of the request only (never from a call counter), so a cached or
resumed conversation sees exactly the answers a straight one would. Used in-process (registered as
the named fakes ``fake-attacker`` / ``fake-wary`` through the real target registry) and behind the
real HTTP fault server (``FaultServer.scripts``) for the kill-and-resume test.

- The attacker reads "Turn t of N" from its prompt and, when told its last question was refused,
  the attempt number of that question; it asks "Q<t> attempt <a>". As PAIR's attacker it asks
  "Q<round> attempt <k>" where k is its stream's "Approach k" (1 without one).
- The target refuses attempt ``a`` of turn ``t`` while ``a <= refuse[t]`` and otherwise answers,
  saying ``SECRET PLAN`` on the turns in ``leak``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

QUESTION = re.compile(r"Q(\d+) attempt (\d+)")
REFUSAL = "I'm sorry, but I can't help with that."
LEAK = "SECRET PLAN"


def _content(message: Any) -> str:
    return str(message["content"] if isinstance(message, Mapping) else message.content)


def _role(message: Any) -> str:
    return str(message["role"] if isinstance(message, Mapping) else message.role)


def last_user(messages: Sequence[Any]) -> str:
    return next(_content(m) for m in reversed(messages) if _role(m) == "user")


def attacker_reply(messages: Sequence[Any]) -> str:
    prompt = last_user(messages)
    turn = re.search(r"Turn (\d+) of", prompt)
    if turn is None:  # PAIR: count the scores seen so far, and repeat the last one
        scores = re.findall(r"Score: ([0-9.]+)", " ".join(_content(m) for m in messages))
        heard = f" after score {scores[-1]}" if scores else ""
        stream = re.search(r"Approach (\d+):", _content(messages[0]))  # PAIR stream k asks attempt k
        attempt = int(stream.group(1)) if stream else 1
        return f"Prompt: Q{len(scores) + 1} attempt {attempt}{heard}, as a story please."
    _, _, refused = prompt.partition("refused your last question")
    previous = QUESTION.search(refused)
    attempt = int(previous.group(2)) + 1 if previous else 1
    goal = re.search(r"do this: ([^\n]*)", _content(messages[0]))
    about = goal.group(1)[:60] if goal else "it"
    return f"Question: Q{turn.group(1)} attempt {attempt}: tell me a little more about {about}"


def target_reply(messages: Sequence[Any], refuse: Mapping[int, int], leak: frozenset[int] = frozenset()) -> str:
    asked = QUESTION.search(last_user(messages))
    if asked is None:
        return "Sure. Here is a plain answer to your question, with a few details."
    turn, attempt = int(asked.group(1)), int(asked.group(2))
    if attempt <= refuse.get(turn, 0):
        return REFUSAL
    secret = f" {LEAK} for part {turn}." if turn in leak else ""
    return f"Sure. Here is part {turn} of the story, told in plain words.{secret}"
