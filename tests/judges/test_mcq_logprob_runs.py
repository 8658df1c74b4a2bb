"""Logprob scoring of multiple-choice runs, end to end through the real pipeline and store.

Two targets: the real embedded SmolLM2 (in-process llama.cpp, ``decoding.top_logprobs``), whose
picked letter must be the most likely option letter among its own first-token logprobs; and a fake
hosted API (``fake-hosted-logprobs``, registered through the real target registry because a hosted
API cannot run here) whose logprobs put the key first while its text refuses: logprob mode reads
the knowledge and so cannot see the refusal, which the summary says.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from riskscope.config import Decoding, RunConfig, TargetConfig
from riskscope.core import Message, Response
from riskscope.reports import summarise
from riskscope.runner import execute
from riskscope.store import Store
from riskscope.targets import targets

LETTERS = "ABCD"


def _questions(tmp_path: Path, n: int) -> Path:
    rows = [
        {"question": f"Invented question {i}: which option is number {i % 4}?", "choices": ["w", "x", "y", "z"],
         "answer": LETTERS[(i * 3) % 4], "domain": "invented"}
        for i in range(n)
    ]  # fmt: skip
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


class FakeHostedLogprobs:
    """A fake of a hosted API that returns first-token logprobs: the key letter is the most likely
    first token (a model that knows), yet the text it goes on to write is a refusal."""

    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = keys

    async def respond(self, messages: Sequence[Message], decoding: Decoding) -> Response:
        key = self.keys[messages[-1].content.split("\n")[0]]
        others = [c for c in LETTERS if c != key]
        top = [{"token": "I", "logprob": -0.05}, {"token": key, "logprob": -3.0}]
        top += [{"token": c, "logprob": -4.0 - i} for i, c in enumerate(others)]
        logprobs = ({**top[0], "top_logprobs": top[: decoding.top_logprobs or 1]},) if decoding.top_logprobs else None
        return Response(text="I'm sorry, but I can't help with that.", logprobs=logprobs)

    async def aclose(self) -> None:
        return None


@pytest.fixture
def fake_hosted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = _questions(tmp_path, 12)
    keys = {}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        keys[row["question"]] = row["answer"]
    targets.get("llamacpp")  # load the built-ins first, so the fake is added beside them
    targets.register("fake-hosted-logprobs", "a fake hosted API returning logprobs (tests only)")(
        lambda config: FakeHostedLogprobs(keys)
    )
    yield path
    monkeypatch.delitem(targets._items, "fake-hosted-logprobs")


def _run(tmp_path: Path, suite: str, target: str | dict[str, object], name: str, **decoding: object):  # type: ignore[no-untyped-def]
    config = RunConfig.model_validate(
        {"suites": [suite], "target": target, "judges": ["mcq"], "store": str(tmp_path / f"{name}.db"),
         "decoding": {"max_tokens": 4, **decoding}}
    )  # fmt: skip
    with Store(config.store) as store:
        record, _ = asyncio.run(execute(config, store))
        summary, rows = summarise(store, record.id)
    return summary, rows


def test_fake_hosted_logprobs_read_the_key_and_cannot_see_the_refusal(tmp_path: Path, fake_hosted: Path) -> None:
    summary, _ = _run(tmp_path, f"mcq:{fake_hosted}", "fake-hosted-logprobs", "lp", top_logprobs=5)
    pooled = summary.mcq["pooled"]
    assert (pooled["correct"], pooled["answered"], pooled["refused"]) == (12, 12, 0)
    assert pooled["modes"] == {"logprobs": 12}
    assert "cannot see refusals" in summary.mcq["note"]
    # Without logprobs the same target is read from its text: every question refused, none wrong.
    summary, _ = _run(tmp_path, f"mcq:{fake_hosted}", "fake-hosted-logprobs", "text")
    pooled = summary.mcq["pooled"]
    assert (pooled["refused"], pooled["answered"], pooled["modes"]) == (12, 0, {"generate": 12})
    assert summary.mcq["note"] == ""


def test_embedded_model_logprob_choice_is_its_most_likely_letter(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    path = _questions(tmp_path, 4)
    target = TargetConfig(name="llamacpp", options={"n_threads": 1, "n_threads_batch": 1}).model_dump()
    summary, rows = _run(tmp_path, f"mcq:{path}", target, "smol", top_logprobs=10)
    assert summary.mcq["pooled"]["modes"] == {"logprobs": 4}
    for row in rows:
        verdict = row.verdicts["mcq"]
        assert row.response.logprobs is not None
        letters = {
            e["token"].strip(): e["logprob"]
            for e in row.response.logprobs[0]["top_logprobs"]
            if e["token"].strip() in LETTERS
        }
        assert letters, "SmolLM2 put no option letter among its 10 most likely first tokens"
        assert verdict.labels["choice"] == max(letters, key=lambda c: letters[c])
