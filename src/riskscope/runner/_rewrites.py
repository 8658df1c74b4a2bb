"""Model-calling attack steps (LLM rewrites) run before planning, with the store as their cache.

A rewrite is a model call like any other: it is cached in the store's response cache (keyed by
rewriter, request and decoding, so a resumed or repeated run reuses it and never calls again) and
journaled in the run's calls table (item id ``rewrite:KEY``), where failed calls are visible too.
Rewrites run before the run row exists, like every other step that can fail on input; their calls
are journaled into the run as soon as it is opened.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from riskscope.attacks import AttackChain
from riskscope.core import Response, TestCase, Variant
from riskscope.store import Store

__all__ = ["StoreRewriteCache", "prepare_chains"]


class StoreRewriteCache:
    """Reads the store's response cache; holds new calls until :meth:`journal` writes them."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.fresh: list[tuple[str, Response]] = []

    def get(self, key: str) -> Response | None:
        return self._store.get_response(key)

    def put(self, key: str, response: Response) -> None:
        self.fresh.append((key, response))

    def journal(self, run_id: str) -> None:
        for key, response in self.fresh:
            self._store.put_response(run_id, f"rewrite:{key}", key, response)
        self.fresh.clear()


async def prepare_chains(chains: Iterable[AttackChain], cases: Sequence[TestCase], cache: StoreRewriteCache) -> None:
    """Every model-calling chain rewrites the cases' prompts (each distinct request once)."""
    plain = [Variant.of(case) for case in cases]
    for chain in chains:
        if chain.needs_model:
            await chain.prepare(plain, cache)
