"""Systems under test, and the one call wrapper every model call goes through (limits, retries, redaction)."""

from riskscope.targets._base import Target, TargetFactory, ToolTarget, build_target, target, targets
from riskscope.targets._calls import (
    AdaptiveLimiter,
    CallResult,
    Redactor,
    RetryPolicy,
    call_target,
    call_with_retries,
    check_response,
)
from riskscope.targets._endpoint import JsonEndpoint

__all__ = [
    "AdaptiveLimiter",
    "CallResult",
    "JsonEndpoint",
    "Redactor",
    "RetryPolicy",
    "Target",
    "TargetFactory",
    "ToolTarget",
    "build_target",
    "call_target",
    "call_with_retries",
    "check_response",
    "target",
    "targets",
]
