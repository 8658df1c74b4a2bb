"""riskscope's exception hierarchy.

Every error a user can cause or meet derives from :class:`RiskscopeError`; the CLI prints such an
error as one clean line and exits non-zero, and shows a traceback only for anything else (a bug)::

    RiskscopeError
    ├── ConfigError            bad flag, bad spec string, bad YAML config
    ├── SuiteFormatError       a malformed suite file (names file, line, field)
    ├── UnknownPluginError     a name no registry knows
    ├── MissingExtraError      an optional engine is not installed ("pip install 'riskscope[hf]'")
    ├── StoreError             the database cannot be opened, migrated or is from a newer version
    │   └── RunNotFoundError   no run with that id
    └── TargetError            a classified failure of one call to a system under test
                               (carries an ErrorKind and whether a retry may help)

    Terminated (a BaseException, like KeyboardInterrupt, so no `except Exception` swallows it)
                               SIGTERM ended a run: handled like Ctrl-C (run left `interrupted`),
                               exit status 143 instead of 130

Third-party exceptions are mapped at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations

import enum

__all__ = [
    "ConfigError",
    "ErrorKind",
    "MissingExtraError",
    "RiskscopeError",
    "RunNotFoundError",
    "StoreError",
    "SuiteFormatError",
    "TargetError",
    "Terminated",
    "UnknownPluginError",
]


class ErrorKind(enum.StrEnum):
    """Why a target call produced no usable answer. Every kind ends as an UNASSESSED verdict."""

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    RATE_LIMITED = "rate_limited"
    HTTP_4XX = "http_4xx"
    HTTP_5XX = "http_5xx"
    MALFORMED = "malformed"
    EMPTY = "empty"
    CONTENT_FILTER = "content_filter"
    BLOCKED_BY_GUARD = "blocked_by_guard"
    INTERNAL = "internal"


class RiskscopeError(Exception):
    """Base of every error riskscope raises on purpose."""


class ConfigError(RiskscopeError):
    """A flag, spec string or config file that cannot be used as given."""


class SuiteFormatError(RiskscopeError):
    """A suite file that cannot be read; the message names file, line and field."""

    def __init__(self, path: str, line: int | None, field: str | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem
        where = path
        if line is not None:
            where += f":{line}"
        if field is not None:
            where += f" (field {field!r})"
        super().__init__(f"{where}: {problem}")


class UnknownPluginError(RiskscopeError):
    """A registry was asked for a name it does not know."""


class MissingExtraError(RiskscopeError):
    """An optional engine is not installed; the message says which extra to install.

    ``extra=None`` is a dependency of riskscope itself that is missing (a broken install): the
    message then names the package, not an extra that does not exist. tests/test_public_api.py
    checks that every extra named in the source is one pyproject.toml defines.
    """

    def __init__(self, extra: str | None, module: str) -> None:
        if extra is None:
            message = (
                f"riskscope's dependency {module!r} is not installed (a broken install): "
                f"pip install {module!r}, or reinstall riskscope"
            )
        else:
            message = f"this feature needs the optional package {module!r}: pip install 'riskscope[{extra}]'"
        super().__init__(message)


class StoreError(RiskscopeError):
    """The results database cannot be used."""


class RunNotFoundError(StoreError):
    """No run with the requested id exists in the store."""


class TargetError(RiskscopeError):
    """One failed call to a target, classified by the provider that made it.

    ``retryable`` tells the call wrapper whether another attempt may succeed; ``retry_after`` is
    the server's Retry-After in seconds when it sent one.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class Terminated(BaseException):
    """A signal (SIGTERM) ended the process; the run was left ``interrupted`` with that reason."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum
