"""The SQLite store: every response and verdict is committed the moment it is known.

WAL mode lets the dashboard and ``riskscope report`` read while a run writes; ``synchronous=NORMAL``
in WAL keeps every committed transaction across a process kill (only an OS crash can lose the
last few), which is the guarantee resume needs at a fraction of FULL's fsync cost.
One process writes; readers may be many.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from riskscope.core import RunStatus
from riskscope.errors import StoreError
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


# The last store this process opened: the CLI's boundary names it when sqlite reports a damaged page
# mid-command (sqlite's error does not say which file it was reading).
last_opened: list[Path] = []


@contextmanager
def transaction(db: sqlite3.Connection, *, immediate: bool = False) -> Iterator[None]:
    """One commit for every write inside, or none of them on an exception. Inside an open
    transaction it joins that one (the runner's group commit wraps many results' writes), so a
    write method can always use it. ``immediate`` takes the write lock at the start, for writers
    that read before they write (a gold draw, the guard proxy's decisions)."""
    if db.in_transaction:
        yield
        return
    db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class Connection:
    """One open results database: pragmas, migrations on open, and closing (no queries of its own)."""

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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
