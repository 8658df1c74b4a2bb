"""What the HTML report and the dashboard show, derived from a run summary and its rows.

The summary's fields grow as the statistics stage adds figures (grades, exact intervals,
hazard-weighted rates); this module reads them defensively from the summary's JSON form so a
report renders whatever exists and simply leaves out what does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from riskscope.core import Expected, Response
from riskscope.reports._trajectory_view import trajectory_view
from riskscope.reports.agreement import judge_agreement
from riskscope.reports.attack_view import attack_view
from riskscope.reports.charts import agreement_chart, interval_chart, scatter_chart
from riskscope.reports.summary import benign_over_refusal
from riskscope.stats import wilson_interval
from riskscope.stats.figures import grade_badge, reporting_hazard
from riskscope.store import ResultRow
from riskscope.taxonomy import BENIGN

__all__ = ["estimate_dict", "extra_estimates", "grade_of", "item_view", "over_refusal_of", "report_view"]

_BASE_GROUP_KEYS = {"key", "name", "planned", "assessed", "unsafe", "unassessed", "unsafe_rate", "unassessed_reasons"}


def estimate_dict(successes: int, n: int) -> dict[str, Any]:
    """A Wilson estimate as JSON-safe data (no NaN: an empty slice has point None)."""
    data = wilson_interval(successes, n).to_dict()
    if n == 0:
        data["point"] = None
    return data


def _is_estimate(value: Any) -> bool:
    return isinstance(value, Mapping) and {"point", "low", "high"} <= set(value)


def grade_of(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """A grade badge from whatever grade field the summary carries, else None.

    Accepts a plain label, a dict with low/high or a range, and the statistics stage's grade
    distribution (``grade``, ``probabilities``, ``most_likely``, ``settled``, ``statement``): that
    one is drawn by ``stats.figures.grade_badge`` (the most likely tier, settled only when its
    probability reaches the threshold), as on every other surface.
    """
    for key in ("grade", "overall_grade", "grade_distribution"):
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            return {"label": value, "range": None, "detail": None, "settled": True, "probability": None}
        if isinstance(value, Mapping):
            if isinstance(value.get("probabilities"), Mapping):
                return grade_badge(value).to_dict()
            label = next((value[k] for k in ("grade", "label", "letter") if value.get(k) is not None), "no grade")
            low, high = value.get("low"), value.get("high")
            spread = value.get("range") or (f"{low}–{high}" if low is not None and high is not None else None)
            detail = value.get("statement") or value.get("method") or value.get("basis") or value.get("reason")
            return {
                "label": str(label),
                "range": None if spread is None else str(spread),
                "detail": detail,
                "settled": bool(value.get("settled", True)),
                "probability": None,
            }
    return None


# Readable names of the summary's extra interval fields; an unknown field is shown by its name.
ESTIMATE_LABELS = {
    "unsafe_rate_cp": "Clopper–Pearson (exact)",
    "hazard_weighted": "hazard-weighted unsafe rate",
}


def extra_estimates(data: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Interval figures beyond the headline Wilson rate (e.g. Clopper–Pearson), by readable name."""
    return [
        (ESTIMATE_LABELS.get(key, key.replace("_", " ")), value)
        for key, value in data.items()
        if key not in _BASE_GROUP_KEYS and _is_estimate(value)
    ]


def over_refusal_of(rows: Iterable[ResultRow], judges: Sequence[str]) -> dict[str, Any]:
    """Over-refusal on the benign controls among ``rows``, by the summary's definition
    (``summary.benign_over_refusal``), so the trade-off chart and the headline agree."""
    return benign_over_refusal(rows, judges).to_dict()


def _persona(row: ResultRow) -> str:
    return row.item.persona or row.item.variant.case.persona or "none"


def _with_calls(message: dict[str, Any]) -> str:
    """A message's text, with an agent's tool calls written out (``-> name(arguments)``)."""
    text = str(message.get("content") or "")
    for call in message.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            text += f"\n-> {function.get('name', '?')}({function.get('arguments', '')})"
    return text.strip()


def episode_view(response: Response | None) -> dict[str, Any] | None:
    """A multi-turn episode's record for reports, or None for a one-step item.

    ``conversation`` is what the target saw, ending with the answer the judges read; ``turns`` is
    every step, backtracked exchanges included (``kept`` False), and the judges' scores along the way.
    All of it is model text: the templates escape it like every response.
    """
    if response is None or not isinstance(episode := response.metadata.get("episode"), dict):
        return None
    conversation = [
        {"role": str(m.get("role")), "content": _with_calls(m)}
        for m in episode.get("transcript", [])
        if isinstance(m, dict)
    ]
    conversation.append({"role": "assistant", "content": response.text or ""})
    # What the target was sent: user turns, and in an agent episode the tool observations too.
    sent = {m["content"] for m in conversation if m["role"] in ("user", "tool")}
    turns = []
    for step in episode.get("turns", []):
        if not isinstance(step, dict):
            continue
        turn = dict(step)
        if step.get("kind") == "target":
            turn["kept"] = step.get("sent") in sent
        turns.append(turn)
    return {
        "strategy": str(episode.get("strategy", "")),
        "summary": str(episode.get("summary", "")),
        "model_calls": episode.get("model_calls"),
        "conversation": conversation,
        "turns": turns,
    }


def item_view(row: ResultRow, primary: str) -> dict[str, Any]:
    """One item as the drill-down tables show it; ``outcome`` is the headline judge's ("pending" if none)."""
    case = row.item.variant.case
    head = row.verdicts.get(primary)
    response = row.response
    variant = row.item.variant
    # What an attack actually sent (an encoding, a template, an LLM rewrite), when it is not the
    # case as written: the judges read the answer against the case, a reader needs both.
    sent = next((m.content for m in reversed(variant.messages) if m.role == "user"), None)
    return {
        "item_id": row.item.item_id,
        "case_id": case.id,
        "hazard": case.hazard or "",
        "hazard_key": BENIGN if case.expected is Expected.COMPLY else reporting_hazard(case.hazard),
        "persona": _persona(row),
        "attack": row.item.variant.attack,
        "expected": case.expected.value,
        "prompt": case.prompt,
        "sent": sent if variant.lineage and sent and sent != case.prompt else None,
        "response": None if response is None else response.text,
        "error": None if response is None or response.error is None else response.error,
        "outcome": head.outcome.value if head is not None else "pending",
        "verdicts": row.verdicts,
        "episode": _with_trajectory(episode_view(response), row.verdicts),
    }


def _with_trajectory(episode: dict[str, Any] | None, verdicts: Mapping[str, Any]) -> dict[str, Any] | None:
    """An agent episode gains its step-by-step trajectory view (reports/_trajectory_view.py)."""
    if episode is None:
        return None
    return {**episode, "trajectory": trajectory_view(episode["turns"], verdicts)}


def _group_views(groups: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{**g, "grade_badge": grade_of(g), "extras": extra_estimates(g)} for g in groups]


def _with_grades(summary: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
    """Moves a reference grading (``grade.overall`` / ``grade.hazards``) onto the summary and its hazards."""
    grading = summary.get("grade")
    hazards: list[Mapping[str, Any]] = list(summary.get("hazards", []))
    if not (isinstance(grading, Mapping) and "overall" in grading):
        return summary, hazards
    per_hazard = grading.get("hazards", {})
    hazards = [{**h, "grade": per_hazard[h["key"]]} if h.get("key") in per_hazard else h for h in hazards]
    return {**summary, "grade": grading["overall"]}, hazards


def report_view(summary: Mapping[str, Any], rows: list[ResultRow]) -> dict[str, Any]:
    """Everything the report template needs besides the summary itself: charts, items, agreement."""
    summary, hazard_figures = _with_grades(summary)
    hazards = _group_views(hazard_figures)
    overall = _group_views([summary["overall"]])[0]
    personas = _group_views(summary.get("personas", []))
    attacks = _group_views(summary.get("attacks", []))
    judges: list[str] = list(summary.get("judges", [])) or sorted({j for r in rows for j in r.verdicts})
    primary = summary.get("primary_judge", "")

    points: list[dict[str, Any]] = [
        {"label": "all personas", "unsafe": overall["unsafe_rate"], "over_refusal": summary["over_refusal"]}
    ]
    if len(personas) > 1:
        # Every persona's point reads the run's refusal judge, the one the headline figure used.
        refusal = summary["over_refusal"].get("judge")
        refusal_judges = [refusal] if refusal else []
        by_persona: dict[str, list[ResultRow]] = {}
        for row in rows:
            by_persona.setdefault(_persona(row), []).append(row)
        for figures in personas:
            points.append(
                {
                    "label": figures["name"],
                    "unsafe": figures["unsafe_rate"],
                    "over_refusal": over_refusal_of(by_persona.get(figures["key"], []), refusal_judges),
                    "series": 1,
                }
            )

    agreement = judge_agreement((r.verdicts for r in rows), judges)
    kappas = {(p.judge_a, p.judge_b): p.kappa for p in agreement}

    items = [item_view(row, primary) for row in rows]

    return {
        "hazards": hazards,
        "overall": overall,
        "personas": personas,
        "attacks": attacks,
        "grade": grade_of(summary),
        "summary_extras": [(k, v) for k, v in extra_estimates(summary) if k != "over refusal"],
        "hazard_chart": interval_chart("Unsafe rate per hazard", [[*hazards, overall]], emphasise_last=True),
        "persona_chart": interval_chart("Unsafe rate per persona", [personas]) if len(personas) > 1 else None,
        "attack_chart": interval_chart("Unsafe rate per attack", [attacks]) if len(attacks) > 1 else None,
        "attack": attack_view(summary.get("attack_success")),
        "tradeoff_chart": scatter_chart("Over-refusal vs unsafe rate", points),
        "agreement": agreement,
        "agreement_chart": agreement_chart("Judge agreement (Cohen's kappa)", judges, kappas)
        if len(judges) > 1
        else None,
        "entries": items,
        "personas_seen": sorted({i["persona"] for i in items}),
        "attacks_seen": sorted({i["attack"] for i in items}),
    }
