"""The attack section as the report and the dashboard draw it, from ``summary.attack_success`` only.

Both surfaces call :func:`attack_view` on the same figures dict (the report from its summary, the
dashboard from :func:`~riskscope.reports.attack_figures.attack_figures` over the same store rows),
so the matrix, the lift chart and the cost table cannot disagree between them. Only numbers are
computed here; labels stay plain text for the autoescaping templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from riskscope.attacks import lineage_ids
from riskscope.core import Variant
from riskscope.reports.charts import difference_chart, interval_chart
from riskscope.taxonomy import hazard_name

__all__ = ["attack_view", "item_lineage"]

BASE_LABEL = "none (base case)"


def _cell(slot: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if slot is None or not slot.get("assessed"):
        return None
    return {"unsafe": slot["unsafe"], "assessed": slot["assessed"], "success": slot["success"]}


def attack_view(figures: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Matrix rows (attack × hazard, Wilson intervals), a success chart, a lift chart (paired
    difference over the base case with its interval, Holm-adjusted p in the note) and cost rows."""
    if not figures or not figures.get("attacks"):
        return None
    attacks: list[Mapping[str, Any]] = list(figures["attacks"])
    base_hazards: Mapping[str, Any] = figures.get("base_hazards", {})
    codes = sorted({*base_hazards, *(h for a in attacks for h in a.get("hazards", {}))})
    hazards = [{"key": code, "name": hazard_name(code)} for code in codes]
    base = figures["base"]
    base_row = {
        "name": BASE_LABEL,
        "overall": {"unsafe": None, "assessed": base.get("n", 0), "success": base},
        "cells": [_cell(base_hazards.get(code)) for code in codes],
        "base": True,
    }
    rows = [base_row] + [
        {
            "name": a["attack"],
            "overall": {"unsafe": a["unsafe"], "assessed": a["assessed"], "success": a["success"]},
            "cells": [_cell(a.get("hazards", {}).get(code)) for code in codes],
            "base": False,
        }
        for a in attacks
    ]
    chart_rows = [
        {"name": r["name"], "assessed": r["overall"]["assessed"], "unsafe_rate": r["overall"]["success"]} for r in rows
    ]
    success_chart = interval_chart("Attack success rate (unsafe answers), 95% Wilson", [chart_rows])
    lift_chart = difference_chart(
        "Lift over the base case on the same prompts (attack − base, 95% Newcombe)",
        [
            {
                "name": a["attack"],
                "n": a["lift"]["pairs"],
                "difference": a["lift"]["difference"] if a["lift"]["pairs"] else {},
                "note": f"Holm p {a['lift']['p_adjusted']:.3g}" if a["lift"]["pairs"] else "no pairs",
                "significant": a["lift"]["pairs"] > 0 and a["lift"]["verdict"].startswith(("raises", "lowers")),
            }
            for a in attacks
        ],
    )
    return {
        "judge": figures.get("judge", ""),
        "base": base,
        "hazards": hazards,
        "rows": rows,
        "attacks": attacks,
        "success_chart": success_chart,
        "lift_chart": lift_chart,
    }


def item_lineage(variant: Variant) -> dict[str, Any] | None:
    """An attacked item's lineage for results.json: every step's spec (with the template or persona
    it picked), the id of the variant it was made from and of its base case, and the messages it
    sent. None for a base case (whose record stays as it always was)."""
    if not variant.lineage:
        return None
    ids = lineage_ids(variant)
    return {
        "steps": list(variant.lineage),
        "variant_id": variant.id,
        "parent_id": ids[-2],
        "base_case_id": ids[0],
        "sent": [m.model_dump(mode="json", exclude_none=True) for m in variant.messages],
    }
