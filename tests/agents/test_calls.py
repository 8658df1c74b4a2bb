"""Reading an agent's tool calls: every way a call can be malformed, and ids that replay identically."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _scripted_agent import LOOKUP

from riskscope.agents import parse_calls, tool_names

SCHEMAS = tool_names([LOOKUP])


def _fn(name: str, arguments: object) -> dict[str, object]:
    return {"type": "function", "function": {"name": name, "arguments": arguments}}


def test_a_well_formed_call_keeps_its_id_and_arguments() -> None:
    [call] = parse_calls([{"id": "x1", **_fn("lookup", '{"query": "q"}')}], 3, SCHEMAS)
    assert (call.id, call.name, call.arguments, call.malformed) == ("x1", "lookup", {"query": "q"}, None)
    assert call.wire() == {
        "id": "x1",
        "type": "function",
        "function": {"name": "lookup", "arguments": '{"query": "q"}'},
    }


def test_calls_without_ids_get_ids_from_their_place_so_a_replay_is_identical() -> None:
    raw = [_fn("lookup", '{"query": "a"}'), _fn("lookup", '{"query": "b"}')]
    first, second = parse_calls(raw, 5, SCHEMAS), parse_calls(raw, 5, SCHEMAS)
    assert [c.id for c in first] == ["call_5_0", "call_5_1"] == [c.id for c in second]


def test_arguments_sent_as_an_object_are_accepted() -> None:
    [call] = parse_calls([_fn("lookup", {"query": "q"})], 0, SCHEMAS)
    assert call.malformed is None and call.arguments == {"query": "q"}


def test_every_malformed_shape_is_named() -> None:
    raw = [
        _fn("lookup", '{"query": '),
        _fn("lookup", '"just a string"'),
        _fn("nope", "{}"),
        _fn("lookup", "{}"),
        {"type": "function"},
        "not even an object",
    ]
    reasons = [c.malformed for c in parse_calls(raw, 1, SCHEMAS)]
    assert reasons[0] is not None and reasons[0].startswith("arguments are not valid JSON")
    assert reasons[1:] == [
        "arguments are a JSON str, not an object",
        "unknown tool 'nope'",
        "missing required arguments: query",
        "not a function call",
        "not a function call",
    ]
