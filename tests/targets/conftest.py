"""Real servers on 127.0.0.1 for the target tests: a fault injector and llama-cpp-python's server."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _fault_server import FaultServer, free_port


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer(hang_s=3.0).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with the embedded SmolLM2 GGUF; yields its /v1 URL."""
    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] is not installed")
    from riskscope.targets.llamacpp import embedded_model_path

    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    # --n_batch 1: the server reuses the KV cache of a repeated prompt prefix, and logits of a
    # prefix evaluated in a different batch shape differ slightly (in the portable AVX2 build a
    # repeated greedy request got a different answer). One token per batch makes it deterministic.
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(embedded_model_path()),
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048", "--n_threads", "1", "--model_alias", "smollm2", "--n_batch", "1",
    ]  # fmt: skip
    with Path(log).open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 180
        try:
            while True:
                if process.poll() is not None:
                    pytest.fail(f"llama_cpp.server exited with {process.returncode}: {log.read_text()[-2000:]}")
                try:
                    if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server did not answer in 180 s: {log.read_text()[-2000:]}")
                time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
