"""The results database (SQLite by default): runs, items, responses, call journal, verdicts, gold labels."""

from riskscope.store._gold import GOLD_LABELS, REVIEW_REASONS, GoldDraw, GoldItem, GoldLabel
from riskscope.store._migrations import SCHEMA_VERSION
from riskscope.store._sqlite import ItemRow, ResultFilter, ResultRow, Store

__all__ = [
    "GOLD_LABELS",
    "REVIEW_REASONS",
    "SCHEMA_VERSION",
    "GoldDraw",
    "GoldItem",
    "GoldLabel",
    "ItemRow",
    "ResultFilter",
    "ResultRow",
    "Store",
]
