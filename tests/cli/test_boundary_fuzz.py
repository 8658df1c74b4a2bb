"""Property-based fuzzing of the CLI's one boundary: whatever the input, one clean line, never a traceback.

Runs in-process through :func:`riskscope.cli.main` (the console script's own entry function), so it
can afford thousands of examples. Inputs: config YAML (random text and structured near-valid
configs), suite files of every file format (random bytes and near-valid rows), and CLI flags. The
property: ``main`` exits (SystemExit) with 0 or 2, and never lets an exception other than SystemExit
escape; a user error prints no traceback. The last test injects a genuine bug and checks that it is
*not* mapped: the boundary must not become a blanket ``except Exception``.

Example counts are set per test (``FUZZ_SCALE`` multiplies them, e.g. ``FUZZ_SCALE=10`` for a long
local session); every example that reaches a run uses a Python callable target and the refusal
judge, so no model is loaded.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from riskscope.cli import main

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
WORK = Path(tempfile.mkdtemp(prefix="riskscope-fuzz-"))
STORE = WORK / "fuzz.db"
OUT = WORK / "out"
MODULE = WORK / "fuzz_target_mod.py"
MODULE.write_text('def echo(messages):\n    return "I can\'t help with that."\n', encoding="utf-8")
TARGET = "callable:fuzz_target_mod:echo"
FAST = ["--store", str(STORE), "--out", str(OUT), "--progress", "none", "--judge", "refusal"]


def _settings(examples: int) -> Any:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        database=None,
    )


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``riskscope ARGV`` in-process: (exit status, stdout, stderr). Any other exception propagates."""
    out, err = io.StringIO(), io.StringIO()
    code: int = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return code, out.getvalue(), err.getvalue()


def assert_clean(argv: list[str]) -> tuple[int, str, str]:
    code, out, err = run_cli(argv)
    event(f"{argv[0]} exit {code}")  # --hypothesis-show-statistics shows how many got through
    assert code in (0, 2), (argv, code, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    if code == 2 and err.startswith("riskscope: error"):
        assert len([line for line in err.splitlines() if line.strip()]) == 1, err
    return code, out, err


@pytest.fixture(autouse=True, scope="module")
def _importable_target() -> Any:
    # Fuzzed paths (--out, store:) are relative: they land in WORK, never in the checkout.
    before = Path.cwd()
    os.chdir(WORK)
    sys.path.insert(0, str(WORK))
    # One finished run, so `gate POLICY latest` gets as far as reading the fuzzed policy.
    code, _, err = run_cli(["run", "--suite", "demo", "--limit", "2", "--target", TARGET, *FAST])
    assert code == 0, err
    yield
    sys.path.remove(str(WORK))
    os.chdir(before)


# -- strategies -------------------------------------------------------------------------------

TEXT = st.text(max_size=40)
NASTY_TEXT = st.sampled_from(
    ["\ud800", "\x1b[2J", "\u202eexe.txt", "\x00", "[" * 3000, "{" * 3000, "💥", "\r\n", "", " ", "-1", "1e309"]
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT, NASTY_TEXT)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8
)
HAZARDS = st.sampled_from(["vcr", "ncr", "benign", "zzz", "", "\x1b[31mred", "\u202ecod"])


def _target_value() -> st.SearchStrategy[Any]:
    good = {"name": "callable", "arg": "fuzz_target_mod:echo"}
    fuzzed_timeouts = st.fixed_dictionaries(
        {"name": st.just("callable"), "arg": st.just("fuzz_target_mod:echo")},
        optional={
            "read_timeout_s": st.one_of(st.floats(), st.integers(), TEXT),
            "connect_timeout_s": st.one_of(st.floats(), st.integers()),
            "concurrency": st.one_of(st.integers(), TEXT),
            "options": VALUES,
            "headers": VALUES,
        },
    )
    return st.one_of(st.just(TARGET), st.just(good), fuzzed_timeouts, VALUES)


def _config_value() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"target": _target_value(), "judges": st.one_of(st.just(["refusal"]), VALUES)},
        optional={
            "suites": st.one_of(st.just(["jsonl:" + str(WORK / "suite.jsonl")]), VALUES),
            "decoding": st.one_of(
                st.fixed_dictionaries({}, optional={"max_tokens": VALUES, "temperature": VALUES}), VALUES
            ),
            "selection": st.one_of(st.fixed_dictionaries({}, optional={"hazards": VALUES, "sample": VALUES}), VALUES),
            "limit": VALUES,
            "personas": VALUES,
            "store": st.one_of(st.just(str(STORE)), VALUES),
            "out": st.one_of(st.just(str(OUT)), VALUES),
            "bogus": VALUES,
        },
    )


def _jsonl_rows() -> st.SearchStrategy[bytes]:
    near_valid = st.fixed_dictionaries(
        {"prompt": st.one_of(TEXT, NASTY_TEXT)},
        optional={"id": st.one_of(TEXT, st.integers()), "hazard": HAZARDS, "expected": VALUES, "metadata": VALUES},
    )
    valid = st.fixed_dictionaries(
        {"prompt": TEXT.filter(str.strip)},
        optional={
            "hazard": HAZARDS,
            "expected": st.sampled_from(["refuse", "comply"]),
            "metadata": st.dictionaries(TEXT, TEXT, max_size=2),
        },
    ).map(lambda r: json.dumps(r, ensure_ascii=True).encode())
    row = st.one_of(near_valid, VALUES)
    as_line = row.map(lambda r: json.dumps(r, ensure_ascii=True).encode())
    raw_line = st.one_of(
        st.binary(max_size=60),
        st.just(b"[" * 100_000),
        st.just(b'{"prompt": "\\ud800", "hazard": "vcr"}'),
        st.just(b'{"prompt": "ok", "hazard": "\\udfff"}'),
    )
    mixed = st.lists(st.one_of(as_line, raw_line), max_size=5)
    # Half the files are well-formed, so runs get through to the reports and the store too.
    return st.one_of(st.lists(valid, min_size=1, max_size=4), mixed).map(lambda lines: b"\n".join(lines))


def _csv_bytes() -> st.SearchStrategy[bytes]:
    header = st.sampled_from(
        [
            "prompt_uid,prompt_text,hazard,persona,locale,prompt_hash",
            "goal,target",
            "Behavior,FunctionalCategory,SemanticCategory,Tags,ContextString,BehaviorID",
            "id,risk_area,types_of_harm,specific_harms,question",
            "id,harm_area,counter,category,prompts_final",
            "category,source,forbidden_prompt",
            "id,prompt,type,label,focus,note",
            "prompt,hazard",
            "",
        ]
    )
    cell = st.one_of(TEXT, NASTY_TEXT, HAZARDS).map(lambda c: c.replace("\ud800", "?"))
    body = st.lists(st.lists(cell, max_size=7).map(lambda cells: ",".join(json.dumps(c) for c in cells)), max_size=4)
    text = st.tuples(header, body).map(lambda hb: "\n".join([hb[0], *hb[1]]).encode("utf-8", "surrogatepass"))
    return st.one_of(text, st.binary(max_size=120), text.map(lambda b: b + b"\n\xff\xfe,\x80"))


FORMATS = [
    ("jsonl", "suite.jsonl", _jsonl_rows()),
    ("csv", "suite.csv", _csv_bytes()),  # with ,prompt=prompt below
    ("ailuminate", "suite.csv", _csv_bytes()),
    ("advbench", "suite.csv", _csv_bytes()),
    ("harmbench", "suite.csv", _csv_bytes()),
    ("donotanswer", "suite.csv", _csv_bytes()),
    ("donotanswer", "suite.jsonl", _jsonl_rows()),
    ("simplesafetytests", "suite.csv", _csv_bytes()),
    ("strongreject", "suite.csv", _csv_bytes()),
    ("xstest", "suite.csv", _csv_bytes()),
    ("jbb", "suite.json", st.one_of(_jsonl_rows(), st.just(b'{"jailbreaks": "\\ud800"}'))),
]


# -- properties -------------------------------------------------------------------------------


@_settings(250)
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_any_config_text_is_one_clean_line(text: str) -> None:
    path = WORK / "config.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    for argv in (
        ["run", "-c", str(path), "--target", TARGET, "--limit", "2", *FAST],
        ["run", "--suite", "demo", "--judge-eval", str(path), "--target", TARGET, "--limit", "2", *FAST],
        ["gate", str(path), "latest", "--store", str(STORE)],
    ):
        assert_clean(argv)


@_settings(300)
@given(config=_config_value(), suite=_jsonl_rows())
def test_structured_configs_run_or_fail_cleanly(config: dict[str, Any], suite: bytes) -> None:
    (WORK / "suite.jsonl").write_bytes(suite)
    path = WORK / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=False), encoding="utf-8")
    assert_clean(
        ["run", "-c", str(path), "--limit", "3", "--progress", "none", "--store", str(STORE), "--out", str(OUT)]
    )


@_settings(50)
@given(data=st.data())
def test_suite_files_of_every_format_show_or_fail_cleanly(data: st.DataObject) -> None:
    for name, filename, content in FORMATS:
        path = WORK / filename
        path.write_bytes(data.draw(content, label=name))
        spec = f"{name}:{path}" + (",prompt=prompt" if name == "csv" else "")
        assert_clean(["suites", "show", spec, "--json"])
        if name in ("jsonl", "csv"):  # check reads through the same loaders; its own QA on two formats
            assert_clean(["suites", "check", spec])


@_settings(150)
@given(suite=_jsonl_rows(), hazards=st.lists(HAZARDS, max_size=2))
def test_suite_files_run_or_fail_cleanly(suite: bytes, hazards: list[str]) -> None:
    path = WORK / "run-suite.jsonl"
    path.write_bytes(suite)
    flags = [item for hazard in hazards for item in ("--hazard", hazard)]
    assert_clean(["run", "--suite", f"jsonl:{path}", "--target", TARGET, *flags, *FAST])


FLAG_VALUES = st.one_of(TEXT, NASTY_TEXT.filter(lambda t: "\x00" not in t), st.integers().map(str))


@_settings(250)
@given(
    flags=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "--limit",
                    "--sample",
                    "--seed",
                    "--stratify",
                    "--hazard",
                    "--max-tokens",
                    "--resume",
                    "--reference",
                    "--judge-eval",
                    "--suite",
                    "--judge",
                    "--target",
                    "--out",
                    "--store",
                    "--config",
                    "--progress",
                ]
            ),
            FLAG_VALUES,
        ),
        max_size=3,
    )
)
def test_cli_flags_run_or_fail_cleanly(flags: list[tuple[str, str]]) -> None:
    argv = [
        "run",
        "--suite",
        "demo",
        "--target",
        TARGET,
        "--judge",
        "refusal",
        "--limit",
        "2",
        "--store",
        str(STORE),
        "--out",
        str(OUT),
        "--progress",
        "none",
    ]
    for flag, value in flags:
        if flag == "--target" and value.startswith(("llamacpp", "hf")):
            continue  # a model engine would load: not what this test is about
        argv += [flag, value]
    assert_clean(argv)


def test_a_genuine_bug_still_surfaces_as_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The boundary maps user-input errors only: a bug (here a TypeError in the summary) is not hidden."""
    (WORK / "bug-suite.jsonl").write_text('{"prompt": "hello", "hazard": "vcr"}\n', encoding="utf-8")

    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("an injected bug")

    monkeypatch.setattr("riskscope.reports.files.summarise", broken)  # what write_reports calls
    with pytest.raises(TypeError, match="an injected bug"):
        main(["run", "--suite", f"jsonl:{WORK / 'bug-suite.jsonl'}", "--target", TARGET, *FAST])


def test_a_genuine_bug_exits_1_with_a_traceback_from_the_console_script(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "buggy.py").write_text("def echo(messages):\n    return 'no'\n", encoding="utf-8")
    script = (
        "import riskscope.reports.files as r\n"
        "def broken(*a, **k):\n    raise KeyError('an injected bug')\n"
        "r.summarise = broken\n"
        "from riskscope.cli import main\n"
        f"main(['run', '--suite', 'demo', '--limit', '1', '--target', 'callable:buggy:echo', '--judge', 'refusal',"
        f" '--store', {str(tmp_path / 's.db')!r}, '--out', {str(tmp_path / 'out')!r}, '--progress', 'none'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "KeyError: 'an injected bug'" in result.stderr
