"""The pipeline that wires suites, targets and judges together and writes the store."""

from riskscope.runner._calls import AdaptiveLimiter, RetryPolicy, call_target, check_response
from riskscope.runner._pipeline import RunStats, execute, load_cases, open_run, plan_items
from riskscope.runner.progress import PlainProgress, Progress, RichProgress, SilentProgress

__all__ = [
    "AdaptiveLimiter",
    "PlainProgress",
    "Progress",
    "RetryPolicy",
    "RichProgress",
    "RunStats",
    "SilentProgress",
    "call_target",
    "check_response",
    "execute",
    "load_cases",
    "open_run",
    "plan_items",
]
