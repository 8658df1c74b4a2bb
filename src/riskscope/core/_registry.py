"""One registry per extension point.

Built-ins register with a decorator that records the name and a one-line description; third
parties register through an ``importlib.metadata`` entry-point group (``riskscope.targets`` …),
loaded lazily on first lookup. ``RISKSCOPE_PLUGINS`` (comma-separated entry-point names) restricts
which third-party plugins load, the way simonw/llm's ``LLM_LOAD_PLUGINS`` does.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Registration(Generic[T]):
    name: str
    factory: T
    summary: str
    origin: str


class Registry(Generic[T]):
    """A name → factory map for one extension point."""

    def __init__(self, kind: str, group: str, builtin_modules: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.group = group
        # Built-in modules are imported on first lookup, not when the package is imported, so
        # importing riskscope never loads llama.cpp or httpx as a side effect.
        self.builtin_modules = builtin_modules
        self._items: dict[str, Registration[T]] = {}
        self._plugins_loaded = False

    def register(self, name: str, summary: str = "") -> Callable[[T], T]:
        def decorate(factory: T) -> T:
            doc = summary or (getattr(factory, "__doc__", None) or "").strip().splitlines()[0:1]
            text = doc if isinstance(doc, str) else (doc[0] if doc else "")
            self._items[name] = Registration(name, factory, text, "builtin")
            return factory

        return decorate

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for module in self.builtin_modules:
            importlib.import_module(module)
        allowed = os.environ.get("RISKSCOPE_PLUGINS")
        allow = None if allowed is None else {n.strip() for n in allowed.split(",") if n.strip()}
        for ep in entry_points(group=self.group):
            if allow is not None and ep.name not in allow:
                continue
            factory = ep.load()
            doc = (getattr(factory, "__doc__", None) or "").strip().splitlines()
            self._items.setdefault(ep.name, Registration(ep.name, factory, doc[0] if doc else "", f"plugin:{ep.value}"))

    def get(self, name: str) -> T:
        from riskscope.errors import UnknownPluginError

        self._load_plugins()
        try:
            return self._items[name].factory
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise UnknownPluginError(f"unknown {self.kind} {name!r} (known: {known})") from None

    def list(self) -> list[Registration[T]]:
        self._load_plugins()
        return sorted(self._items.values(), key=lambda r: r.name)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._items
