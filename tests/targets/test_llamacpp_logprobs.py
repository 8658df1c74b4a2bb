"""First-token log-probabilities from the in-process llama.cpp target, on the real embedded model.

The target reads the first sampling step's logits through a logits processor (no ``logits_all``);
these tests hold it to llama.cpp's own ``logprobs`` computed the expensive way, and check that
asking for logprobs does not change the generated text.
"""

from __future__ import annotations

import asyncio
import math

import pytest

from riskscope.config import Decoding, TargetConfig
from riskscope.core import Message
from riskscope.suites.mcq import mcq_prompt

llama_cpp = pytest.importorskip("llama_cpp")

PROMPT = mcq_prompt("Which of these is a fruit?", ["a car", "an apple", "a rock", "a chair"])


@pytest.fixture(scope="module")
def target():  # type: ignore[no-untyped-def]
    from riskscope.targets.llamacpp import LlamaCppTarget

    t = LlamaCppTarget(TargetConfig(name="llamacpp", options={"n_threads": 1, "n_threads_batch": 1}))
    yield t
    asyncio.run(t.aclose())


def _ask(target, decoding: Decoding):  # type: ignore[no-untyped-def]
    return asyncio.run(target.respond([Message(role="user", content=PROMPT)], decoding))


def test_top_logprobs_match_llama_cpp_logits_all_and_leave_the_text_unchanged(target) -> None:  # type: ignore[no-untyped-def]
    plain = _ask(target, Decoding(max_tokens=8))
    scored = _ask(target, Decoding(max_tokens=8, top_logprobs=5))
    assert plain.logprobs is None
    assert scored.text == plain.text  # the processor returns the logits unchanged
    assert scored.logprobs is not None and len(scored.logprobs) == 1
    top = scored.logprobs[0]["top_logprobs"]
    assert len(top) == 5
    values = [e["logprob"] for e in top]
    assert values == sorted(values, reverse=True) and all(v <= 0 for v in values)
    assert sum(math.exp(v) for v in values) <= 1 + 1e-9
    # Greedy decoding: the first generated token is the most likely one.
    assert (scored.text or "").startswith(top[0]["token"].strip()) or (scored.text or "").startswith(top[0]["token"])

    # The same figures the slow way: llama.cpp's own logprobs, which need logits_all=True.
    from riskscope.targets.llamacpp import embedded_model_path

    reference = llama_cpp.Llama(
        model_path=str(embedded_model_path()), n_ctx=2048, n_threads=1, logits_all=True, verbose=False
    )
    try:
        out = reference.create_chat_completion(
            messages=[{"role": "user", "content": PROMPT}], max_tokens=1, temperature=0.0, top_k=1,
            logprobs=True, top_logprobs=5,
        )  # fmt: skip
    finally:
        reference.close()
    expected = out["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
    assert [e["token"] for e in top] == [e["token"] for e in expected]
    for mine, theirs in zip(top, expected, strict=True):
        assert mine["logprob"] == pytest.approx(float(theirs["logprob"]), abs=1e-4)
