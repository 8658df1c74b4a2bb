"""The read side of the store: every query, and nothing that writes a row.

Reports, compare, gate and trend only read, so they take a :class:`StoreQuery` and mypy proves it:
a report can never change the run it describes. The dashboard and the runner write, through
:class:`riskscope.store.Store`, which is a query object with the writes added.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from riskscope.core import Response, RunRecord, RunStatus, TestCase, Variant, Verdict, chain_label
from riskscope.errors import RunNotFoundError
from riskscope.store._connection import Connection, _is_stale
from riskscope.store._episodes import EpisodeQueries
from riskscope.store._gold import GoldQueries
from riskscope.store._guard import GuardQueries
from riskscope.store._mcq import McqOutcomes, mcq_outcomes
from riskscope.store._rows import ItemRow, ResultFilter, ResultRow


class StoreQuery(Connection, GoldQueries, EpisodeQueries, GuardQueries):
    """Read-only queries over one results database (gold draws and labels: :class:`GoldQueries`)."""

    def get_run(self, run_id: str) -> RunRecord:
        row = self._db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFoundError(f"no run {run_id!r} in store {self.path} (see: riskscope runs list)")
        return self._run(row)

    def latest_run(self) -> RunRecord:
        row = self._db.execute("SELECT * FROM runs ORDER BY created_at DESC LIMIT 1").fetchone()
        if row is None:
            raise RunNotFoundError(f"store {self.path} holds no runs yet")
        return self._run(row)

    def find_unfinished(self, config_hash: str) -> RunRecord | None:
        """The newest run with this config that is not complete and that no live process is writing."""
        rows = self._db.execute(
            "SELECT * FROM runs WHERE config_hash = ? AND status != ? ORDER BY created_at DESC",
            (config_hash, RunStatus.COMPLETE),
        ).fetchall()
        for row in rows:
            run = self._run(row)
            if run.status is not RunStatus.RUNNING or run.stale or run.writer_pid == os.getpid():
                return run
        return None

    def list_runs(self) -> list[RunRecord]:
        rows = self._db.execute("SELECT * FROM runs ORDER BY created_at DESC").fetchall()
        return [self._run(r) for r in rows]

    @staticmethod
    def _run(row: tuple[Any, ...]) -> RunRecord:
        return RunRecord(
            id=row[0],
            config_hash=row[1],
            config=json.loads(row[2]),
            versions=json.loads(row[3]),
            created_at=row[4],
            updated_at=row[5],
            status=RunStatus(row[6]),
            total_items=row[7],
            reason=row[8],
            writer_pid=row[9],
            writer_host=row[10],
            heartbeat_at=row[11],
            stale=_is_stale(row[6], row[9], row[10], row[11]),
        )

    def items(self, run_id: str) -> list[ItemRow]:
        rows = self._db.execute(
            "SELECT i.item_id, i.seq, i.variant, i.persona, i.cache_key, c.data FROM items i "
            "JOIN cases c ON c.id = i.case_id WHERE i.run_id = ? ORDER BY i.seq",
            (run_id,),
        ).fetchall()
        return [self._item(r) for r in rows]

    @staticmethod
    def _item(row: tuple[Any, ...]) -> ItemRow:
        case = TestCase.model_validate_json(row[5])
        variant_data = json.loads(row[2])
        variant_data["case"] = case
        return ItemRow(
            item_id=row[0],
            seq=row[1],
            variant=Variant.model_validate(variant_data),
            persona=row[3],
            cache_key=row[4],
        )

    # -- responses (also the cache) -----------------------------------------------------------
    def get_response(self, cache_key: str) -> Response | None:
        row = self._db.execute("SELECT response FROM responses WHERE cache_key = ?", (cache_key,)).fetchone()
        return None if row is None else Response.model_validate_json(row[0])

    def item_response(self, run_id: str, item: ItemRow) -> Response | None:
        """The cached response, or the last failed attempt of this run's item (for reports)."""
        cached = self.get_response(item.cache_key)
        if cached is not None:
            return cached
        row = self._db.execute(
            "SELECT error_kind, retries, latency_s FROM calls WHERE run_id = ? AND item_id = ? "
            "ORDER BY id DESC LIMIT 1",
            (run_id, item.item_id),
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return Response.model_validate(
            {"error": {"kind": row[0], "message": "see the call journal"}, "latency_s": row[2]}
        )

    def call_counts(self, run_id: str | None = None) -> dict[str, int]:
        """How many successful target calls each cache key has had (resume must keep these at 1)."""
        sql = "SELECT cache_key, COUNT(*) FROM calls WHERE ok = 1"
        args: tuple[Any, ...] = ()
        if run_id is not None:
            sql += " AND run_id = ?"
            args = (run_id,)
        return {k: n for k, n in self._db.execute(sql + " GROUP BY cache_key", args).fetchall()}

    def call_journal(self, run_id: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT item_id, cache_key, ok, error_kind, retries, latency_s, finished_at FROM calls "
            "WHERE run_id = ? ORDER BY id",
            (run_id,),
        ).fetchall()
        keys = ("item_id", "cache_key", "ok", "error_kind", "retries", "latency_s", "finished_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def verdicts(self, run_id: str) -> dict[str, dict[str, Verdict]]:
        out: dict[str, dict[str, Verdict]] = {}
        for item_id, judge, data in self._db.execute(
            "SELECT item_id, judge, verdict FROM verdicts WHERE run_id = ?", (run_id,)
        ):
            out.setdefault(item_id, {})[judge] = Verdict.model_validate_json(data)
        return out

    def judged_items(self, run_id: str, judges: Iterable[str]) -> set[str]:
        """Items that already have a verdict from every one of ``judges``."""
        wanted = list(judges)
        if not wanted:
            return set()
        marks = ",".join("?" for _ in wanted)
        rows = self._db.execute(
            f"SELECT item_id FROM verdicts WHERE run_id = ? AND judge IN ({marks}) "
            f"GROUP BY item_id HAVING COUNT(DISTINCT judge) = ?",
            (run_id, *wanted, len(wanted)),
        ).fetchall()
        return {r[0] for r in rows}

    def results(self, run_id: str) -> Iterator[ResultRow]:
        """Every planned item of a run with its response and verdicts, in plan order."""
        self.get_run(run_id)
        verdicts = self.verdicts(run_id)
        for item in self.items(run_id):
            yield ResultRow(item, self.item_response(run_id, item), verdicts.get(item.item_id, {}))

    def review_queue(self, run_id: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT item_id, reason, score, label, labelled_by, labelled_at FROM review_queue "
            "WHERE run_id = ? ORDER BY score DESC",
            (run_id,),
        ).fetchall()
        keys = ("item_id", "reason", "score", "label", "labelled_by", "labelled_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # -- read-only queries for the dashboard (paged, filtered in SQL) ----------------------------
    # The dashboard must stay fast on runs of 50,000 items, so it never loads a whole run: it asks
    # for one page with filters applied in SQL, and for grouped counts instead of rows.
    _ATTACK_SQL = "json_extract(i.variant, '$.lineage')"
    _PERSONA_SQL = "COALESCE(i.persona, json_extract(c.data, '$.persona'), 'none')"

    def _filter_sql(self, run_id: str, where: ResultFilter) -> tuple[str, list[Any]]:
        """FROM/WHERE for a filtered item set, joining cases and verdicts only when a filter needs them:
        on a 50,000-item run each join costs tens of milliseconds."""
        needs_case = (
            where.hazards is not None or where.expected is not None or where.persona is not None or bool(where.text)
        )
        sql = " FROM items i"
        args: list[Any] = []
        if needs_case:
            sql += " JOIN cases c ON c.id = i.case_id"
        if where.outcome is not None:
            sql += " LEFT JOIN verdicts v ON v.run_id = i.run_id AND v.item_id = i.item_id AND v.judge = ?"
            args.append(where.judge)
        sql += " WHERE i.run_id = ?"
        args.append(run_id)
        if where.hazards is not None:
            sql += f" AND json_extract(c.data, '$.hazard') IN ({','.join('?' for _ in where.hazards)})"
            args.extend(where.hazards)
        if where.expected is not None:
            sql += " AND json_extract(c.data, '$.expected') = ?"
            args.append(where.expected)
        if where.outcome == "pending":
            sql += " AND v.outcome IS NULL"
        elif where.outcome is not None:
            sql += " AND v.outcome = ?"
            args.append(where.outcome)
        if where.persona is not None:
            sql += f" AND {self._PERSONA_SQL} = ?"
            args.append(where.persona)
        if where.attack is not None:
            sql += f" AND {self._ATTACK_SQL} = ?"
            args.append(json.dumps(list(where.attack), separators=(",", ":")))
        if where.text:
            sql += " AND instr(lower(c.data), lower(?)) > 0"
            args.append(where.text)
        return sql, args

    def count_results(self, run_id: str, where: ResultFilter) -> int:
        """How many items of a run pass the filter."""
        sql, args = self._filter_sql(run_id, where)
        return int(self._db.execute("SELECT COUNT(*)" + sql, args).fetchone()[0])

    def page_results(self, run_id: str, where: ResultFilter, *, limit: int, offset: int = 0) -> list[ResultRow]:
        """One page of a run's items in plan order, filtered in SQL (count them with :meth:`count_results`).

        The page's ids are found first with only the joins the filter needs; responses and verdicts
        are then read for those ids alone.
        """
        self.get_run(run_id)
        sql, args = self._filter_sql(run_id, where)
        ids = [
            r[0]
            for r in self._db.execute(
                "SELECT i.item_id" + sql + " ORDER BY i.seq LIMIT ? OFFSET ?", [*args, limit, offset]
            ).fetchall()
        ]
        return self.result_rows(run_id, ids)

    def result_ids(self, run_id: str, where: ResultFilter) -> list[str]:
        """Every item id passing the filter, in plan order.

        The dashboard keeps this list while a person pages through one filter, so each further page
        reads only its own rows.
        """
        self.get_run(run_id)
        sql, args = self._filter_sql(run_id, where)
        return [r[0] for r in self._db.execute("SELECT i.item_id" + sql + " ORDER BY i.seq", args).fetchall()]

    def change_marker(self) -> tuple[int, int, int]:
        """Changes whenever items, verdicts or review labels are written (constant-time to read).

        Caches of grouped counts key on it: a replaced verdict gets a new rowid, so even a re-judged
        item with an unchanged count invalidates them.
        """
        row = self._db.execute(
            "SELECT (SELECT COALESCE(MAX(rowid), 0) FROM items), (SELECT COALESCE(MAX(rowid), 0) FROM verdicts), "
            "(SELECT COALESCE(MAX(rowid), 0) FROM calls)"
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def _verdicts_of(self, run_id: str, item_ids: Sequence[str]) -> dict[str, dict[str, Verdict]]:
        out: dict[str, dict[str, Verdict]] = {}
        if not item_ids:
            return out
        marks = ",".join("?" for _ in item_ids)
        for item_id, judge, data in self._db.execute(
            f"SELECT item_id, judge, verdict FROM verdicts WHERE run_id = ? AND item_id IN ({marks})",
            (run_id, *item_ids),
        ):
            out.setdefault(item_id, {})[judge] = Verdict.model_validate_json(data)
        return out

    def _failed_call(self, run_id: str, item: ItemRow) -> Response | None:
        # Looked up through the indexed cache key, not a scan of the journal by item id.
        row = self._db.execute(
            "SELECT error_kind, latency_s FROM calls WHERE cache_key = ? AND run_id = ? AND item_id = ? "
            "ORDER BY id DESC LIMIT 1",
            (item.cache_key, run_id, item.item_id),
        ).fetchone()
        if row is None or row[0] is None:
            return None
        error = {"kind": row[0], "message": "see the call journal"}
        return Response.model_validate({"error": error, "latency_s": row[1]})

    def result_rows(self, run_id: str, item_ids: Sequence[str]) -> list[ResultRow]:
        """Named items of a run with response and verdicts, in plan order (one page, a review queue)."""
        if not item_ids:
            return []
        marks = ",".join("?" for _ in item_ids)
        rows = self._db.execute(
            "SELECT i.item_id, i.seq, i.variant, i.persona, i.cache_key, c.data, r.response FROM items i "
            "JOIN cases c ON c.id = i.case_id LEFT JOIN responses r ON r.cache_key = i.cache_key "
            f"WHERE i.run_id = ? AND i.item_id IN ({marks}) ORDER BY i.seq",
            (run_id, *item_ids),
        ).fetchall()
        items = [self._item(r[:6]) for r in rows]
        verdicts = self._verdicts_of(run_id, [item.item_id for item in items])
        out: list[ResultRow] = []
        for item, row in zip(items, rows, strict=True):
            response = Response.model_validate_json(row[6]) if row[6] is not None else self._failed_call(run_id, item)
            out.append(ResultRow(item, response, verdicts.get(item.item_id, {})))
        return out

    def judge_versions(self, run_id: str, judge: str) -> list[str]:
        """The versions a judge's verdicts in a run carry (one, unless the judge changed mid-run)."""
        rows = self._db.execute(
            "SELECT DISTINCT json_extract(verdict, '$.judge_version') FROM verdicts WHERE run_id = ? AND judge = ?",
            (run_id, judge),
        ).fetchall()
        return sorted(str(r[0]) for r in rows if r[0] is not None)

    def outcome_counts(self, run_id: str, judge: str) -> list[dict[str, Any]]:
        """Items grouped by hazard, expected behaviour, persona, attack, ``judge``'s outcome and refusal label.

        The dashboard computes every rate of a large run from these few hundred rows; an item
        without a verdict from ``judge`` has outcome ``None``.
        """
        self.get_run(run_id)
        rows = self._db.execute(
            "SELECT json_extract(c.data, '$.hazard'), json_extract(c.data, '$.expected'), "
            f"{self._PERSONA_SQL}, {self._ATTACK_SQL}, v.outcome, "
            "json_extract(v.verdict, '$.labels.refusal'), COUNT(*) "
            "FROM items i JOIN cases c ON c.id = i.case_id "
            "LEFT JOIN verdicts v ON v.run_id = i.run_id AND v.item_id = i.item_id AND v.judge = ? "
            "WHERE i.run_id = ? GROUP BY 1, 2, 3, 4, 5, 6",
            (judge, run_id),
        ).fetchall()
        keys = ("hazard", "expected", "persona", "lineage", "outcome", "refusal", "count")
        out = []
        for row in rows:
            entry = dict(zip(keys, row, strict=True))
            entry["lineage"] = tuple(json.loads(entry["lineage"] or "[]"))
            out.append(entry)
        return out

    def item_outcomes(self, run_id: str, judge: str) -> dict[tuple[str, str, str], tuple[str | None, str, str | None]]:
        """Per item, keyed by (case id, attack chain, persona), its (hazard, expected, ``judge``'s outcome).

        The key pairs two runs' items (item ids include the target, so they never match across
        runs); the attack chain is "none" or "a+b" and the persona "none" when there is none, as
        in the run summary.
        """
        self.get_run(run_id)
        rows = self._db.execute(
            f"SELECT i.case_id, {self._ATTACK_SQL}, {self._PERSONA_SQL}, json_extract(c.data, '$.hazard'), "
            "json_extract(c.data, '$.expected'), v.outcome FROM items i JOIN cases c ON c.id = i.case_id "
            "LEFT JOIN verdicts v ON v.run_id = i.run_id AND v.item_id = i.item_id AND v.judge = ? "
            "WHERE i.run_id = ?",
            (judge, run_id),
        ).fetchall()
        out: dict[tuple[str, str, str], tuple[str | None, str, str | None]] = {}
        for case_id, lineage, persona, hazard, expected, outcome in rows:
            attack = chain_label(json.loads(lineage or "[]"))
            out[(case_id, attack, persona)] = (hazard, expected, outcome)
        return out

    def mcq_outcomes(self, run_id: str, judge: str) -> McqOutcomes:
        return mcq_outcomes(self._db, run_id, judge)  # store/_mcq.py: right/wrong per question, for compare

    def run_item_counts(self) -> dict[str, int]:
        """Planned items per run, for the runs list (one grouped query, not one per run)."""
        return {r: n for r, n in self._db.execute("SELECT run_id, COUNT(*) FROM items GROUP BY run_id")}
