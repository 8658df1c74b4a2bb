"""A small cache for a run's grouped counts, valid while the store's change marker stays put.

Grouped counts over 50,000 items cost a few hundred milliseconds in SQLite, and a person paging
through a run asks for the same counts on every page. Keying on the store's change marker (max
rowids, constant-time to read) means any new item, verdict or call invalidates the entry, so a run
still being written never shows stale figures.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class CountsCache:
    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, marker: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == marker:
                self._entries.move_to_end(key)
                return entry[1]
        value = compute()
        with self._lock:
            self._entries[key] = (marker, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value
