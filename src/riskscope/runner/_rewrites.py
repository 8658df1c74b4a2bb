"""Model-calling attack steps (LLM rewrites) run before planning, with the store as their cache.

A rewrite is a model call like any other: committed the moment it lands into the store's response
cache (keyed by rewriter, request and decoding, so a resumed or repeated run reuses it and never
calls again) and journaled in the run's calls table (item id ``rewrite:KEY``), where failed calls
are visible too. A kill during the rewrites loses none that finished.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from riskscope.attacks import AttackChain
from riskscope.core import ErrorKind, Response, ResponseError, TestCase, Variant
from riskscope.store import Store

__all__ = ["StoreRewriteCache", "prepare_chains"]


class StoreRewriteCache:
    """The store's response cache and call journal, as an attack's rewrite cache for one run."""

    def __init__(self, store: Store, run_id: str) -> None:
        self._store = store
        self._run_id = run_id
        # A rewrite that failed in this run stays failed when the run is resumed: its item is
        # already planned (ids follow what was sent), and a later success would add a second item
        # for the same case. ``--fresh`` starts a new run, which asks the rewriter again.
        self._failed = {
            str(call["item_id"]).removeprefix("rewrite:"): call
            for call in store.call_journal(run_id)
            if str(call["item_id"]).startswith("rewrite:") and not call["ok"]
        }

    def get(self, key: str) -> Response | None:
        cached = self._store.get_response(key)
        if cached is None and key in self._failed:
            kind = self._failed[key]["error_kind"] or ErrorKind.INTERNAL
            return Response(error=ResponseError(kind=kind, message="failed earlier in this run (see the call journal)"))
        return cached

    def put(self, key: str, response: Response) -> None:
        self._store.put_response(self._run_id, f"rewrite:{key}", key, response)


async def prepare_chains(chains: Iterable[AttackChain], cases: Sequence[TestCase], cache: StoreRewriteCache) -> None:
    """Every model-calling chain rewrites the cases' prompts (each distinct request once)."""
    plain = [Variant.of(case) for case in cases]
    for chain in chains:
        if chain.needs_model:
            await chain.prepare(plain, cache)
