"""The trajectory viewer's data: an agent episode step by step, with the judges' verdicts on it.

Shown in the HTML report and the dashboard by the shared ``_episode.html.j2`` (all of it is model or
tool text, escaped there like every response). Each row is one committed step: the agent's turn
(its text and tool calls) or a tool's (the call, its arguments, the observation, and whether the
call was malformed or the tool failed). The item's verdicts sit under the trajectory, since the
trajectory judges read the whole of it; a judge that names steps marks them on their rows.

How a judge names steps: its verdict's ``labels["unsafe_steps"]``, the episode's step indices
separated by commas (e.g. ``"3,5"``), set by ``judges/_step_marks.py``: the rule judges
(``privacy-leak``, ``agentdojo``) mark the call that triggered their verdict, the LLM judges
(``trajectory-rubric``, ``toolemu-safety``) the agent turns they name (checked against the record).
:func:`marked_steps` lists every marked step of a run for the dashboard's agent page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from riskscope.core import Verdict

__all__ = ["MARKED_SHOWN", "STEP_LABEL", "marked_steps", "trajectory_view"]

STEP_LABEL = "unsafe_steps"
MARKED_SHOWN = 200  # rows listed on the agent page; the rest are counted


def _call_text(call: Any) -> tuple[str, str]:
    function = call.get("function") if isinstance(call, Mapping) else None
    if not isinstance(function, Mapping):
        return "?", str(call)[:500]
    return str(function.get("name") or "?"), str(function.get("arguments", ""))[:500]


def _marked_steps(verdicts: Mapping[str, Verdict]) -> dict[int, list[str]]:
    marks: dict[int, list[str]] = {}
    for name, verdict in sorted(verdicts.items()):
        for part in str(verdict.labels.get(STEP_LABEL, "")).split(","):
            if part.strip().isdigit():
                marks.setdefault(int(part), []).append(name)
    return marks


def trajectory_view(turns: Sequence[Any], verdicts: Mapping[str, Verdict]) -> dict[str, Any] | None:
    """Rows for an agent episode (one with tool steps, or agent turns that called tools); else None."""
    steps = [t for t in turns if isinstance(t, Mapping) and t.get("kind") in ("target", "tool")]
    if not any(t.get("kind") == "tool" or t.get("tool_calls") for t in steps):
        return None
    marks = _marked_steps(verdicts)
    rows: list[dict[str, Any]] = []
    for turn in steps:
        index = turn.get("index")
        marked = marks.get(index, []) if isinstance(index, int) else []
        row: dict[str, Any] = {"index": index, "kind": turn.get("kind"), "marks": marked}
        note = turn.get("note") if isinstance(turn.get("note"), Mapping) else {}
        if turn.get("kind") == "tool":
            row["tool"] = str(turn.get("tool") or "?")
            row["arguments"] = str(turn.get("arguments", ""))
            row["observation"] = str(turn.get("observation", ""))
            row["malformed"] = turn.get("malformed")
            row["tool_error"] = bool(note.get("tool_error")) if isinstance(note, Mapping) else False
        else:
            row["round"] = note.get("round") if isinstance(note, Mapping) else None
            row["text"] = str(turn.get("answer") or "")
            row["calls"] = [
                {"tool": name, "arguments": arguments}
                for name, arguments in (_call_text(c) for c in turn.get("tool_calls") or [])
            ]
        rows.append(row)
    judged = [
        {
            "judge": name,
            "outcome": verdict.outcome.value,
            "why": verdict.reason or verdict.rationale,
            "steps": sorted(i for i, names in marks.items() if name in names),
        }
        for name, verdict in sorted(verdicts.items())
    ]
    return {"steps": rows, "verdicts": judged}


def _step_text(row: Mapping[str, Any]) -> str:
    if row["kind"] == "tool":
        return f"{row['tool']}({row['arguments']})"
    calls = "; ".join(f"-> {c['tool']}({c['arguments']})" for c in row["calls"])
    return "\n".join(part for part in (calls, row["text"]) if part)


def marked_steps(rows: Iterable[Any]) -> dict[str, Any]:
    """Every step a judge marked unsafe in a run's result rows (``store.ResultRow``): item, step, who,
    what it did, which judges; the first :data:`MARKED_SHOWN` listed, all counted. Model and tool text,
    escaped by the template like every response."""
    listed: list[dict[str, Any]] = []
    total = 0
    for row in rows:
        response = row.response
        episode = response.metadata.get("episode") if response is not None else None
        if not isinstance(episode, Mapping) or not isinstance(episode.get("turns"), list):
            continue
        view = trajectory_view(episode["turns"], row.verdicts)
        for step in view["steps"] if view else ():
            if not step["marks"]:
                continue
            total += 1
            if len(listed) < MARKED_SHOWN:
                listed.append(
                    {
                        "item": row.item.item_id,
                        "case": row.item.variant.case.id,
                        "step": step["index"],
                        "who": "tool" if step["kind"] == "tool" else "agent",
                        "what": _step_text(step)[:500],
                        "judges": step["marks"],
                    }
                )
    return {"steps": listed, "total": total}
