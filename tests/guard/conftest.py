"""The guard's tests: a real proxy (uvicorn on 127.0.0.1) before a scripted upstream and guard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("fastapi", reason="the guard proxy needs the server extra (fastapi)")
pytest.importorskip("uvicorn", reason="the guard proxy needs the server extra (uvicorn)")

from _upstream import ScriptedServer


@pytest.fixture(scope="module")
def scripted() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server
