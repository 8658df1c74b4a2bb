"""The safeguard proxy's decision log: one row per request the proxy answered.

A row says what was asked (a hash of the request body, never its headers, so an API key cannot
land here), under which policy, what each judge said, what the proxy did (pass, flag, block) and
at which stage (input, output, or none when nothing was checked), and how long the checks took
next to the whole request. It is written by the proxy as decisions happen and read by the
dashboard's guard page with grouped counts and one page of rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from riskscope.core import chain_label
from riskscope.store._connection import transaction

__all__ = ["GuardDecision", "GuardQueries", "GuardWrites"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class GuardDecision:
    request_hash: str
    policy: str
    stage: str
    action: str
    verdicts: list[dict[str, Any]]
    stream: bool
    check_latency_s: float
    total_latency_s: float
    upstream_status: int | None = None
    reason: str | None = None
    created_at: str = field(default_factory=_now)
    id: int | None = None


class GuardQueries:
    """Reads of ``guard_decisions`` (mixed into :class:`riskscope.store.StoreQuery`)."""

    _db: sqlite3.Connection

    def guard_count(self, *, policy: str | None = None, action: str | None = None) -> int:
        sql, args = self._guard_where(policy, action)
        return int(self._db.execute("SELECT COUNT(*) FROM guard_decisions" + sql, args).fetchone()[0])

    def guard_page(
        self, *, policy: str | None = None, action: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[GuardDecision]:
        """Newest first, one page."""
        sql, args = self._guard_where(policy, action)
        rows = self._db.execute(
            "SELECT id, created_at, request_hash, policy, stage, action, verdicts, stream, check_latency_s, "
            "total_latency_s, upstream_status, reason FROM guard_decisions"
            + sql
            + " ORDER BY id DESC LIMIT ? OFFSET ?",
            (*args, limit, offset),
        ).fetchall()
        return [
            GuardDecision(
                id=r[0],
                created_at=r[1],
                request_hash=r[2],
                policy=r[3],
                stage=r[4],
                action=r[5],
                verdicts=json.loads(r[6]),
                stream=bool(r[7]),
                check_latency_s=float(r[8]),
                total_latency_s=float(r[9]),
                upstream_status=r[10],
                reason=r[11],
            )
            for r in rows
        ]

    def guard_action_counts(self) -> list[dict[str, Any]]:
        """Decisions per (policy, action), for the dashboard's summary table."""
        rows = self._db.execute(
            "SELECT policy, action, COUNT(*), AVG(check_latency_s) FROM guard_decisions "
            "GROUP BY policy, action ORDER BY policy, action"
        ).fetchall()
        return [{"policy": r[0], "action": r[1], "count": int(r[2]), "mean_check_s": float(r[3])} for r in rows]

    def guard_blocked_items(self, run_id: str) -> set[tuple[str, str, str]]:
        """The items of a run (keyed as ``item_outcomes`` keys them) whose answer was a guard proxy's
        block: the response the target recorded carries ``metadata.riskscope_guard.action = block``."""
        rows = self._db.execute(
            "SELECT i.case_id, json_extract(i.variant, '$.lineage'), "
            "COALESCE(i.persona, json_extract(c.data, '$.persona'), 'none') FROM items i "
            "JOIN cases c ON c.id = i.case_id JOIN responses r ON r.cache_key = i.cache_key "
            "WHERE i.run_id = ? AND json_extract(r.response, '$.metadata.riskscope_guard.action') = 'block'",
            (run_id,),
        ).fetchall()
        return {(case_id, chain_label(json.loads(lineage or "[]")), persona) for case_id, lineage, persona in rows}

    @staticmethod
    def _guard_where(policy: str | None, action: str | None) -> tuple[str, tuple[Any, ...]]:
        clauses, args = [], []
        if policy is not None:
            clauses.append("policy = ?")
            args.append(policy)
        if action is not None:
            clauses.append("action = ?")
            args.append(action)
        return (" WHERE " + " AND ".join(clauses) if clauses else "", tuple(args))


class GuardWrites:
    """Writes of ``guard_decisions`` (mixed into :class:`riskscope.store.Store`)."""

    _db: sqlite3.Connection

    def record_guard_decisions(self, decisions: Sequence[GuardDecision]) -> None:
        """Append decisions in one transaction (the proxy batches what accumulated meanwhile)."""
        if not decisions:
            return
        rows = [
            (
                d.created_at,
                d.request_hash,
                d.policy,
                d.stage,
                d.action,
                json.dumps(d.verdicts, ensure_ascii=False),
                int(d.stream),
                d.check_latency_s,
                d.total_latency_s,
                d.upstream_status,
                d.reason,
            )
            for d in decisions
        ]
        with transaction(self._db, immediate=True):
            self._db.executemany(
                "INSERT INTO guard_decisions (created_at, request_hash, policy, stage, action, verdicts, stream, "
                "check_latency_s, total_latency_s, upstream_status, reason) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
