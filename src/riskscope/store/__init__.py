"""The results database (SQLite by default): runs, items, responses, call journal, verdicts."""

from riskscope.store._migrations import SCHEMA_VERSION
from riskscope.store._sqlite import HEARTBEAT_S, STALE_AFTER_S, ItemRow, ResultFilter, ResultRow, Store

__all__ = ["HEARTBEAT_S", "SCHEMA_VERSION", "STALE_AFTER_S", "ItemRow", "ResultFilter", "ResultRow", "Store"]
