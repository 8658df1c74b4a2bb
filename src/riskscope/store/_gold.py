"""Gold labels and the recorded draw that chose which items get them.

Prediction-powered inference (``riskscope.stats.ppi``) corrects the headline judge's rate with a
few gold labels, but only when the labelled items are a probability sample whose inclusion
probabilities are known for *every* item of the population, sampled or not. So a draw is stored
whole: its design, seed and budget, and per item the judge score it was drawn from, its inclusion
probability and whether it was sampled. Labels are stored apart, per (run, item), with who or what
gave them: a label is a fact about an item, and a label given outside the sample (a reviewer on a
disputed item) is kept but is not a sample, so the estimator ignores it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from riskscope.errors import ConfigError
from riskscope.store._connection import transaction

__all__ = [
    "GOLD_LABELS",
    "LABELLER_KINDS",
    "LOW_CONFIDENCE_MARGIN",
    "REVIEW_REASONS",
    "GoldDraw",
    "GoldItem",
    "GoldLabel",
    "GoldQueries",
    "GoldWrites",
]

GOLD_LABELS = ("safe", "unsafe", "unassessable")
"""What a gold labeller may say; ``unassessable`` is non-response (the item cannot be judged)."""
LABELLER_KINDS = ("human", "judge")
REVIEW_REASONS = ("disagree", "low_confidence", "flagged", "gold")
"""Why an item is in the review queue: the run's judges disagree on it; the headline judge's
P(unsafe) is near its threshold; a person (or an ensemble judge) flagged it; it is in the gold sample."""
LOW_CONFIDENCE_MARGIN = 0.15
"""A verdict is low-confidence when its stated P(unsafe) is within this of the judge's threshold."""


@dataclass(frozen=True)
class GoldDraw:
    """One run's recorded sample draw (seeded, so it can be re-derived and audited)."""

    run_id: str
    design: str
    seed: int
    budget: int
    uniform_share: float
    score_judge: str
    score_kind: str
    population: int
    expected_size: float
    created_at: str = ""


@dataclass(frozen=True)
class GoldItem:
    """An item of the draw's population: the judge score it was drawn from and its inclusion probability."""

    item_id: str
    score: float
    probability: float
    sampled: bool


@dataclass(frozen=True)
class GoldLabel:
    item_id: str
    label: str
    labeller: str
    labeller_kind: str
    rationale: str
    labelled_at: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class GoldQueries:
    """Store queries for gold draws and labels (mixed into :class:`riskscope.store.StoreQuery`)."""

    _db: sqlite3.Connection

    def gold_draw(self, run_id: str) -> GoldDraw | None:
        row = self._db.execute("SELECT * FROM gold_draws WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else GoldDraw(*row)

    def gold_items(self, run_id: str, *, sampled_only: bool = False) -> list[GoldItem]:
        sql = "SELECT item_id, score, probability, sampled FROM gold_items WHERE run_id = ?"
        if sampled_only:
            sql += " AND sampled = 1"
        rows = self._db.execute(sql + " ORDER BY item_id", (run_id,)).fetchall()
        return [GoldItem(r[0], float(r[1]), float(r[2]), bool(r[3])) for r in rows]

    def judged_hazardous(self, run_id: str, judge: str) -> list[tuple[str, str | None, str, str | None]]:
        """(item id, hazard, ``judge``'s outcome, its stated P(unsafe)) of every hazardous item it judged.

        One SQL query in plan order: the draw and the rate read the whole population, and a run
        can hold 50,000 items.
        """
        rows = self._db.execute(
            "SELECT i.item_id, json_extract(c.data, '$.hazard'), v.outcome, "
            "json_extract(v.verdict, '$.labels.p_unsafe') FROM items i JOIN cases c ON c.id = i.case_id "
            "JOIN verdicts v ON v.run_id = i.run_id AND v.item_id = i.item_id AND v.judge = ? "
            "WHERE i.run_id = ? AND json_extract(c.data, '$.expected') = 'refuse' ORDER BY i.seq",
            (judge, run_id),
        ).fetchall()
        return [(r[0], r[1], r[2], None if r[3] is None else str(r[3])) for r in rows]

    def review_reasons(self, run_id: str, judges: Sequence[str]) -> dict[str, set[str]]:
        """Every item of the review queue with its reasons (:data:`REVIEW_REASONS`), in grouped SQL.

        ``judges`` are the run's judges, the first the headline one. Disagreement counts assessed
        verdicts only (an unassessed verdict is no opinion); an ensemble's own "judges disagree"
        entries join it.
        """
        reasons: dict[str, set[str]] = {}

        def add(item_ids: Sequence[str] | set[str], reason: str) -> None:
            for item_id in item_ids:
                reasons.setdefault(item_id, set()).add(reason)

        if len(judges) > 1:
            marks = ",".join("?" for _ in judges)
            rows = self._db.execute(
                f"SELECT item_id FROM verdicts WHERE run_id = ? AND judge IN ({marks}) "
                "AND outcome IN ('safe', 'unsafe') GROUP BY item_id HAVING COUNT(DISTINCT outcome) > 1",
                (run_id, *judges),
            ).fetchall()
            add([r[0] for r in rows], "disagree")
        if judges:
            rows = self._db.execute(
                "SELECT item_id FROM verdicts WHERE run_id = ? AND judge = ? AND outcome IN ('safe', 'unsafe') "
                "AND json_extract(verdict, '$.labels.p_unsafe') IS NOT NULL "
                "AND ABS(CAST(json_extract(verdict, '$.labels.p_unsafe') AS REAL) - "
                "COALESCE(CAST(json_extract(verdict, '$.labels.threshold') AS REAL), 0.5)) < ?",
                (run_id, judges[0], LOW_CONFIDENCE_MARGIN),
            ).fetchall()
            add([r[0] for r in rows], "low_confidence")
        for item_id, reason in self._db.execute(
            "SELECT item_id, reason FROM review_queue WHERE run_id = ?", (run_id,)
        ).fetchall():
            add([item_id], "disagree" if str(reason).startswith("judges disagree") else "flagged")
        sampled = self._db.execute(
            "SELECT item_id FROM gold_items WHERE run_id = ? AND sampled = 1", (run_id,)
        ).fetchall()
        add([r[0] for r in sampled], "gold")
        return reasons

    def gold_labels(self, run_id: str) -> dict[str, GoldLabel]:
        rows = self._db.execute(
            "SELECT item_id, label, labeller, labeller_kind, rationale, labelled_at FROM gold_labels WHERE run_id = ?",
            (run_id,),
        ).fetchall()
        return {r[0]: GoldLabel(*r) for r in rows}


class GoldWrites:
    """Store writes for gold draws and labels (mixed into :class:`riskscope.store.Store`)."""

    _db: sqlite3.Connection

    def record_gold_draw(self, draw: GoldDraw, items: Sequence[GoldItem], *, replace: bool = False) -> GoldDraw:
        """Store a draw with every population item, in one transaction.

        A run has one draw; ``replace`` swaps it for a new one (labels already given stay: they
        are facts about items). Redrawing until a rate looks good is not a sample: say so.
        """
        if not items:
            raise ConfigError(f"a gold draw of run {draw.run_id!r} needs at least one item")
        stamped = GoldDraw(**{**draw.__dict__, "created_at": _now()})
        with transaction(self._db, immediate=True):
            exists = self._db.execute("SELECT 1 FROM gold_draws WHERE run_id = ?", (draw.run_id,)).fetchone()
            if exists and not replace:
                raise ConfigError(f"run {draw.run_id!r} already has a gold draw (replace it explicitly to redraw)")
            self._db.execute("DELETE FROM gold_draws WHERE run_id = ?", (draw.run_id,))
            self._db.execute("DELETE FROM gold_items WHERE run_id = ?", (draw.run_id,))
            self._db.execute(
                "INSERT INTO gold_draws VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    stamped.run_id,
                    stamped.design,
                    stamped.seed,
                    stamped.budget,
                    stamped.uniform_share,
                    stamped.score_judge,
                    stamped.score_kind,
                    stamped.population,
                    stamped.expected_size,
                    stamped.created_at,
                ),
            )
            self._db.executemany(
                "INSERT INTO gold_items VALUES (?,?,?,?,?)",
                [(draw.run_id, i.item_id, i.score, i.probability, int(i.sampled)) for i in items],
            )
        return stamped

    def put_gold_label(
        self, run_id: str, item_id: str, label: str, labeller: str, labeller_kind: str, rationale: str = ""
    ) -> None:
        """Record (or replace) the gold label of one item; the item must belong to the run."""
        if label not in GOLD_LABELS:
            raise ConfigError(f"gold label must be one of {', '.join(GOLD_LABELS)}, got {label!r}")
        if labeller_kind not in LABELLER_KINDS:
            raise ConfigError(f"labeller kind must be one of {', '.join(LABELLER_KINDS)}, got {labeller_kind!r}")
        known = self._db.execute("SELECT 1 FROM items WHERE run_id = ? AND item_id = ?", (run_id, item_id)).fetchone()
        if known is None:
            raise ConfigError(f"no item {item_id!r} in run {run_id!r}")
        self._db.execute(
            "INSERT OR REPLACE INTO gold_labels VALUES (?,?,?,?,?,?,?)",
            (run_id, item_id, label, labeller, labeller_kind, rationale, _now()),
        )
