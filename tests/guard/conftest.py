"""The guard's tests: a real proxy (uvicorn on 127.0.0.1) before a scripted upstream and guard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the guard proxy needs the server extra (fastapi)")
pytest.importorskip("uvicorn", reason="the guard proxy needs the server extra (uvicorn)")

from _upstream import ScriptedServer


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


def _targets_conftest() -> Any:
    """The target tests' conftest, for its real llama.cpp server fixture (one fixture, not a copy)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "targets" / "conftest.py"
    spec = importlib.util.spec_from_file_location("riskscope_tests_targets_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


llama_server = _targets_conftest().llama_server
