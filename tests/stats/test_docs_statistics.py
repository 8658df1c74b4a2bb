"""The Python examples in docs/statistics.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "statistics.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_docs_have_examples() -> None:
    assert len(_python_blocks()) >= 2


@pytest.mark.parametrize("block", _python_blocks())
def test_every_python_example_runs(block: str) -> None:
    exec(compile(block, str(DOC), "exec"), {})
