"""Streaming: output is held back until the output judges pass; no unchecked token reaches the client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from _guard_proxy import Proxy, guard_judge
from _upstream import MARKER, ScriptedServer

from riskscope.store import Store

SAFE_HEAD = "The history of bread begins with wild grains ground on stones, " * 3
AFTER = " and then the tail that must never be seen because its chunk was blocked" * 2


def stream_bytes(url: str, text: str) -> bytes:
    body = {"model": "m", "messages": [{"role": "user", "content": f"say: {text}"}], "stream": True}
    with httpx.stream("POST", f"{url}/chat/completions", json=body, timeout=30) as response:
        assert response.status_code == 200
        return b"".join(response.iter_raw())


def contents(raw: bytes) -> tuple[str, list[str | None]]:
    text, finishes = "", []
    for line in raw.decode().splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            choice = json.loads(line[6:])["choices"][0]
            text += choice["delta"].get("content") or ""
            finishes.append(choice["finish_reason"])
    return text, finishes


def config(server: ScriptedServer, chunk: int, overlap: int) -> dict[str, Any]:
    return {
        "default": "p",
        "policies": {
            "p": {
                "output_judges": [guard_judge(server)],
                "refusal_message": "[blocked]",
                "stream": {"chunk_chars": chunk, "overlap_chars": overlap},
            }
        },
    }


@pytest.mark.parametrize(("chunk", "overlap"), [(40, 8), (25, 8), (64, 16), (9, 8)])
def test_the_client_never_receives_a_blocked_chunk(
    scripted: ScriptedServer, tmp_path: Path, chunk: int, overlap: int
) -> None:
    text = SAFE_HEAD + MARKER + AFTER
    store = tmp_path / "g.db"
    with Proxy(config(scripted, chunk, overlap), scripted.url(), store) as proxy:
        raw = stream_bytes(proxy.url, text)
        clean = stream_bytes(proxy.url, SAFE_HEAD)
    received, finishes = contents(raw)
    # What went out is a prefix of the answer that ends before the marker, then the refusal.
    assert MARKER.encode() not in raw
    assert received.endswith("[blocked]") and finishes[-1] == "content_filter"
    released = received.removesuffix("[blocked]")
    assert text.startswith(released) and len(released) <= text.index(MARKER)
    # Held back, not withheld: every chunk before the blocked one was released (streaming still streams).
    assert len(released) > text.index(MARKER) - chunk - len(MARKER)
    assert AFTER.strip()[:20].encode() not in raw
    # A clean answer goes out whole, in order, with the upstream's finish reason.
    assert contents(clean) == (SAFE_HEAD.strip(), [None] * (len(contents(clean)[1]) - 1) + ["stop"])
    with Store(store) as opened:
        log = [d.action for d in opened.guard_page()]
    assert log == ["pass", "block"]


def test_an_overlap_shorter_than_the_phrase_can_let_it_straddle_chunks(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    """The documented limit, shown: with no overlap, a phrase cut by a chunk boundary is judged in
    halves, and neither half is blocked. (The overlap is what the previous test relies on.)"""
    cut = 20 - 4  # the marker starts 4 characters before the first chunk boundary
    text = "x" * cut + MARKER + " rest of the answer"
    with Proxy(config(scripted, 20, 0), scripted.url(), tmp_path / "g.db") as proxy:
        raw = stream_bytes(proxy.url, text)
    assert contents(raw)[0] == text
    with Proxy(config(scripted, 20, len(MARKER) - 1), scripted.url(), tmp_path / "g.db") as proxy:
        raw = stream_bytes(proxy.url, text)
    assert MARKER.encode() not in raw
