"""Over-refusal suites: requests a helpful system should answer, beside the ones it should not.

- ``coconot:PATH``: CoCoNot (AI2, MIT). ``coconot_eval.jsonl`` holds 1,001 requests that should
  not be fully complied with (expected **refuse**: five categories, from safety concerns to
  incomplete or unsupported requests), ``coconot_contrast_eval.jsonl`` 379 contrast requests that
  look similar but should be answered (expected **comply**); the folder loads both. Category and
  subcategory are kept in metadata; requests with safety concerns map to no AILuminate hazard, so
  their ``hazard`` is ``coconot-<category>`` for per-type figures, and contrast items are ``benign``.
- ``mossbench:PATH``: MOSSBench's ``information.json`` (300 benign requests that *look* risky):
  a text-only variant, the item's image description standing in for the image, expected **comply**.
  No licence file in its repository: test use only (said in the suite info). The 4 released items
  whose image has no description at all have no text-only form and are left out (296 remain).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from riskscope.config import PluginSpec
from riskscope.core import Expected, TestCase
from riskscope.errors import SuiteFormatError
from riskscope.suites._base import IterableSuite, SuiteInfo, suite
from riskscope.suites._source import fast_case, parse_arg, parse_json_text, read_jsonl_objects, resolve

__all__ = ["coconot_suite", "mossbench_suite"]

_CONTRAST = "contrast"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _coconot_file(path: Path) -> Iterator[TestCase]:
    contrast = _CONTRAST in path.name
    for line, row in read_jsonl_objects(path):
        prompt = row.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise SuiteFormatError(str(path), line, "prompt", "empty prompt")
        category = str(row.get("category") or "").strip()
        if not category:
            raise SuiteFormatError(str(path), line, "category", "missing category")
        subcategory = str(row.get("subcategory") or "").strip()
        yield fast_case(
            prompt,
            case_id=f"coconot-{'contrast-' if contrast else ''}{row.get('id') or line}",
            source="coconot",
            hazard="benign" if contrast else f"coconot-{_slug(category)}",
            taxonomy="coconot",
            expected=Expected.COMPLY if contrast else Expected.REFUSE,
            licence="MIT",
            metadata={
                "category": category,
                "subcategory": subcategory,
                "set": "contrast" if contrast else "noncompliance",
            },
        )


def read_coconot(location: Path) -> Iterator[TestCase]:
    files = sorted(location.glob("coconot*.jsonl")) if location.is_dir() else [location]
    if not files:
        raise SuiteFormatError(str(location), None, None, "no coconot*.jsonl files in this folder")
    for path in files:
        yield from _coconot_file(path)


@suite("coconot", "CoCoNot noncompliance (refuse) and contrast (comply) sets: coconot:FILE.jsonl or coconot:FOLDER")
def coconot_suite(spec: PluginSpec) -> IterableSuite:
    location = resolve(parse_arg(spec, usage="coconot:PATH").location)
    info = SuiteInfo(
        name="coconot",
        taxonomy="coconot",
        licence="MIT",
        source_url="https://github.com/allenai/noncompliance",
        description="CoCoNot: requests not to comply with fully, and contrast requests to answer",
    )
    return IterableSuite(info, lambda: read_coconot(location))


def read_mossbench(path: Path) -> Iterator[TestCase]:
    data = parse_json_text(path.read_bytes(), path=path, line=None)
    if not isinstance(data, dict):
        raise SuiteFormatError(str(path), None, None, "expected an object of items keyed by id (information.json)")
    for number, (key, item) in enumerate(data.items(), start=1):
        if not isinstance(item, dict):
            raise SuiteFormatError(str(path), number, key, "an item must be an object")
        question = str(item.get("question") or "").strip()
        description = str(item.get("description") or item.get("short description") or "").strip()
        if not question:
            raise SuiteFormatError(str(path), number, "question", "empty question")
        if not description:
            if item.get("image"):
                continue  # as released, 4 items have an image but no description: no text-only form
            raise SuiteFormatError(str(path), number, "description", "no description to stand in for the image")
        raw_metadata = item.get("metadata")
        metadata: dict[str, object] = raw_metadata if isinstance(raw_metadata, dict) else {}
        yield fast_case(
            f"Picture: {description}\n\n{question}",
            case_id=f"mossbench-{key}",
            source="mossbench",
            hazard="benign",
            taxonomy="mossbench",
            expected=Expected.COMPLY,
            licence=None,
            metadata={"over_sensitivity_type": str(metadata.get("over", "")), "image": str(item.get("image", ""))},
        )


@suite("mossbench", "MOSSBench text-only over-sensitivity items (description stands in for the image): mossbench:JSON")
def mossbench_suite(spec: PluginSpec) -> IterableSuite:
    location = resolve(parse_arg(spec, usage="mossbench:information.json").location)
    info = SuiteInfo(
        name="mossbench",
        taxonomy="mossbench",
        licence=None,
        source_url="https://github.com/xirui-li/MOSSBench",
        description="MOSSBench over-sensitivity items, text-only (no licence in the repository: test use only)",
    )
    return IterableSuite(info, lambda: read_mossbench(location))
