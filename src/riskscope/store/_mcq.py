"""Multiple-choice outcomes per question, for pairing two runs on right/wrong (``compare``).

A question is paired across runs by the same key as every other item (case id, full attack chain,
persona); what is paired is the ``mcq`` judge's label (correct / wrong / refused, or none when
unassessed), not the safe/unsafe outcome, so a refusal is never counted as a wrong answer.
"""

from __future__ import annotations

import json
import sqlite3

from riskscope.core import chain_label

__all__ = ["McqOutcomes", "mcq_outcomes"]

# Per pair key: (domain, the mcq judge's label or None when it gave none).
McqOutcomes = dict[tuple[str, str, str], tuple[str, str | None]]


def mcq_outcomes(db: sqlite3.Connection, run_id: str, judge: str) -> McqOutcomes:
    """Every multiple-choice item of a run (expected ``answer``), keyed as ``Store.item_outcomes``."""
    rows = db.execute(
        "SELECT i.case_id, json_extract(i.variant, '$.lineage'), "
        "COALESCE(i.persona, json_extract(c.data, '$.persona'), 'none'), "
        "COALESCE(json_extract(c.data, '$.metadata.mcq.domain'), 'mcq'), json_extract(v.verdict, '$.labels.mcq') "
        "FROM items i JOIN cases c ON c.id = i.case_id "
        "LEFT JOIN verdicts v ON v.run_id = i.run_id AND v.item_id = i.item_id AND v.judge = ? "
        "WHERE i.run_id = ? AND json_extract(c.data, '$.expected') = 'answer'",
        (judge, run_id),
    ).fetchall()
    return {
        (case_id, chain_label(json.loads(lineage or "[]")), persona): (str(domain), label)
        for case_id, lineage, persona, domain, label in rows
    }
