"""The results database (SQLite by default): runs, items, responses, call journal, verdicts."""

from riskscope.store._migrations import SCHEMA_VERSION
from riskscope.store._sqlite import ItemRow, ResultFilter, ResultRow, Store

__all__ = ["SCHEMA_VERSION", "ItemRow", "ResultFilter", "ResultRow", "Store"]
