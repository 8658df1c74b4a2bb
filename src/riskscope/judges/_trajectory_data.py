"""Labelled agent trajectories in the ASSEBench / R-Judge record format, for trajectory judges.

A record is an object with ``contents`` (the trajectory: a list of turns, or a list of rounds that
are lists of turns; each turn has ``role`` user / agent / environment, user and environment turns
a ``content``, agent turns a ``thought`` and an ``action``), ``label`` (1 = unsafe, 0 = safe) and,
where the source has them, ``profile`` (the agent's system prompt), ``application_scenario``,
``risk_type``, ``failure_mode`` and ``id``. A file is a JSON array of records (ASSEBench's
``AgentJudge-security.json``, R-Judge's per-scenario files) or JSONL, one record a line.

A malformed record raises :class:`~riskscope.errors.SuiteFormatError` naming the file, the record
(JSONL line, or ``[index]`` in an array) and the field, e.g. ``[12].contents[0][3].action``.

:func:`trajectory_of` is the other direction: the trajectory a judge grades, from what it is given
(a labelled record carries it in ``TestCase.metadata``; an episode gives chat messages).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from riskscope.core import Message, Outcome, Response, TestCase, Trajectory, TrajectoryTurn, stable_hash
from riskscope.errors import ConfigError, SuiteFormatError

__all__ = [
    "TRAJECTORY_KEY",
    "TrajectoryRecord",
    "is_trajectory_file",
    "load_trajectory_records",
    "trajectory_of",
]

# Where a labelled trajectory rides in ``TestCase.metadata`` (its JSON form).
TRAJECTORY_KEY = "trajectory"
_ROLES = ("user", "agent", "environment")
_OPTIONAL_TEXT = ("application_scenario", "risk_type", "failure_mode", "profile")


@dataclass(frozen=True)
class TrajectoryRecord:
    """One labelled trajectory; ``where`` locates it in its file for error messages and reports."""

    id: str
    trajectory: Trajectory
    label: Outcome
    application_scenario: str | None = None
    risk_type: str | None = None
    failure_mode: str | None = None
    where: str = ""


def _turn(raw: Any, src: str, line: int | None, where: str) -> TrajectoryTurn:
    if not isinstance(raw, dict):
        raise SuiteFormatError(src, line, where, "a turn must be an object with a role")
    role = raw.get("role")
    if role not in _ROLES:
        raise SuiteFormatError(src, line, f"{where}.role", f"{role!r} is not one of {', '.join(_ROLES)}")
    fields = ("thought", "action") if role == "agent" else ("content",)
    values: dict[str, str] = {}
    for name in fields:
        value = raw.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise SuiteFormatError(src, line, f"{where}.{name}", "must be a string")
        values[name] = value
    if role == "agent" and not (values["thought"] or values["action"]):
        raise SuiteFormatError(src, line, f"{where}.action", "an agent turn needs a thought or an action")
    return TrajectoryTurn(role=role, **values)


def _turns(contents: Any, src: str, line: int | None, where: str) -> tuple[TrajectoryTurn, ...]:
    if not isinstance(contents, list) or not contents:
        raise SuiteFormatError(src, line, where, "must be a non-empty list of turns (or of rounds of turns)")
    turns: list[TrajectoryTurn] = []
    for i, item in enumerate(contents):
        if isinstance(item, list):  # a round: ASSEBench and R-Judge nest turns one level
            turns.extend(_turn(raw, src, line, f"{where}[{i}][{j}]") for j, raw in enumerate(item))
        else:
            turns.append(_turn(item, src, line, f"{where}[{i}]"))
    if not any(t.role == "agent" for t in turns):
        raise SuiteFormatError(src, line, where, "has no agent turn: nothing to judge")
    return tuple(turns)


def _label(value: Any, src: str, line: int | None, where: str) -> Outcome:
    # 1 / 0 only: these sets define nothing else, and a "2" or "unsafe?" is a broken file, not a guess.
    if isinstance(value, bool) or value not in (0, 1, "0", "1"):
        raise SuiteFormatError(src, line, where, f"label {value!r} is not 1 (unsafe) or 0 (safe)")
    return Outcome.UNSAFE if int(value) == 1 else Outcome.SAFE


def record_from_json(row: Any, src: str, line: int | None, prefix: str) -> TrajectoryRecord:
    """One record; ``prefix`` is ``[i].`` inside a JSON array, empty for a JSONL line."""
    if not isinstance(row, dict):
        raise SuiteFormatError(src, line, prefix.rstrip(".") or None, "a record must be a JSON object")
    if "contents" not in row:
        raise SuiteFormatError(src, line, prefix + "contents", "missing field")
    if "label" not in row:
        raise SuiteFormatError(src, line, prefix + "label", "missing field")
    turns = _turns(row["contents"], src, line, prefix + "contents")
    label = _label(row["label"], src, line, prefix + "label")
    text: dict[str, str | None] = {}
    for name in _OPTIONAL_TEXT:
        value = row.get(name)
        if value is not None and not isinstance(value, str):
            raise SuiteFormatError(src, line, prefix + name, "must be a string")
        text[name] = value or None
    raw_id = row.get("id")
    key = prefix.rstrip(".") or line
    record_id = f"t-{raw_id}" if raw_id is not None else "t-" + stable_hash({"source": src, "key": key}, 16)
    return TrajectoryRecord(
        id=record_id,
        trajectory=Trajectory(turns=turns, profile=text["profile"] or ""),
        label=label,
        application_scenario=text["application_scenario"],
        risk_type=text["risk_type"],
        failure_mode=text["failure_mode"],
        where=f"line {line}" if line is not None else (prefix.rstrip(".") or "record"),
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SuiteFormatError(str(path), None, None, f"not UTF-8 at byte {exc.start}") from exc


def load_trajectory_records(path: Path) -> list[TrajectoryRecord]:
    """Every record of a JSON-array or JSONL trajectory file (module docstring: the format)."""
    src = str(path)
    text = _read_text(path)
    if path.suffix.lower() == ".jsonl":
        records = []
        for number, raw_line in enumerate(text.splitlines(), start=1):
            if not raw_line.strip():
                continue
            try:
                row = json.loads(raw_line)
            except json.JSONDecodeError as exc:
                raise SuiteFormatError(src, number, None, f"invalid JSON: {exc.msg}") from exc
            records.append(record_from_json(row, src, number, ""))
        if not records:
            raise SuiteFormatError(src, None, None, "no records")
        return records
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SuiteFormatError(src, exc.lineno, None, f"invalid JSON: {exc.msg}") from exc
    except RecursionError:
        raise SuiteFormatError(src, None, None, "JSON nested too deeply") from None
    if not isinstance(data, list) or not data:
        raise SuiteFormatError(src, 1, None, "expected a non-empty JSON array of trajectory records")
    return [record_from_json(row, src, None, f"[{i}].") for i, row in enumerate(data)]


def is_trajectory_file(path: Path) -> bool:
    """True when the file's first record has ``contents`` (the trajectory format), without parsing it all."""
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(4096)
    except (OSError, UnicodeDecodeError):
        return False
    stripped = head.lstrip()
    if path.suffix.lower() == ".jsonl":
        try:
            first = json.loads(stripped.splitlines()[0]) if stripped else None
        except (json.JSONDecodeError, IndexError):
            return False
        return isinstance(first, dict) and "contents" in first
    # A JSON array whose first object opens with (or soon names) "contents".
    return stripped.startswith("[") and '"contents"' in head


def trajectory_of(case: TestCase, response: Response) -> Trajectory | None:
    """The trajectory to grade: a labelled record's (in the case metadata), else the episode's messages
    followed by the final response; None when there is no agent turn to judge."""
    raw = case.metadata.get(TRAJECTORY_KEY)
    if raw is not None:
        try:
            return raw if isinstance(raw, Trajectory) else Trajectory.model_validate(raw)
        except ValidationError:
            return None
    # A run's judges get the case as written (the goal) and the answer; an episode's transcript (tool
    # calls and observations included) travels with the answer (runner/_episodes.py).
    episode = response.metadata.get("episode")
    messages: Sequence[Message] = case.messages
    if isinstance(episode, dict) and isinstance(episode.get("transcript"), list):
        try:
            messages = [Message.model_validate(m) for m in episode["transcript"]]
        except ValidationError:
            return None
    trajectory = Trajectory.from_messages(messages, response.text)
    return trajectory if trajectory.agent_turns else None
