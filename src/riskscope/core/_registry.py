"""One registry per extension point.

Built-ins register with a decorator that records the name and a one-line description; third
parties register through an ``importlib.metadata`` entry-point group (``riskscope.targets`` …),
loaded lazily on first lookup. ``RISKSCOPE_PLUGINS`` (comma-separated entry-point names) restricts
which third-party plugins load, the way simonw/llm's ``LLM_LOAD_PLUGINS`` does.

A plugin that fails to import is reported (a warning, ``Registry.broken``, and in ``riskscope
<stage> list``) and skipped: one broken package must not take every command down. A plugin that
reuses a built-in's name is an error: silently preferring either would run something other than
what the user named.

Options: each registration may name a pydantic model of its options (``options=`` of the
decorator; a third-party factory sets a ``options_model`` attribute). ``Registry.check_options``
validates a spec's options against it before the factory runs, so an unknown key is one line
naming the plugin and the key (RunConfig rejects unknown keys; a plugin's options now do too),
and a value of the wrong type is caught at the edge. A registration without a model accepts no
options at all; a third-party plugin without one is passed its options unchecked (riskscope
cannot know them), which docs/plugins.md asks plugin authors not to rely on.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class PluginOptions(BaseModel):
    """Base of every plugin's options model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoOptions(PluginOptions):
    """A plugin that takes no options."""


@dataclass(frozen=True)
class Registration(Generic[T]):
    name: str
    factory: T
    summary: str
    origin: str
    options: type[BaseModel] | None = NoOptions


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
        # Entry points that failed to import: name -> "module:attr: ExceptionType: message".
        self.broken: dict[str, str] = {}

    def register(self, name: str, summary: str = "", *, options: type[BaseModel] = NoOptions) -> Callable[[T], T]:
        def decorate(factory: T) -> T:
            doc = summary or (getattr(factory, "__doc__", None) or "").strip().splitlines()[0:1]
            text = doc if isinstance(doc, str) else (doc[0] if doc else "")
            self._items[name] = Registration(name, factory, text, "builtin", options)
            return factory

        return decorate

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        for module in self.builtin_modules:
            importlib.import_module(module)
        from importlib.metadata import entry_points  # ~40 ms: only when a registry is first used

        from riskscope.errors import ConfigError

        allowed = os.environ.get("RISKSCOPE_PLUGINS")
        allow = None if allowed is None else {n.strip() for n in allowed.split(",") if n.strip()}
        for ep in entry_points(group=self.group):
            if allow is not None and ep.name not in allow:
                continue
            existing = self._items.get(ep.name)
            if existing is not None and existing.origin == "builtin":
                raise ConfigError(
                    f"plugin {ep.value} registers {self.kind} {ep.name!r} (entry point group {self.group}), "
                    f"which is a built-in {self.kind}: the plugin must use another name"
                )
            try:
                factory = ep.load()
            except Exception as exc:  # a broken plugin is reported and skipped, never fatal
                self.broken[ep.name] = f"{ep.value}: {type(exc).__name__}: {exc}"
                warnings.warn(
                    f"riskscope: {self.kind} plugin {ep.name!r} failed to load and is skipped: {self.broken[ep.name]}",
                    RuntimeWarning,
                    stacklevel=2,
                )
                continue
            doc = (getattr(factory, "__doc__", None) or "").strip().splitlines()
            model = getattr(factory, "options_model", None)
            model = model if isinstance(model, type) and issubclass(model, BaseModel) else None
            self._items[ep.name] = Registration(ep.name, factory, doc[0] if doc else "", f"plugin:{ep.value}", model)
        self._plugins_loaded = True

    def get(self, name: str) -> T:
        from riskscope.errors import UnknownPluginError

        self._load_plugins()
        try:
            return self._items[name].factory
        except KeyError:
            if name in self.broken:
                raise UnknownPluginError(f"{self.kind} plugin {name!r} failed to load: {self.broken[name]}") from None
            known = ", ".join(sorted(self._items)) or "none"
            raise UnknownPluginError(f"unknown {self.kind} {name!r} (known: {known})") from None

    def options_model(self, name: str) -> type[BaseModel] | None:
        self.get(name)
        return self._items[name].options

    def check_options(self, name: str, options: Mapping[str, Any]) -> BaseModel | None:
        """``options`` validated against the plugin's model; one line naming plugin and key if not."""
        model = self.options_model(name)
        return None if model is None else self.read_options(name, options, model)

    def read_options(self, name: str, options: Mapping[str, Any], model: type[M]) -> M:
        """``options`` as the factory's own typed model: defaults and allowed values live there alone.

        A built-in factory calls this instead of reading its raw options dict, so what the registry
        checked and what the factory uses cannot drift apart.
        """
        from riskscope.errors import ConfigError

        try:
            return model.model_validate(dict(options))
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first["loc"]) or "options"
            if first["type"] == "extra_forbidden":
                known = ", ".join(sorted(model.model_fields)) or "none: it takes no options"
                raise ConfigError(f"{self.kind} {name!r}: unknown option {key!r} (known: {known})") from None
            raise ConfigError(f"{self.kind} {name!r}: option {key!r}: {first['msg']}") from None

    def list(self) -> list[Registration[T]]:
        self._load_plugins()
        return sorted(self._items.values(), key=lambda r: r.name)

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._items
