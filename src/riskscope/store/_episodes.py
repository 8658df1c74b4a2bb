"""The per-step table of multi-step episodes (multi-turn attacks; agents later).

Each step is committed as it completes, keyed (run id, item id, step index) with its own cache key,
so a crash costs at most the step in flight: resume reads the committed steps back, hands them to
the episode's strategy, and continues. A model step is journaled in ``calls`` in the same commit
(cost per success counts calls); a failed model call is journaled but never committed as a step, so
resume tries it again. The episode's result (the answer the judges read, with its transcript) is
cached under the item's own cache key like any item's response, without a journal row: it is not a
call of its own.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from riskscope.core import Response, Step
from riskscope.store._connection import transaction

__all__ = ["EpisodeQueries", "EpisodeWrites"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class EpisodeQueries:
    """Reads of episode steps (mixed into :class:`riskscope.store.StoreQuery`)."""

    _db: sqlite3.Connection

    def steps(self, run_id: str, item_id: str) -> list[Step]:
        """The committed steps of one episode, in order."""
        rows = self._db.execute(
            "SELECT data FROM episode_steps WHERE run_id = ? AND item_id = ? ORDER BY step", (run_id, item_id)
        ).fetchall()
        return [Step.model_validate_json(r[0]) for r in rows]

    def step_counts(self, run_id: str) -> dict[str, int]:
        """How many steps each item of a run has committed (the report's per-item cost)."""
        rows = self._db.execute(
            "SELECT item_id, COUNT(*) FROM episode_steps WHERE run_id = ? GROUP BY item_id", (run_id,)
        ).fetchall()
        return {item_id: n for item_id, n in rows}


class EpisodeWrites:
    """Writes of episode steps and results (mixed into :class:`riskscope.store.Store`)."""

    _db: sqlite3.Connection

    def put_step(self, run_id: str, item_id: str, step: Step) -> None:
        """Commit one completed step (and journal its call, for a model step) in one transaction."""
        now = _now()
        with transaction(self._db):
            if step.response is not None:
                response = step.response
                self._db.execute(
                    "INSERT INTO calls (run_id, item_id, cache_key, ok, error_kind, retries, latency_s, "
                    "finished_at) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        run_id,
                        item_id,
                        step.cache_key,
                        int(response.ok),
                        None,
                        len(response.retries),
                        response.latency_s,
                        now,
                    ),
                )
            self._db.execute(
                "INSERT INTO episode_steps VALUES (?,?,?,?,?,?,?)",
                (run_id, item_id, step.index, step.kind, step.cache_key, step.model_dump_json(), now),
            )

    def journal_failed_step(self, run_id: str, item_id: str, cache_key: str, response: Response) -> None:
        """Journal a model call that failed after its retries; it is not a step (resume retries it)."""
        kind = None if response.error is None else str(response.error.kind)
        self._db.execute(
            "INSERT INTO calls (run_id, item_id, cache_key, ok, error_kind, retries, latency_s, finished_at) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (run_id, item_id, cache_key, 0, kind, len(response.retries), response.latency_s, _now()),
        )

    def put_episode_result(self, cache_key: str, response: Response) -> None:
        """Cache an ended episode's answer (transcript in its metadata) under the item's cache key."""
        self._db.execute(
            "INSERT OR REPLACE INTO responses VALUES (?,?,?)", (cache_key, response.model_dump_json(), _now())
        )
