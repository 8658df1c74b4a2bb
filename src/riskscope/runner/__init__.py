"""The pipeline that wires suites, targets and judges together and writes the store.

It only schedules: the call wrapper (limits, retries, redaction) lives with the targets.
"""

from riskscope.runner._pipeline import RunStats, execute, load_cases, open_run, plan_items
from riskscope.runner.progress import PlainProgress, Progress, RichProgress, SilentProgress

__all__ = [
    "PlainProgress",
    "Progress",
    "RichProgress",
    "RunStats",
    "SilentProgress",
    "execute",
    "load_cases",
    "open_run",
    "plan_items",
]
