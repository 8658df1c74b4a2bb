"""Where a loader's rows come from: spec arguments, remote files in a cache, CSV rows with line numbers.

Kept apart from the loaders so each loader is only "row → TestCase", and so every loader reports a
bad row the same way (file, line, column).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from riskscope.config import PluginSpec
from riskscope.core import Expected, Message, TestCase, stable_hash
from riskscope.errors import ConfigError, SuiteFormatError

__all__ = [
    "SourceArg",
    "cache_dir",
    "check_surrogates",
    "fast_case",
    "fetch",
    "parse_arg",
    "parse_json_text",
    "read_csv_rows",
    "resolve",
    "trusted_case",
    "trusted_message",
]

_URL = re.compile(r"^https?://", re.IGNORECASE)
# CSV cells of public suites hold whole documents (HarmBench contexts); the stdlib default is 128 KiB.
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class SourceArg:
    """A spec argument split into its location and its modifiers (``PATH,contextual,prompt=text``)."""

    location: str
    flags: frozenset[str] = frozenset()
    options: dict[str, Any] = field(default_factory=dict)


def parse_arg(spec: PluginSpec, *, usage: str, known: frozenset[str] = frozenset()) -> SourceArg:
    """Split ``PATH[,flag][,key=value]``; YAML ``options`` of the spec win over inline ones.

    Inline ``key=value`` pieces are options too, so an unknown one is the same one-line error as an
    unknown YAML option (which the registry's options model rejects before this runs).
    """
    arg = spec.arg.strip()
    if not arg:
        raise ConfigError(f"the {spec.name} suite needs a location: --suite {usage}")
    if Path(arg).expanduser().exists() or "," not in arg:
        location, pieces = arg, []
    else:
        location, *pieces = (p.strip() for p in arg.split(","))
    flags: set[str] = set()
    options: dict[str, Any] = {}
    for piece in pieces:
        if not piece:
            continue
        key, sep, value = piece.partition("=")
        if sep:
            if key.strip() not in known:
                names = ", ".join(sorted(known)) or "none: it takes no options"
                raise ConfigError(f"suite {spec.name!r}: unknown option {key.strip()!r} (known: {names})")
            options[key.strip()] = value.strip()
        else:
            flags.add(piece)
    options.update(spec.options)
    return SourceArg(location, frozenset(flags), options)


def cache_dir() -> Path:
    """``$RISKSCOPE_CACHE`` or ``~/.cache/riskscope``: where remote suite files are kept."""
    root = os.environ.get("RISKSCOPE_CACHE")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "riskscope"


def fetch(url: str, *, timeout_s: float = 60.0) -> Path:
    """Download ``url`` once into the cache and return the local file.

    The file name carries a hash of the URL, so two files with the same name never collide, and the
    download goes to a temporary file first, so an interrupted download never poses as a cached one.
    """
    import httpx

    name = Path(url.split("?", 1)[0].rstrip("/")).name or "download"
    target = cache_dir() / "suites" / f"{hashlib.sha256(url.encode()).hexdigest()[:16]}-{name}"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with httpx.stream("GET", url, timeout=timeout_s, follow_redirects=True) as response:
            if response.status_code != 200:
                raise ConfigError(f"cannot download {url}: HTTP {response.status_code}")
            handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            with os.fdopen(handle, "wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
    except httpx.HTTPError as exc:
        raise ConfigError(f"cannot download {url}: {type(exc).__name__}: {exc}") from exc
    os.replace(tmp, target)
    return target


def resolve(location: str) -> Path:
    """A local path for a location: the file itself, or the cached download of a URL."""
    if _URL.match(location):
        return fetch(location)
    path = Path(location).expanduser()
    if not path.exists():
        raise ConfigError(f"suite file not found: {path}")
    return path


def read_csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream CSV rows as dicts with the physical line each row starts on.

    ``utf-8-sig`` strips the byte-order mark some exports carry; quoted cells may span lines
    (AILuminate's do), which is why the line number comes from the reader, not a counter.
    """
    name = str(path)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise SuiteFormatError(name, None, None, f"cannot open: {exc.strerror or exc}") from exc
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise SuiteFormatError(name, 1, None, "empty file: expected a header row") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SuiteFormatError(name, 1, None, f"unreadable header: {exc}") from exc
        header = [h.strip() for h in header]
        missing = [c for c in required if c not in header]
        if missing:
            raise SuiteFormatError(name, 1, missing[0], f"missing column (header has: {', '.join(header)})")
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise SuiteFormatError(name, start, None, f"malformed CSV: {exc}") from exc
            except UnicodeDecodeError as exc:
                raise SuiteFormatError(name, start, None, f"not UTF-8 at byte {exc.start}") from exc
            line = start
            start = reader.line_num + 1
            if not cells or not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise SuiteFormatError(
                    name,
                    line,
                    header[min(len(cells), len(header)) - 1] if cells else None,
                    f"expected {len(header)} columns, found {len(cells)}",
                )
            yield line, dict(zip(header, cells, strict=True))


_new = object.__new__
_set = object.__setattr__
# pydantic models keep these in __slots__; their member descriptors are the cheapest way to fill them.
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def _defaults(model: type[Any]) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    """Per-field defaults of a pydantic model, and the default factories to call per instance."""
    plain: dict[str, Any] = {}
    factories: list[tuple[str, Any]] = []
    for name, info in model.model_fields.items():
        if info.default_factory is not None:
            factories.append((name, info.default_factory))
        elif not info.is_required():
            plain[name] = info.default
    return plain, tuple(factories)


_MESSAGE_DEFAULTS, _ = _defaults(Message)
_CASE_DEFAULTS, _CASE_FACTORIES = _defaults(TestCase)
# ``model_fields`` is a computed class property in recent pydantic (microseconds per access).
_FIELD_COUNT: dict[type[Any], int] = {Message: len(Message.model_fields), TestCase: len(TestCase.model_fields)}
_ALL_FIELDS: dict[type[Any], set[str]] = {Message: set(Message.model_fields), TestCase: set(TestCase.model_fields)}


def _trusted(
    model: type[Any], defaults: dict[str, Any], factories: tuple[tuple[str, Any], ...], values: dict[str, Any]
) -> Any:
    """Instantiate a pydantic model from already-checked values, as ``model_construct`` does.

    ``model_construct`` itself costs more than pydantic's Rust validation (it is pure Python); this
    sets the same four attributes directly, which is what lets the JSONL loader pass 100k rows/s.
    Every caller has checked types first; tests compare the result with a validated model.
    """
    if len(values) == _FIELD_COUNT[model]:
        data = values  # every field given (the loaders' case): no defaults to merge
        fields_set = _ALL_FIELDS[model].copy()
    else:
        fields_set = set(values)
        data = dict(defaults)
        for name, factory in factories:
            if name not in values:
                data[name] = factory()
        data.update(values)
    obj = _new(model)
    _set(obj, "__dict__", data)
    _set_fields_set(obj, fields_set)
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


_MESSAGE_SET = frozenset({"role", "content"})


def trusted_message(role: str, content: str) -> Message:
    """A plain text message; the hottest constructor of a load, so it is spelled out."""
    message = _new(Message)
    _set(message, "__dict__", {**_MESSAGE_DEFAULTS, "role": role, "content": content})
    _set_fields_set(message, set(_MESSAGE_SET))
    _set_extra(message, None)
    _set_private(message, None)
    result: Message = message
    return result


def trusted_case(values: dict[str, Any]) -> TestCase:
    case: TestCase = _trusted(TestCase, _CASE_DEFAULTS, _CASE_FACTORIES, values)
    return case


def fast_case(
    prompt: str,
    *,
    source: str,
    case_id: str | None = None,
    hazard: str | None = None,
    taxonomy: str = "ailuminate-v1.0",
    persona: str | None = None,
    language: str = "en",
    expected: Expected = Expected.REFUSE,
    licence: str | None = None,
    metadata: dict[str, Any] | None = None,
    messages: tuple[Message, ...] | None = None,
) -> TestCase:
    """Build a TestCase without pydantic validation, for loaders that have already checked each field.

    Validating every row through pydantic caps a loader near 50k rows/s; the loaders here check the
    few fields that can be wrong (prompt text, expected, types) themselves, so skipping validation
    is safe and keeps streaming above 100k rows/s (bench/suite_load.py measures it).
    """
    if messages is None:
        messages = (trusted_message("user", prompt),)
    if case_id is None:
        # Same shape as Message.model_dump(), so ids match TestCase.from_prompt for the same prompt.
        wire = [
            {"role": m.role, "content": m.content, "tool_calls": m.tool_calls, "tool_call_id": m.tool_call_id}
            for m in messages
        ]
        case_id = "c-" + stable_hash({"messages": wire, "hazard": hazard})
    return trusted_case(
        {
            "id": case_id,
            "messages": messages,
            "hazard": hazard,
            "taxonomy": taxonomy,
            "persona": persona,
            "language": language,
            "expected": expected,
            "source": source,
            "licence": licence,
            "metadata": metadata if metadata is not None else {},
        }
    )


# A JSON escape of a UTF-16 surrogate (\ud800-\udfff): the only way a lone surrogate gets into a
# str from a file (UTF-8 cannot encode one), and such a str can be neither stored nor printed.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


def _lone_surrogate_field(value: Any, where: str = "") -> str | None:
    """The dotted field holding a lone surrogate, if any ("" for the top level)."""
    pending: list[tuple[str, Any]] = [(where, value)]
    while pending:
        name, node = pending.pop()
        if isinstance(node, str):
            if any("\ud800" <= ch <= "\udfff" for ch in node):
                return name or "(value)"
        elif isinstance(node, dict):
            for key, child in node.items():
                pending.append((f"{name}.{key}" if name else str(key), child))
                pending.append((name or "(key)", key))
        elif isinstance(node, list):
            pending.extend((f"{name}[{i}]", child) for i, child in enumerate(node))
    return None


def parse_json_text(text: str | bytes, *, path: Path | str, line: int | None) -> Any:
    """JSON from a suite file; every way it can be unusable is a SuiteFormatError naming file and line.

    Besides syntax: nesting deeper than the parser can follow (RecursionError) and lone surrogates
    (``"\ud800"``), which would otherwise fail much later, far from the line that caused them.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        at = line if line is not None else exc.lineno
        raise SuiteFormatError(str(path), at, None, f"invalid JSON at column {exc.colno}: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise SuiteFormatError(str(path), line, None, f"not UTF-8 at byte {exc.start}") from exc
    except RecursionError:
        raise SuiteFormatError(str(path), line, None, "JSON nested too deeply") from None
    check_surrogates(text, data, path=path, line=line)
    return data


def check_surrogates(text: str | bytes, data: Any, *, path: Path | str, line: int | None) -> None:
    """Refuse parsed JSON holding a lone surrogate (cheap: only looked for when the text escapes one)."""
    found = _SURROGATE_ESCAPE_BYTES.search(text) if isinstance(text, bytes) else _SURROGATE_ESCAPE.search(text)
    if found is None:
        return
    field = _lone_surrogate_field(data)
    if field is not None:
        raise SuiteFormatError(str(path), line, field, "holds a lone UTF-16 surrogate escape (not valid Unicode)")


def read_jsonl_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) per non-blank line; a bad line is an error naming file and line."""
    with path.open(encoding="utf-8-sig") as handle:
        line = 0
        try:
            for line, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                record = parse_json_text(raw, path=path, line=line)
                if not isinstance(record, dict):
                    raise SuiteFormatError(str(path), line, None, "expected a JSON object")
                yield line, record
        except UnicodeDecodeError as exc:
            raise SuiteFormatError(str(path), line + 1, None, f"not UTF-8 at byte {exc.start}") from exc
