"""llama-cpp-python's OpenAI-compatible server with the embedded SmolLM2 GGUF, started once per session.

One server serves every test that needs a real HTTP model (targets, judges, attacks): its flags are
the union of what they need.
- not ``--n_batch 1``: one token per batch would make greedy answers repeat across a warm KV cache,
  but a Llama Guard prompt then takes minutes on a loaded 2-core machine; the repeat test warms the
  cache instead (tests/targets/test_openai_llamacpp_server.py).
- ``--logits_all true``: guards scored from first-token log-probabilities (ShieldGemma, MCQ logprob
  mode) need the logits kept.
- ``--model_alias smollm2``: tests name the model as a user would.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

START_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class LlamaServer:
    url: str  # http://127.0.0.1:PORT/v1
    model: str  # the alias to name in requests
    log: Path


def serve(log: Path) -> Iterator[LlamaServer]:
    """Start the server, wait until it answers, yield it, stop it (a failure to start raises with its log)."""
    from riskscope.targets.llamacpp import embedded_model_path

    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(embedded_model_path()),
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "4096", "--n_threads", "2",
        "--logits_all", "true", "--model_alias", "smollm2",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    server = LlamaServer(url=f"http://127.0.0.1:{port}/v1", model="smollm2", log=log)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {process.returncode}: {_tail(log)}")
            try:
                if httpx.get(f"{server.url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server did not answer in {START_TIMEOUT_S} s: {_tail(log)}")
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]
