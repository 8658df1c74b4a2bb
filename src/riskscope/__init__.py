"""riskscope: measure how safe an AI system is, with honest uncertainty.

The public API is this module's ``__all__`` (locked by tests/test_public_api.py); everything else
may change between releases.
"""

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
