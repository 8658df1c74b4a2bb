"""Real servers on 127.0.0.1 for the target tests: a fault injector and llama-cpp-python's server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _fault_server import FaultServer


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer(hang_s=3.0).start()
    yield server
    server.stop()
