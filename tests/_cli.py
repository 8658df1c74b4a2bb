"""The one way tests run the ``riskscope`` command in a subprocess, as a user runs it.

(tests/conftest.py puts this folder on ``sys.path``, so any test can ``from _cli import riskscope``.)
A subprocess, not typer's CliRunner, where the test is about what a user sees: the exit status, one
clean line on stderr, no traceback, the real entry point's error handling.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

CLI = [sys.executable, "-m", "riskscope.cli"]


def riskscope(
    *args: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    unset: tuple[str, ...] = (),
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run ``riskscope ARGS``; ``env`` adds to (and ``unset`` removes from) this process's environment."""
    environment = {k: v for k, v in os.environ.items() if k not in unset} | dict(env or {})
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, cwd=cwd, env=environment, timeout=timeout, check=False
    )
