"""The write side of the store: every response and verdict is committed as soon as it is known.

Each write commits on its own unless it runs inside :meth:`Store.transaction`, where it joins the
caller's one commit (the runner groups what finishes in one turn of its event loop).
One process writes a run; readers may be many (:class:`StoreQuery`, WAL mode).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from riskscope.core import Response, RunRecord, RunStatus, Verdict
from riskscope.errors import RunNotFoundError
from riskscope.store._connection import _HOST, HEARTBEAT_S, STALE_AFTER_S, _now, last_opened, transaction
from riskscope.store._episodes import EpisodeWrites
from riskscope.store._gold import GoldWrites
from riskscope.store._guard import GuardWrites
from riskscope.store._query import StoreQuery
from riskscope.store._rows import ItemRow, ResultFilter, ResultRow

__all__ = ["HEARTBEAT_S", "STALE_AFTER_S", "ItemRow", "ResultFilter", "ResultRow", "Store", "last_opened"]


class Store(StoreQuery, GoldWrites, EpisodeWrites, GuardWrites):
    """A results database opened to write a run (and read it: every :class:`StoreQuery` query)."""

    # -- runs ---------------------------------------------------------------------------------
    def create_run(self, config: dict[str, Any], config_hash: str, versions: dict[str, str]) -> RunRecord:
        now = _now()
        run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        self._db.execute(
            "INSERT INTO runs (id, config_hash, config, versions, created_at, updated_at, status, total_items, "
            "writer_pid, writer_host, heartbeat_at) VALUES (?,?,?,?,?,?,?,0,?,?,?)",
            (
                run_id,
                config_hash,
                json.dumps(config),
                json.dumps(versions),
                now,
                now,
                RunStatus.RUNNING,
                os.getpid(),
                _HOST,
                now,
            ),
        )
        return self.get_run(run_id)

    def set_status(
        self, run_id: str, status: RunStatus, total_items: int | None = None, *, reason: str | None = None
    ) -> None:
        """Record a run's status; ``running`` also claims the run for this process (pid, heartbeat)."""
        now = _now()
        if status is RunStatus.RUNNING:
            self._db.execute(
                "UPDATE runs SET status = ?, updated_at = ?, reason = NULL, writer_pid = ?, writer_host = ?, "
                "heartbeat_at = ? WHERE id = ?",
                (status, now, os.getpid(), _HOST, now, run_id),
            )
        else:
            self._db.execute(
                "UPDATE runs SET status = ?, updated_at = ?, reason = ? WHERE id = ?", (status, now, reason, run_id)
            )
        if total_items is not None:
            self._db.execute("UPDATE runs SET total_items = ? WHERE id = ?", (total_items, run_id))

    def heartbeat(self, run_id: str) -> None:
        """The writer is alive: keeps a long run from looking stale to `runs list` and `--resume`."""
        self._db.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", (_now(), run_id))

    # -- transactions -------------------------------------------------------------------------
    def transaction(self) -> AbstractContextManager[None]:
        """One commit for every write inside: the writes below join an open transaction instead of
        committing each on their own, so a caller can commit many results at once (the runner's group
        commit). Nothing inside is durable until the block ends; on an exception none of it is."""
        return transaction(self._db)

    # -- items --------------------------------------------------------------------------------
    def add_items(self, run_id: str, items: Iterable[ItemRow]) -> None:
        """Plan a run's items in one transaction (idempotent: re-planning a resumed run is a no-op)."""
        with transaction(self._db):
            for item in items:
                case = item.variant.case
                self._db.execute("INSERT OR IGNORE INTO cases VALUES (?, ?)", (case.id, case.model_dump_json()))
                self._db.execute(
                    "INSERT OR IGNORE INTO items VALUES (?,?,?,?,?,?,?)",
                    (
                        run_id,
                        item.item_id,
                        item.seq,
                        case.id,
                        item.variant.model_dump_json(exclude={"case"}),
                        item.persona,
                        item.cache_key,
                    ),
                )

    def put_response(self, run_id: str, item_id: str, cache_key: str, response: Response) -> None:
        """Journal the call and, if it succeeded, cache its response, in one commit.

        Failed calls are journaled but not cached, so a resumed run tries them again.
        """
        now = _now()
        with transaction(self._db):
            self._db.execute(
                "INSERT INTO calls (run_id, item_id, cache_key, ok, error_kind, retries, latency_s, "
                "finished_at) VALUES (?,?,?,?,?,?,?,?)",
                (
                    run_id,
                    item_id,
                    cache_key,
                    int(response.ok),
                    None if response.error is None else response.error.kind,
                    len(response.retries),
                    response.latency_s,
                    now,
                ),
            )
            if response.ok:
                self._db.execute(
                    "INSERT OR REPLACE INTO responses VALUES (?,?,?)",
                    (cache_key, response.model_dump_json(), now),
                )

    # -- verdicts -----------------------------------------------------------------------------
    def put_verdicts(self, run_id: str, item_id: str, verdicts: dict[str, Verdict]) -> None:
        now = _now()
        with transaction(self._db):
            for judge, verdict in verdicts.items():
                self._db.execute(
                    "INSERT OR REPLACE INTO verdicts VALUES (?,?,?,?,?,?)",
                    (run_id, item_id, judge, verdict.outcome, verdict.model_dump_json(), now),
                )

    # -- review queue -------------------------------------------------------------------------
    def enqueue_review(self, run_id: str, item_id: str, reason: str, score: float | None) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO review_queue (run_id, item_id, reason, score) VALUES (?,?,?,?)",
            (run_id, item_id, reason, score),
        )

    def label_review(self, run_id: str, item_id: str, label: str, who: str) -> None:
        cursor = self._db.execute(
            "UPDATE review_queue SET label = ?, labelled_by = ?, labelled_at = ? WHERE run_id = ? AND item_id = ?",
            (label, who, _now(), run_id, item_id),
        )
        if cursor.rowcount == 0:
            raise RunNotFoundError(f"item {item_id!r} of run {run_id!r} is not in the review queue")
