"""What the store hands back: planned items and results, as frozen values (no connection inside)."""

from __future__ import annotations

from dataclasses import dataclass

from riskscope.core import Response, Variant, Verdict


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
