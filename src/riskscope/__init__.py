"""riskscope: measure how safe an AI system is, with honest uncertainty.

The public API is this module's ``__all__`` (locked by tests/test_public_api.py); everything else
may change between releases.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riskscope.config import Decoding, Persona, PluginSpec, RunConfig, TargetConfig, load_config
    from riskscope.core import (
        ErrorKind,
        Expected,
        Message,
        Outcome,
        Response,
        RunRecord,
        RunStatus,
        TestCase,
        Variant,
        Verdict,
    )
    from riskscope.errors import (
        ConfigError,
        MissingExtraError,
        RiskscopeError,
        RunNotFoundError,
        StoreError,
        SuiteFormatError,
        TargetError,
        UnknownPluginError,
    )

# Where each public name lives. They are imported on first use (PEP 562), so that importing a
# submodule (``riskscope.cli`` for ``riskscope --help``) does not build every pydantic model first.
_HOME = {
    **dict.fromkeys(("Decoding", "Persona", "PluginSpec", "RunConfig", "TargetConfig", "load_config"), "config"),
    **dict.fromkeys(
        ("ErrorKind", "Expected", "Message", "Outcome", "Response", "RunRecord", "RunStatus", "TestCase", "Variant",
         "Verdict"),
        "core",
    ),
    **dict.fromkeys(
        ("ConfigError", "MissingExtraError", "RiskscopeError", "RunNotFoundError", "StoreError", "SuiteFormatError",
         "TargetError", "UnknownPluginError"),
        "errors",
    ),
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'riskscope' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"riskscope.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Decoding",
    "ErrorKind",
    "Expected",
    "Message",
    "MissingExtraError",
    "Outcome",
    "Persona",
    "PluginSpec",
    "Response",
    "RiskscopeError",
    "RunConfig",
    "RunNotFoundError",
    "RunRecord",
    "RunStatus",
    "StoreError",
    "SuiteFormatError",
    "TargetConfig",
    "TargetError",
    "TestCase",
    "UnknownPluginError",
    "Variant",
    "Verdict",
    "__version__",
    "load_config",
]
