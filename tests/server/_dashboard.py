"""Helpers for the dashboard tests: a real uvicorn server on 127.0.0.1 in a thread, and a store built
through the Store API with invented text (shared with tests/reports, loaded by path)."""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import uvicorn

from riskscope.store import Store


def _load_synthetic() -> ModuleType:
    # Shared with tests/reports; loaded by path so it works under any pytest import mode.
    path = Path(__file__).resolve().parents[1] / "reports" / "_synthetic.py"
    spec = importlib.util.spec_from_file_location("riskscope_test_synthetic", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


synthetic = _load_synthetic()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dashboard:
    url: str
    store_path: Path
    run_a: str
    run_b: str


class RunningServer:
    """uvicorn serving an app on 127.0.0.1 in a background thread, stopped cleanly on exit."""

    def __init__(self, app: object) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("dashboard did not start")
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def build_store(path: Path) -> tuple[str, str]:
    with Store(path) as store:
        run_a = synthetic.build_run(store, 60, seed=1, payloads=True, label="model-a")
        run_b = synthetic.build_run(store, 60, seed=2, unsafe_rate=0.15, label="model-b")
    return run_a, run_b
