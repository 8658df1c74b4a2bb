"""The SQLite store: every response and verdict is committed the moment it is known.

WAL mode lets the dashboard and ``riskscope report`` read while a run writes; ``synchronous=NORMAL``
in WAL keeps every committed transaction across a process kill (only an OS crash can lose the
last few), which is the guarantee resume needs at a fraction of FULL's fsync cost.
One process writes; readers may be many.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from riskscope.core import Response, RunRecord, RunStatus, TestCase, Variant, Verdict, chain_label
from riskscope.errors import RunNotFoundError, StoreError
from riskscope.store._gold import GoldTables
from riskscope.store._migrations import MIGRATIONS, SCHEMA_VERSION


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


# A writer refreshes its run's heartbeat this often; a `running` run silent for STALE_AFTER_S (or
# whose writer pid is gone on this host) is stale: its process died without saying so.
HEARTBEAT_S = 15.0
STALE_AFTER_S = 120.0
_HOST = socket.gethostname()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but is not ours (PermissionError), or we cannot tell: assume alive
    return True


def _is_stale(status: str, pid: int | None, host: str | None, heartbeat: str | None) -> bool:
    if status != RunStatus.RUNNING:
        return False
    if pid is not None and host == _HOST and pid != os.getpid() and not _pid_alive(pid):
        return True
    if heartbeat is None:
        return pid is None  # a run from before heartbeats existed: nothing proves it is alive
    age = (datetime.now(UTC) - datetime.fromisoformat(heartbeat)).total_seconds()
    return age > STALE_AFTER_S


@dataclass(frozen=True)
class ItemRow:
    """One planned item of a run: a variant under a persona, sent to the run's target."""

    item_id: str
    seq: int
    variant: Variant
    persona: str | None
    cache_key: str


@dataclass(frozen=True)
class ResultFilter:
    """Which items of a run the dashboard wants; hashable, so it can key a cache of item ids.

    ``outcome`` filters on ``judge``'s verdict ("pending": no verdict yet); ``attack`` is the
    lineage tuple (``()`` for unattacked items); ``text`` searches the test case (prompt and
    metadata), case-insensitively.
    """

    judge: str
    hazards: tuple[str, ...] | None = None
    expected: str | None = None
    outcome: str | None = None
    persona: str | None = None
    attack: tuple[str, ...] | None = None
    text: str | None = None


@dataclass(frozen=True)
class ResultRow:
    """An item with whatever is known of it so far (response and verdicts may be missing)."""

    item: ItemRow
    response: Response | None
    verdicts: dict[str, Verdict]


# The last store this process opened: the CLI's boundary names it when sqlite reports a damaged page
# mid-command (sqlite's error does not say which file it was reading).
last_opened: list[Path] = []


class Store(GoldTables):
    """A connection to one results database (gold draws and labels: :class:`GoldTables`)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        last_opened[:] = [self.path]
        if str(path) != ":memory:":
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for store {self.path}: {exc}") from exc
        try:
            self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc

    # -- schema -------------------------------------------------------------------------------
    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"store {self.path} has schema version {version}, newer than this riskscope "
                f"understands ({SCHEMA_VERSION}); upgrade riskscope"
            )
        for number in range(version, SCHEMA_VERSION):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated while we waited for the write lock: re-read.
                if int(self._db.execute("PRAGMA user_version").fetchone()[0]) > number:
                    self._db.execute("COMMIT")
                    continue
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number + 1}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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

    # -- items --------------------------------------------------------------------------------
    def add_items(self, run_id: str, items: Iterable[ItemRow]) -> None:
        """Plan a run's items in one transaction (idempotent: re-planning a resumed run is a no-op)."""
        self._db.execute("BEGIN")
        try:
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
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

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

    def put_response(self, run_id: str, item_id: str, cache_key: str, response: Response) -> None:
        """Journal the call and, if it succeeded, cache its response, in one commit.

        Failed calls are journaled but not cached, so a resumed run tries them again.
        """
        now = _now()
        self._db.execute("BEGIN")
        try:
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
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

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

    # -- verdicts -----------------------------------------------------------------------------
    def put_verdicts(self, run_id: str, item_id: str, verdicts: dict[str, Verdict]) -> None:
        now = _now()
        self._db.execute("BEGIN")
        try:
            for judge, verdict in verdicts.items():
                self._db.execute(
                    "INSERT OR REPLACE INTO verdicts VALUES (?,?,?,?,?,?)",
                    (run_id, item_id, judge, verdict.outcome, verdict.model_dump_json(), now),
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

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

    # -- review queue -------------------------------------------------------------------------
    def enqueue_review(self, run_id: str, item_id: str, reason: str, score: float | None) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO review_queue (run_id, item_id, reason, score) VALUES (?,?,?,?)",
            (run_id, item_id, reason, score),
        )

    def review_queue(self, run_id: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT item_id, reason, score, label, labelled_by, labelled_at FROM review_queue "
            "WHERE run_id = ? ORDER BY score DESC",
            (run_id,),
        ).fetchall()
        keys = ("item_id", "reason", "score", "label", "labelled_by", "labelled_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def label_review(self, run_id: str, item_id: str, label: str, who: str) -> None:
        cursor = self._db.execute(
            "UPDATE review_queue SET label = ?, labelled_by = ?, labelled_at = ? WHERE run_id = ? AND item_id = ?",
            (label, who, _now(), run_id, item_id),
        )
        if cursor.rowcount == 0:
            raise RunNotFoundError(f"item {item_id!r} of run {run_id!r} is not in the review queue")

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

    def run_item_counts(self) -> dict[str, int]:
        """Planned items per run, for the runs list (one grouped query, not one per run)."""
        return {r: n for r, n in self._db.execute("SELECT run_id, COUNT(*) FROM items GROUP BY run_id")}
