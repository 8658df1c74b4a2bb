"""Per-step verdict marks: which steps of an agent episode a judge holds unsafe.

The trajectory viewer (``reports/_trajectory_view.py``) marks the rows a verdict names in
``labels["unsafe_steps"]``: the episode's *step indices*, comma-separated (``"3,5"``). Two kinds of
judge can name them, and both go through here so the label means one thing:

- rule judges (``privacy-leak``, ``agentdojo``) know the tool call that triggered their verdict and
  find its step with :func:`call_steps`;
- LLM judges (``trajectory-rubric``, ``toolemu-safety``) are asked for the numbers ``[n]`` of the
  record lines where the agent acted unsafely. Their reply is untrusted text: :func:`read_turn_numbers`
  keeps only integers that name an *agent* turn of the record it was shown and records every other
  entry (out of range, a user or environment turn, not a number) in ``labels["ignored_steps"]``, so a
  judge cannot mark a step that does not exist, and a dropped mark is visible rather than silent. The
  record's turn numbers are kept in ``labels["unsafe_turns"]`` (what a labelled file has: no episode);
  :func:`turn_to_step` maps them to step indices when the trajectory came from an episode.

A mark is only set on an UNSAFE verdict: a SAFE verdict naming unsafe steps contradicts itself, and
its steps are recorded as ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from riskscope.core import Message, Response, Trajectory

__all__ = [
    "IGNORED_LABEL",
    "STEPS_LABEL",
    "TURNS_LABEL",
    "call_steps",
    "llm_step_labels",
    "read_turn_numbers",
    "step_list",
    "turn_to_step",
]

STEPS_LABEL = "unsafe_steps"  # the viewer's label (reports/_trajectory_view.STEP_LABEL)
TURNS_LABEL = "unsafe_turns"
IGNORED_LABEL = "ignored_steps"
_MAX_MARKS = 50  # a reply listing more has not read the record; the rest are ignored, and said so
_ROLE_OF_KIND = {"target": "assistant", "tool": "tool", "attacker": "user"}


def step_list(indices: Iterable[int]) -> str:
    """The label's form: sorted, distinct, comma-separated."""
    return ",".join(str(i) for i in sorted(set(indices)))


def read_turn_numbers(raw: Any, trajectory: Trajectory) -> tuple[list[int], list[str]]:
    """The agent-turn numbers (1-based, as the record was rendered) a judge named, and what was ignored."""
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [f"{str(raw)[:40]!r} (not a list)"]
    kept: list[int] = []
    ignored: list[str] = []
    for entry in raw:
        number = entry
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        if isinstance(number, bool) or not isinstance(number, int):
            ignored.append(f"{str(entry)[:20]!r} (not a number)")
        elif not 1 <= number <= len(trajectory.turns):
            ignored.append(f"{number} (out of range 1-{len(trajectory.turns)})")
        elif trajectory.turns[number - 1].role != "agent":
            ignored.append(f"{number} ({trajectory.turns[number - 1].role} turn, not the agent's)")
        elif len(kept) >= _MAX_MARKS:
            ignored.append(f"{number} (more than {_MAX_MARKS} marks)")
        elif number not in kept:
            kept.append(number)
    return sorted(kept), ignored


def _episode_messages(response: Response) -> tuple[list[Message], list[Mapping[str, Any]], int] | None:
    episode = response.metadata.get("episode")
    if not isinstance(episode, Mapping):
        return None
    transcript, turns, answer = episode.get("transcript"), episode.get("turns"), episode.get("answer_step")
    if not isinstance(transcript, list) or not isinstance(turns, list) or not isinstance(answer, int):
        return None
    try:
        messages = [Message.model_validate(m) for m in transcript]
    except ValueError:
        return None
    return messages, [t for t in turns if isinstance(t, Mapping)], answer


def turn_to_step(response: Response) -> dict[int, int] | None:
    """Trajectory turn number (1-based, as ``Trajectory.from_messages`` numbers them) -> episode step index.

    The transcript is the opening conversation (case messages, maybe a system prompt, an
    Agent-SafetyBench prefilled dialog) followed by one message per committed step before the answer
    step (agent call -> assistant, tool -> tool, simulated user -> user), and the final answer is the
    answer step. The steps are matched to the transcript's tail by role; any disagreement (a
    backtracking attack's dropped turns, a transcript not built this way) gives None: no step marks
    rather than wrong ones."""
    found = _episode_messages(response)
    if found is None:
        return None
    messages, turns, answer = found
    steps = [t for t in turns if t.get("kind") in _ROLE_OF_KIND and isinstance(t.get("index"), int)]
    steps = [t for t in steps if int(t["index"]) < answer]
    if len(steps) > len(messages):
        return None
    tail = messages[len(messages) - len(steps) :]
    step_of_message: dict[int, int] = {}
    for offset, (message, step) in enumerate(zip(tail, steps, strict=True)):
        if message.role != _ROLE_OF_KIND[str(step["kind"])]:
            return None
        step_of_message[len(messages) - len(steps) + offset] = int(step["index"])
    mapping: dict[int, int] = {}
    number = 0
    for position, message in enumerate(messages):
        if message.role == "system":  # from_messages folds system messages into the profile
            continue
        number += 1
        if position in step_of_message:
            mapping[number] = step_of_message[position]
    if response.text:
        mapping[number + 1] = answer
    return mapping


def llm_step_labels(raw: Any, trajectory: Trajectory, response: Response | None, unsafe: bool) -> dict[str, str]:
    """The labels an LLM judge's ``unsafe_steps`` reply gives (module docstring); empty when it named none."""
    turns, ignored = read_turn_numbers(raw, trajectory)
    if turns and not unsafe:
        ignored += [f"{n} (the verdict is safe)" for n in turns]
        turns = []
    labels: dict[str, str] = {}
    if turns:
        labels[TURNS_LABEL] = step_list(turns)
        mapping = turn_to_step(response) if response is not None else None
        if mapping is not None:
            steps = [mapping[n] for n in turns if n in mapping]
            ignored += [f"{n} (no episode step: a turn of the opening conversation)" for n in turns if n not in mapping]
            if steps:
                labels[STEPS_LABEL] = step_list(steps)
    if ignored:
        labels[IGNORED_LABEL] = "; ".join(ignored)[:500]
    return labels


def call_steps(response: Response, call_ids: Iterable[str], *, answer: bool = False) -> list[int]:
    """Step indices of the episode's tool steps answering the calls ``call_ids`` (each tool step records
    its call's id in ``note["call_id"]``), plus the answer step when ``answer``: how a rule judge that
    found the calls to blame names their steps. Empty when the response is not an episode."""
    episode = response.metadata.get("episode")
    turns = episode.get("turns") if isinstance(episode, Mapping) else None
    if not isinstance(episode, Mapping) or not isinstance(turns, list):
        return []
    wanted = set(call_ids)
    steps: list[int] = []
    for turn in turns:
        note = turn.get("note") if isinstance(turn, Mapping) else None
        if (
            isinstance(note, Mapping)
            and turn.get("kind") == "tool"
            and isinstance(turn.get("index"), int)
            and note.get("call_id") in wanted
        ):
            steps.append(int(turn["index"]))
    if answer and isinstance(episode.get("answer_step"), int):
        steps.append(int(episode["answer_step"]))
    return sorted(set(steps))
