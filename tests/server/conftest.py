"""A real dashboard on 127.0.0.1 over a store built through the Store API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("fastapi", reason="the dashboard needs the server extra (fastapi)")
pytest.importorskip("uvicorn", reason="the dashboard needs the server extra (uvicorn)")

from _dashboard import Dashboard, RunningServer, build_store

from riskscope.server import create_app


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    path = tmp_path_factory.mktemp("dash") / "store.db"
    run_a, run_b = build_store(path)
    with RunningServer(create_app(path)) as url:
        yield Dashboard(url=url, store_path=path, run_a=run_a, run_b=run_b)
