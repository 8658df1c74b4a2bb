"""The results database (SQLite by default): runs, items, responses, call journal, verdicts, gold labels.

:class:`StoreQuery` reads; :class:`Store` reads and writes (the runner, the dashboard's review labels).
"""

from riskscope.store._connection import HEARTBEAT_S, STALE_AFTER_S
from riskscope.store._gold import GOLD_LABELS, REVIEW_REASONS, GoldDraw, GoldItem, GoldLabel
from riskscope.store._guard import GuardDecision
from riskscope.store._migrations import SCHEMA_VERSION
from riskscope.store._query import StoreQuery
from riskscope.store._rows import ItemRow, ResultFilter, ResultRow
from riskscope.store._sqlite import Store

__all__ = [
    "GOLD_LABELS",
    "HEARTBEAT_S",
    "REVIEW_REASONS",
    "SCHEMA_VERSION",
    "STALE_AFTER_S",
    "GoldDraw",
    "GoldItem",
    "GoldLabel",
    "GuardDecision",
    "ItemRow",
    "ResultFilter",
    "ResultRow",
    "Store",
    "StoreQuery",
]
