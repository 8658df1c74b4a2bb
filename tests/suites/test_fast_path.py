"""The loaders' unvalidated fast path must build exactly what pydantic validation builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from riskscope.core import Expected, Message, TestCase
from riskscope.errors import SuiteFormatError
from riskscope.suites._source import fast_case
from riskscope.suites.jsonl import case_from_record, read_jsonl

RECORDS = [
    {"id": "r1", "prompt": "An invented question", "hazard": "ncr", "persona": "skilled", "expected": "refuse"},
    {"id": "r2", "prompt": "Another one", "expected": "comply", "language": "fr", "metadata": {"k": [1, 2]}},
    {"id": "r3", "prompt": "Taxonomy given", "hazard": "S1", "taxonomy": "llama-guard-3"},
    {"prompt": "No id: hashed like TestCase.from_prompt", "hazard": "vcr"},
    {"id": "r5", "messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}]},
]


def test_jsonl_fast_path_equals_validated_path(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    fast = list(read_jsonl(path, source="s", licence="L"))
    slow = [case_from_record(dict(r), path=str(path), line=i, source="s", licence="L") for i, r in enumerate(RECORDS)]
    assert fast == slow
    assert [c.model_dump(mode="json") for c in fast] == [c.model_dump(mode="json") for c in slow]
    # The values behave like validated ones: copy-with-update, JSON round trip, immutability.
    copied = fast[0].model_copy(update={"metadata": {"sample_weight": 2.0}})
    assert copied.metadata == {"sample_weight": 2.0} and fast[0].metadata == {}
    assert TestCase.model_validate_json(fast[1].model_dump_json()) == fast[1]
    with pytest.raises(ValueError, match="frozen"):
        fast[0].id = "changed"  # type: ignore[misc]


def test_fast_case_equals_validated_case() -> None:
    built = fast_case("Hello", source="x", hazard="prv", persona="p", expected=Expected.COMPLY, metadata={"a": 1})
    validated = TestCase.from_prompt(
        "Hello", hazard="prv", persona="p", expected=Expected.COMPLY, source="x", metadata={"a": 1}
    )
    assert built == validated and built.model_dump() == validated.model_dump()
    assert built.messages[0] == Message(role="user", content="Hello")


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"id": "x", "prompt": "ok", "colour": "red"}, "colour"),
        ({"id": "x", "prompt": "ok", "expected": "maybe"}, "expected"),
        ({"id": "x", "prompt": "   "}, "prompt"),
        ({"id": "x", "prompt": 7}, "prompt"),
    ],
)
def test_bad_rows_still_get_precise_errors(tmp_path: Path, record: dict[str, object], field: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "fine", "prompt": "fine"}) + "\n" + json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(SuiteFormatError) as info:
        list(read_jsonl(path, source="s"))
    assert (info.value.line, info.value.field) == (2, field)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"id": "x", "prompt": "ok", "persona": 3}, "persona"),
        ({"id": "x", "prompt": "ok", "metadata": [1]}, "metadata"),
        ({"id": "x", "prompt": "ok", "expected": ["refuse"]}, "expected"),
        ({"id": "x", "messages": "hello"}, "messages"),
    ],
)
def test_wrongly_typed_fields_are_validated_not_trusted(tmp_path: Path, record: dict[str, object], field: str) -> None:
    path = tmp_path / "typed.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    with pytest.raises(SuiteFormatError) as info:
        list(read_jsonl(path, source="s"))
    assert (info.value.line, info.value.field) == (1, field)


@pytest.mark.parametrize("parser", ["default", "stdlib"])
def test_parsing_quirks_with_and_without_orjson(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parser: str) -> None:
    import riskscope.suites.jsonl as jsonl_module

    if parser == "stdlib":
        monkeypatch.setattr(jsonl_module, "_fast_loads", json.loads)
    path = tmp_path / "quirks.jsonl"
    rows = [
        {"id": "a", "prompt": "With a BOM before me"},
        {"id": "b", "prompt": "Non-standard number", "metadata": {"score": float("nan")}},
    ]
    # json.dumps writes NaN (which orjson rejects); the stdlib fallback must still read it.
    path.write_bytes(b"\xef\xbb\xbf" + "".join(json.dumps(r) + "\n" for r in rows).encode("utf-8") + b"\n")
    cases = list(read_jsonl(path, source="s"))
    assert [c.id for c in cases] == ["a", "b"]
    assert cases[1].metadata["score"] != cases[1].metadata["score"]  # NaN survived
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(b'{"id": "a", "prompt": "fine"}\n{"id": "b", "prompt": "caf\xe9"}\n')
    with pytest.raises(SuiteFormatError) as info:
        list(read_jsonl(bad, source="s"))
    assert info.value.line == 2 and "not UTF-8" in info.value.problem
