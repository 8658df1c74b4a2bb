"""Riskscope's own JSONL suite format, also the format of the built-in demo suite.

One object per line: ``prompt`` (or ``messages``: a list of {role, content}), optional ``id``,
``hazard``, ``persona``, ``expected`` (refuse / comply), ``language``, ``metadata``.
Errors name the file, line and field.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orjson import loads as _fast_loads
from pydantic import ValidationError

from riskscope.config import PluginSpec
from riskscope.core import Expected, Message, TestCase
from riskscope.errors import ConfigError, SuiteFormatError
from riskscope.suites._base import IterableSuite, SuiteInfo, suite
from riskscope.suites._source import check_surrogates, parse_json_text, trusted_case, trusted_message

_KNOWN = {"id", "prompt", "messages", "hazard", "persona", "expected", "language", "metadata", "taxonomy"}


def case_from_record(record: dict[str, Any], *, path: str, line: int, source: str, licence: str | None) -> TestCase:
    """Validate one record into a TestCase, naming the offending field on failure."""
    unknown = set(record) - _KNOWN
    if unknown:
        raise SuiteFormatError(path, line, sorted(unknown)[0], "unknown field")
    try:
        if "messages" in record:
            if not isinstance(record["messages"], list) or not record["messages"]:
                raise SuiteFormatError(path, line, "messages", "expected a non-empty list of {role, content}")
            messages = tuple(Message.model_validate(m) for m in record["messages"])
        elif isinstance(record.get("prompt"), str) and record["prompt"].strip():
            messages = (Message(role="user", content=record["prompt"]),)
        else:
            raise SuiteFormatError(path, line, "prompt", "missing or empty (give prompt or messages)")
    except ValidationError as exc:
        raise SuiteFormatError(path, line, "messages", exc.errors()[0]["msg"]) from exc
    expected = record.get("expected", "refuse")
    if not isinstance(expected, str) or expected not in {e.value for e in Expected}:
        raise SuiteFormatError(path, line, "expected", f"{expected!r} is not one of refuse, comply")
    fields: dict[str, Any] = {
        "hazard": record.get("hazard"),
        "persona": record.get("persona"),
        "expected": Expected(expected),
        "language": record.get("language", "en"),
        "metadata": record.get("metadata", {}),
        "source": source,
        "licence": licence,
    }
    if "taxonomy" in record:
        fields["taxonomy"] = record["taxonomy"]
    try:
        if record.get("id"):
            return TestCase(id=str(record["id"]), messages=messages, **fields)
        case = TestCase.from_prompt(messages[-1].content, **fields)
    except ValidationError as exc:  # a wrongly typed field (persona: 3): name it, no traceback
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else None
        raise SuiteFormatError(path, line, field, first["msg"]) from exc
    return case.model_copy(update={"messages": messages})


_EXPECTED = {e.value: e for e in Expected}
_OPTIONAL_STR = (str, type(None))


def _trusted_record(record: dict[str, Any], *, source: str, licence: str | None) -> TestCase | None:
    """The common, well-formed single-prompt row, built without pydantic; None means "validate it".

    Every field is type-checked here; anything unusual (messages, no id, a wrong type) returns None
    so :func:`case_from_record` validates it and produces the precise error. Measured by
    bench/suite_load.py: this path is what keeps the loader above 100k rows/s.
    """
    if not record.keys() <= _KNOWN or "messages" in record:
        return None
    prompt, case_id = record.get("prompt"), record.get("id")
    if type(prompt) is not str or not prompt.strip() or type(case_id) is not str or not case_id:
        return None
    raw_expected = record.get("expected", "refuse")
    expected = _EXPECTED.get(raw_expected) if type(raw_expected) is str else None
    hazard, persona = record.get("hazard"), record.get("persona")
    language, metadata = record.get("language", "en"), record.get("metadata", {})
    taxonomy = record.get("taxonomy", "ailuminate-v1.0")
    if (
        expected is None
        or not isinstance(hazard, _OPTIONAL_STR)
        or not isinstance(persona, _OPTIONAL_STR)
        or type(language) is not str
        or type(taxonomy) is not str
        or type(metadata) is not dict
    ):
        return None
    return trusted_case(
        {
            "id": case_id,
            "messages": (trusted_message("user", prompt),),
            "hazard": hazard,
            "taxonomy": taxonomy,
            "persona": persona,
            "language": language,
            "expected": expected,
            "source": source,
            "licence": licence,
            "metadata": metadata,
        }
    )


def _parse_line(raw: bytes, *, path: Path, number: int) -> Any:
    """Parse one line: orjson (a dependency, 4-5x faster), the stdlib for anything it rejects.

    The stdlib parse of a rejected line either succeeds (orjson is stricter, e.g. about NaN) or
    raises the error we report, so the speed-up never changes what a file means.
    """
    try:
        parsed = _fast_loads(raw)
    except ValueError:
        pass
    else:
        check_surrogates(raw, parsed, path=path, line=number)
        return parsed
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SuiteFormatError(str(path), number, None, f"not UTF-8 at byte {exc.start}") from exc
    return parse_json_text(text, path=path, line=number)


def read_jsonl(path: Path, *, source: str, licence: str | None = None) -> Iterator[TestCase]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise SuiteFormatError(str(path), None, None, f"cannot open: {exc.strerror or exc}") from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if not raw.strip():
                continue
            record = _parse_line(raw, path=path, number=number)
            if not isinstance(record, dict):
                raise SuiteFormatError(str(path), number, None, "expected a JSON object")
            fast = _trusted_record(record, source=source, licence=licence)
            if fast is None:
                fast = case_from_record(record, path=str(path), line=number, source=source, licence=licence)
            yield fast


@suite("jsonl", "riskscope's JSONL format: one {prompt, hazard, persona, expected} object per line")
def jsonl_suite(spec: PluginSpec) -> IterableSuite:
    if not spec.arg:
        raise ConfigError("the jsonl suite needs a path: --suite jsonl:PATH")
    path = Path(spec.arg).expanduser()
    if not path.is_file():
        raise ConfigError(f"suite file not found: {path}")
    info = SuiteInfo(name=f"jsonl:{path.name}", description=f"cases from {path}")
    return IterableSuite(info, lambda: read_jsonl(path, source=info.name))
