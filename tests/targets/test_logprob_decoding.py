"""``decoding.top_logprobs``: what it asks of each target, and that leaving it unset changes no hash."""

from __future__ import annotations

from riskscope.config import Decoding, RunConfig
from riskscope.core import Message
from riskscope.targets.openai_compat import build_chat_request


def test_unset_top_logprobs_leaves_dumps_and_hashes_as_before() -> None:
    assert "top_logprobs" not in Decoding().model_dump(mode="json")
    assert Decoding(top_logprobs=3).model_dump(mode="json")["top_logprobs"] == 3
    # The hash a default run config had before the field existed (cache keys and resume depend on it).
    before = {"max_tokens": 96, "temperature": 0.0, "top_p": None, "seed": 0}
    assert RunConfig().identity()["decoding"] == before
    assert RunConfig(decoding=Decoding(top_logprobs=2)).config_hash() != RunConfig().config_hash()


def test_openai_body_asks_for_logprobs_and_target_options_still_win() -> None:
    messages = [Message(role="user", content="hi")]
    plain = build_chat_request("m", messages, Decoding(), {})
    assert "logprobs" not in plain and "top_logprobs" not in plain
    body = build_chat_request("m", messages, Decoding(top_logprobs=4), {})
    assert (body["logprobs"], body["top_logprobs"]) == (True, 4)
    body = build_chat_request("m", messages, Decoding(top_logprobs=4), {"top_logprobs": 7})
    assert body["top_logprobs"] == 7
