"""`riskscope serve` as a user starts it: loopback by default, other hosts only with a token."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from _dashboard import build_store, free_port

from _cli import CLI

pytest.importorskip("fastapi", reason="the dashboard needs the server extra (fastapi)")



def test_non_loopback_host_without_token_is_refused(tmp_path: Path) -> None:
    build_store(tmp_path / "s.db")
    env = {k: v for k, v in os.environ.items() if k != "RISKSCOPE_TOKEN"}
    result = subprocess.run(
        [*CLI, "serve", "--host", "0.0.0.0", "--store", str(tmp_path / "s.db")],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert result.returncode == 2
    assert "needs --token" in result.stderr and "Traceback" not in result.stderr


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run([*CLI, "serve", "--store", str(tmp_path / "none.db")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "no store at" in result.stderr


def test_serve_answers_on_loopback_and_keeps_the_token_out_of_its_output(tmp_path: Path) -> None:
    build_store(tmp_path / "s.db")
    port = free_port()
    token = "a-token-long-enough-to-pass"
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--store", str(tmp_path / "s.db")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "RISKSCOPE_TOKEN": token},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", headers={"authorization": f"Bearer {token}"})
                break
            except httpx.ConnectError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        assert response.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 401
        httpx.get(f"http://127.0.0.1:{port}/", params={"token": token})
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert token not in out and token not in err
    assert f"http://127.0.0.1:{port}/" in out
