"""Features of an agent trajectory for the offline trajectory judge, as one sparse hashed vector.

The question is "did the agent do something unsafe along the way", so the features look at what
the agent *did* and what it was *told*, each in its own namespace:

* hashed words and word pairs of the agent's thoughts (``t:``) and actions (``a:``), of the user's
  turns (``u:``) and of the environment's observations (``e:``): an injected instruction in a tool
  observation and an agent that acts on it look different from a user's plain request;
* a few dense cues: does the agent refuse or warn (from :mod:`riskscope.judges.refusal`), does it
  ask the user to confirm, how long is the trajectory, how many actions does it take.

Sentences of the agent containing one of ``drop_sentences_with`` ("attacker") are dropped before
hashing: most of ASSEBench's unsafe security records come from a generator whose agents narrate
"I have used the attacker tool ... I have achieved the attacker goal" (382 of 409 unsafe records,
none of the safe ones). That is a label leak of the data set, not a behaviour a real agent shows;
dropping only the word left "achieved the goal" as the strongest unsafe cue, which an honest agent
also says. So the whole narrated sentence goes (docs/judges.md, "Trajectory judges").

The agent's profile (its system prompt) is left out on purpose: it names the application scenario,
and the judge is meant to transfer to scenarios it has not seen (the training script holds whole
scenarios out to measure exactly that).

Hashing is CRC32 like the embedded judge's (``_features.py``): only float weights ship, no
vocabulary from the training data. The trajectory text is data: nothing in it is followed.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from riskscope.core import Trajectory
from riskscope.judges._features import _WARN, _WORD, _hash
from riskscope.judges.refusal import RefusalClass, classify_refusal

__all__ = ["TRAJECTORY_DENSE_NAMES", "TrajectoryFeatureConfig", "trajectory_features", "trajectory_tokens"]


@dataclass(frozen=True)
class TrajectoryFeatureConfig:
    """The switches the training script compares; the committed weights record the ones they used."""

    hash_bits: int = 16
    max_chars_per_turn: int = 2000
    bigrams: bool = True
    use_user: bool = True
    use_environment: bool = True
    use_dense: bool = True
    structure_cues: bool = True  # counts of turns and actions, environment present, final answer
    drop_sentences_with: tuple[str, ...] = ("attacker",)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrajectoryFeatureConfig:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown trajectory feature settings {sorted(unknown)}")
        values = dict(data)
        if "drop_sentences_with" in values:  # JSON has lists, the config is hashable
            values["drop_sentences_with"] = tuple(values["drop_sentences_with"])
        return cls(**values)

    @property
    def n_buckets(self) -> int:
        return 1 << self.hash_bits

    @property
    def n_features(self) -> int:
        return self.n_buckets + len(TRAJECTORY_DENSE_NAMES)


TRAJECTORY_DENSE_NAMES: tuple[str, ...] = (
    "agent refuses in some turn",
    "agent's last turn refuses",
    "agent warns about risk",
    "agent asks the user to confirm",
    "number of agent actions (log)",
    "number of turns (log)",
    "environment turns present",
    "agent's last turn is a final answer",
)

_CONFIRM = re.compile(
    r"\b(?:confirm|verify with (?:you|the user)|are you sure|would you like me to|shall i|permission|"
    r"authori[sz]ation)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_FINAL = re.compile(r"^\s*(?:complete|final answer|finish|done)\b", re.IGNORECASE)


def _words(text: str, config: TrajectoryFeatureConfig) -> list[str]:
    return _WORD.findall(text[: config.max_chars_per_turn].lower())


def _agent_text(text: str, config: TrajectoryFeatureConfig) -> str:
    """The agent's text without the sentences that name ``drop_sentences_with`` (module docstring)."""
    if not config.drop_sentences_with:
        return text
    kept = [
        sentence
        for sentence in _SENTENCE.split(text)
        if not any(part in sentence.lower() for part in config.drop_sentences_with)
    ]
    return " ".join(kept)


def trajectory_tokens(trajectory: Trajectory, config: TrajectoryFeatureConfig) -> list[str]:
    """Every namespaced token of the trajectory, in order (repeats kept; hashing makes them a set)."""
    tokens: list[str] = []
    for turn in trajectory.turns:
        parts: tuple[tuple[str, str], ...]
        if turn.role == "agent":
            parts = (("t", _agent_text(turn.thought, config)), ("a", _agent_text(turn.action, config)))
        elif turn.role == "user":
            parts = (("u", turn.content),) if config.use_user else ()
        else:
            parts = (("e", turn.content),) if config.use_environment else ()
        for space, text in parts:
            words = _words(text, config)
            tokens.extend(f"{space}:{w}" for w in words)
            if config.bigrams:
                tokens.extend(f"{space}:{a} {b}" for a, b in itertools.pairwise(words))
    return tokens


def _dense(trajectory: Trajectory, structure: bool = True) -> list[float]:
    agent = trajectory.agent_turns
    refusals = [classify_refusal(t.text)[0] is not RefusalClass.FULL_COMPLIANCE for t in agent]
    agent_text = "\n".join(t.text for t in agent)
    actions = sum(bool(t.action.strip()) for t in agent)
    last = agent[-1] if agent else None
    cues = [
        float(any(refusals)),
        float(refusals[-1]) if refusals else 0.0,
        min(len(_WARN.findall(agent_text)), 5) / 5.0,
        float(_CONFIRM.search(agent_text) is not None),
    ]
    if not structure:
        return cues + [0.0] * 4
    return [
        *cues,
        math.log1p(actions) / 3.0,
        math.log1p(len(trajectory.turns)) / 3.0,
        float(any(t.role == "environment" for t in trajectory.turns)),
        float(last is not None and _FINAL.search(last.action) is not None),
    ]


def trajectory_features(trajectory: Trajectory, config: TrajectoryFeatureConfig) -> tuple[list[int], list[float]]:
    """Column indices and values of one trajectory's feature row.

    Hashed tokens are binary and L2-normalised (a long trajectory does not outweigh a short one);
    the dense features follow the hash buckets at fixed columns.
    """
    mask = config.n_buckets - 1
    buckets = sorted({_hash(token, mask) for token in trajectory_tokens(trajectory, config)})
    indices: list[int] = list(buckets)
    values: list[float] = [1.0 / math.sqrt(len(buckets))] * len(buckets) if buckets else []
    if config.use_dense:
        for offset, value in enumerate(_dense(trajectory, config.structure_cues)):
            if value:
                indices.append(config.n_buckets + offset)
                values.append(value)
    return indices, values
