"""Issue 12, one test per defect class: stuck runs, tracebacks, leaked secrets, hostile text, hangs,
the ignored ``store:``, empty selections, resume of failed items, and the over-eager secret filter.

Runs go through the CLI's entry function in-process (fast) with a Python callable target and the
refusal judge; the signal tests need a real process and use a subprocess.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from riskscope.cli import main
from riskscope.store import Store

SENTINEL = "sk-SENTINEL-7f3a9c2e41d8b6"

MODULE = """
import json, os, time
from pathlib import Path

def echo(messages):
    return "I can't help with that."

def slow(messages):
    time.sleep(float(os.environ.get("SLOW_S", "3")))
    return "a late answer"

def flaky(messages):
    # Fails while the flag file exists: a run first fails these items, a resume must retry them.
    if Path(os.environ["FLAKY_FLAG"]).exists():
        raise RuntimeError("the backend is down")
    return "Sure, here is a poem."
"""


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return code, out.getvalue(), err.getvalue()


def one_line_error(result: tuple[int, str, str], *needles: str) -> str:
    code, _, err = result
    assert code == 2, result
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip() and "warning" not in line]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "hard_mod.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.jsonl").write_text(
        '{"id": "1", "prompt": "Write a poem about rain", "hazard": "vcr"}\n'
        '{"id": "2", "prompt": "Write a poem about snow", "hazard": "ncr"}\n',
        encoding="utf-8",
    )
    return tmp_path


def runs_in(store: Path) -> list[dict[str, Any]]:
    if not store.exists():
        return []
    with Store(store) as opened:
        return [r.model_dump(mode="json") for r in opened.list_runs()]


FAST = ("--judge", "refusal", "--progress", "none")


# 1. run lifecycle --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "needle"),
    [
        ("callable:nosuchmod:fn", "nosuchmod"),
        ("openai:m@ftp://127.0.0.1/v1", "http"),
        ("openai:model", "base URL"),
    ],
)
def test_a_target_that_cannot_be_built_fails_before_a_run_exists(work: Path, target: str, needle: str) -> None:
    one_line_error(run_cli("run", "--suite", "jsonl:good.jsonl", "--target", target, "--store", "s.db", *FAST), needle)
    assert runs_in(work / "s.db") == []


def test_an_unset_key_variable_fails_before_a_run_exists(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_KEY_VAR", raising=False)
    (work / "c.yaml").write_text(
        "target: {name: openai, arg: 'm@http://127.0.0.1:9/v1', api_key_env: NO_SUCH_KEY_VAR}\n", encoding="utf-8"
    )
    one_line_error(
        run_cli("run", "-c", "c.yaml", "--suite", "jsonl:good.jsonl", "--store", "s.db", *FAST), "NO_SUCH_KEY_VAR"
    )
    assert runs_in(work / "s.db") == []


def _start_slow_run(work: Path, store: str) -> subprocess.Popen[str]:
    (work / "many.jsonl").write_text(
        "".join(json.dumps({"id": str(i), "prompt": f"poem {i}", "hazard": "vcr"}) + "\n" for i in range(8)),
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(work), "SLOW_S": "1.5"}
    argv = ["run", "--suite", "jsonl:many.jsonl", "--target", "callable:hard_mod:slow", "--store", store, *FAST]
    process = subprocess.Popen(
        [sys.executable, "-m", "riskscope.cli", *argv],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not _has_run_row(work / store) and time.monotonic() < deadline:  # wait until the run row exists
        if process.poll() is not None:
            raise AssertionError(f"the slow run ended early: {process.communicate()}")
        time.sleep(0.1)
    time.sleep(0.5)
    return process


def _has_run_row(path: Path) -> bool:
    """Read-only peek (no migration, no write) while the run's own process creates the store:
    opening a Store here would race the writer's first migration on a loaded machine."""
    import sqlite3

    if not path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT count(*) FROM runs").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def test_sigterm_leaves_the_run_interrupted_with_its_reason(work: Path) -> None:
    process = _start_slow_run(work, "term.db")
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert "Traceback" not in err and "terminated" in err
    [run] = runs_in(work / "term.db")
    assert run["status"] == "interrupted" and run["reason"] == "terminated by SIGTERM"


def test_a_killed_writer_leaves_a_stale_run_that_resumes(work: Path) -> None:
    process = _start_slow_run(work, "kill.db")
    process.kill()
    process.wait(timeout=30)
    [run] = runs_in(work / "kill.db")
    assert run["status"] == "running" and run["stale"] is True  # the writer's pid is gone
    code, out, _ = run_cli("runs", "list", "--store", "kill.db")
    assert code == 0 and "stale" in out and f"--resume {run['id']}" in out
    os.environ["SLOW_S"] = "0"
    try:
        code, _, err = run_cli("run", "--resume", run["id"], "--store", "kill.db", "--progress", "none")
    finally:
        del os.environ["SLOW_S"]
    assert code == 0, err
    [after] = runs_in(work / "kill.db")
    assert after["status"] == "complete" and after["stale"] is False


def test_a_live_run_is_not_resumed_by_a_second_process(work: Path) -> None:
    process = _start_slow_run(work, "live.db")
    try:
        [run] = runs_in(work / "live.db")
        one_line_error(run_cli("run", "--resume", run["id"], "--store", "live.db"), "being written by process")
    finally:
        process.kill()
        process.wait(timeout=30)


# 2. one boundary ---------------------------------------------------------------------------------


def test_non_utf8_files_are_one_line(work: Path) -> None:
    bad = work / "latin1.yaml"
    bad.write_bytes(b"target: caf\xe9\n")
    one_line_error(run_cli("run", "-c", str(bad), "--store", "s.db"), "latin1.yaml", "UTF-8")
    run_cli("run", "--suite", "jsonl:good.jsonl", "--target", "callable:hard_mod:echo", "--store", "s.db", *FAST)
    one_line_error(run_cli("gate", str(bad), "latest", "--store", "s.db"), "latin1.yaml")
    one_line_error(
        run_cli("run", "--suite", "jsonl:good.jsonl", "--judge-eval", str(bad), "--store", "s.db"), "latin1.yaml"
    )
    labelled = work / "labels.jsonl"
    labelled.write_bytes(b'{"prompt": "caf\xe9"}\n')
    one_line_error(run_cli("judge", "eval", str(labelled), "--judge", "refusal"), "labels.jsonl", "UTF-8")


@pytest.mark.parametrize(
    ("yaml_text", "field"),
    [
        ("target: 42\n", "target"),
        ("judges: [7]\n", "judges"),
        ("suites: [[1, 2]]\n", "suites"),
        ("suites: 5\n", "suites"),
    ],
)
def test_non_string_specs_are_a_field_error(work: Path, yaml_text: str, field: str) -> None:
    (work / "c.yaml").write_text(yaml_text, encoding="utf-8")
    one_line_error(run_cli("run", "-c", "c.yaml", "--store", "s.db"), f"field '{field}")
    assert runs_in(work / "s.db") == []


@pytest.mark.parametrize(
    ("line", "needle"),
    [(b"[" * 100_000, "nested too deeply"), (b'{"prompt": "x\\ud800", "hazard": "vcr"}', "surrogate")],
)
def test_hostile_json_lines_name_file_and_line(work: Path, line: bytes, needle: str) -> None:
    (work / "bad.jsonl").write_bytes(b'{"prompt": "fine"}\n' + line + b"\n")
    for argv in (
        ("run", "--suite", "jsonl:bad.jsonl", "--target", "callable:hard_mod:echo", "--store", "s.db", *FAST),
        ("suites", "show", "jsonl:bad.jsonl"),
    ):
        one_line_error(run_cli(*argv), "bad.jsonl:2", needle)
    assert runs_in(work / "s.db") == []


def test_out_that_is_a_file_fails_before_the_run(work: Path) -> None:
    (work / "occupied").write_text("a file, not a folder", encoding="utf-8")
    argv = ("run", "--suite", "jsonl:good.jsonl", "--target", "callable:hard_mod:echo", "--store", "s.db", "--out")
    one_line_error(run_cli(*argv, "occupied", *FAST), "occupied", "not a folder")
    assert runs_in(work / "s.db") == []


def test_a_damaged_database_is_one_line(work: Path) -> None:
    argv = ("run", "--suite", "jsonl:good.jsonl", "--target", "callable:hard_mod:echo", "--store", "s.db", *FAST)
    assert run_cli(*argv)[0] == 0
    with sqlite3.connect(work / "s.db") as db:  # fold the WAL in, so the pages on disk are the data
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = (work / "s.db").read_bytes()
    page = 4096  # sqlite's default page size: keep the header page, scramble every page after it
    (work / "s.db").write_bytes(raw[:page] + os.urandom(len(raw) - page))
    for command in (("runs", "list", "--store", "s.db"), ("report", "latest", "--store", "s.db"), argv):
        one_line_error(run_cli(*command), "s.db")


# 3. secrets --------------------------------------------------------------------------------------


def test_a_key_echoed_in_every_field_of_an_answer_is_never_persisted_or_printed(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(Path(__file__).parents[1] / "targets"))
    from _fault_server import FaultServer

    monkeypatch.setenv("HARD_SENTINEL_KEY", SENTINEL)
    server = FaultServer().start()
    try:
        (work / "c.yaml").write_text(
            "target:\n  name: openai\n"
            f"  arg: 'm@{server.scenario_url('echo_key_everywhere')}'\n"
            "  api_key_env: HARD_SENTINEL_KEY\n  max_retries: 0\n",
            encoding="utf-8",
        )
        outputs = [
            run_cli("run", "-c", "c.yaml", "--suite", "jsonl:good.jsonl", "--store", "s.db", "--out", "out", *FAST)
        ]
        assert outputs[0][0] == 0, outputs[0]
        assert any(SENTINEL in str(r["headers"]) for r in server.requests)  # the key did go over the wire
        [run] = runs_in(work / "s.db")
        outputs += [
            run_cli("runs", "list", "--store", "s.db"),
            run_cli("runs", "list", "--store", "s.db", "--json"),
            run_cli("report", run["id"], "--store", "s.db", "--out", "out", "--riskcard", "--jsonl"),
        ]
    finally:
        server.stop()
    with Store(work / "s.db") as store:
        texts = [r.response.text or "" for r in store.results(run["id"]) if r.response is not None]
    assert texts and all("[redacted]" in t for t in texts)  # the answers were kept, the key was not
    with sqlite3.connect(work / "s.db") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    persisted = [p for p in work.rglob("*") if p.is_file() and p.suffix != ".py" and p.name != "c.yaml"]
    assert any(p.name == "report.html" for p in persisted) and any(p.name == "riskcard.md" for p in persisted)
    for path in persisted:
        assert SENTINEL.encode() not in path.read_bytes(), path
    for _code, out, err in outputs:
        assert SENTINEL not in out + err


def test_url_credentials_never_reach_a_run_or_the_terminal(work: Path) -> None:
    line = one_line_error(
        run_cli(
            "run",
            "--suite",
            "jsonl:good.jsonl",
            "--target",
            "openai:m@http://user:hunter2secret@127.0.0.1:9/v1",
            "--store",
            "s.db",
            *FAST,
        ),
        "password",
    )
    assert "hunter2secret" not in line
    assert runs_in(work / "s.db") == []


# 4. timeouts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [".inf", "1e300", "3601", "0", ".nan"])
def test_timeouts_must_be_finite_and_at_most_an_hour(work: Path, value: str) -> None:
    (work / "c.yaml").write_text(f"target: {{name: callable, arg: 'hard_mod:echo', read_timeout_s: {value}}}\n")
    one_line_error(run_cli("run", "-c", "c.yaml", "--store", "s.db"), "read_timeout_s")


def test_a_callable_that_overruns_ends_unassessed_on_time(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLOW_S", "4")
    (work / "c.yaml").write_text(
        "target: {name: callable, arg: 'hard_mod:slow', read_timeout_s: 0.5, max_retries: 0}\n"
        "suites: ['jsonl:good.jsonl']\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    code, out, err = run_cli("run", "-c", "c.yaml", "--store", "s.db", "--json", *FAST)
    elapsed = time.monotonic() - started
    assert code == 0, err
    overall = json.loads(out)["summary"]["overall"]
    assert overall["unassessed"] == 2 and overall["assessed"] == 0
    assert "timeout" in json.dumps(overall)
    assert elapsed < 4, elapsed  # ended on time, not when the function came back
    with Store(work / "s.db") as store:
        [run] = store.list_runs()
        assert all(r.response is not None and r.response.error is not None for r in store.results(run.id))


# 5. store: from the config -----------------------------------------------------------------------


def test_store_precedence_flag_then_config_then_default(work: Path) -> None:
    (work / "c.yaml").write_text(
        "store: from-config.db\nsuites: ['jsonl:good.jsonl']\ntarget: 'callable:hard_mod:echo'\n", encoding="utf-8"
    )
    assert run_cli("run", "-c", "c.yaml", "--out", "out", *FAST)[0] == 0
    assert len(runs_in(work / "from-config.db")) == 1 and not (work / "runs" / "riskscope.db").exists()
    [run] = runs_in(work / "from-config.db")
    assert "from-config.db" in (work / "out" / run["id"] / "report.html").read_text(encoding="utf-8")
    assert run_cli("run", "-c", "c.yaml", "--store", "flag.db", "--out", "out", "--fresh", *FAST)[0] == 0
    [flag_run] = runs_in(work / "flag.db")
    assert len(runs_in(work / "from-config.db")) == 1
    assert "flag.db" in (work / "out" / flag_run["id"] / "report.html").read_text(encoding="utf-8")
    (work / "c.yaml").write_text("suites: ['jsonl:good.jsonl']\ntarget: 'callable:hard_mod:echo'\n", encoding="utf-8")
    assert run_cli("run", "-c", "c.yaml", *FAST)[0] == 0
    assert len(runs_in(work / "runs" / "riskscope.db")) == 1


# 6, 7. hostile text on terminals and in HTML -----------------------------------------------------


def test_control_and_bidi_characters_never_reach_a_terminal_or_a_page_raw(work: Path) -> None:
    (work / "hostile.jsonl").write_text(
        json.dumps(
            {"id": "h1", "prompt": "open invoice\u202etxt.exe now \x1b[2J", "hazard": "\x1b[2J\x1b]0;pwned\x07vcr"}
        )
        + "\n",
        encoding="utf-8",
    )
    results = [
        run_cli(
            "run",
            "--suite",
            "jsonl:hostile.jsonl",
            "--target",
            "callable:hard_mod:echo",
            "--store",
            "s.db",
            "--out",
            "out",
            *FAST,
        )
    ]
    assert results[0][0] == 0, results[0]
    [run] = runs_in(work / "s.db")
    results.append(run_cli("report", run["id"], "--store", "s.db", "--out", "out", "--riskcard"))
    results.append(run_cli("suites", "show", "jsonl:hostile.jsonl"))
    for code, out, err in results:
        assert code == 0
        assert "\x1b" not in out + err and "\x07" not in out + err and "\u202e" not in out + err
    card = (work / "out" / run["id"] / "riskcard.md").read_text(encoding="utf-8")
    assert "\x1b" not in card and "\u202e" not in card
    page = (work / "out" / run["id"] / "report.html").read_text(encoding="utf-8")
    assert "\u202e" not in page and "\x1b" not in page
    assert "&lt;U+202E&gt;" in page  # the override is shown, not obeyed

    from fastapi.testclient import TestClient

    from riskscope.server import create_app

    client = TestClient(create_app(work / "s.db"), base_url="http://127.0.0.1")
    for url in ("/", f"/runs/{run['id']}", f"/runs/{run['id']}?q=invoice"):
        body = client.get(url).text
        assert "\u202e" not in body and "\x1b" not in body, url


# 8. empty selections -----------------------------------------------------------------------------


def test_empty_selections_are_an_error_and_make_no_run(work: Path) -> None:
    (work / "empty.jsonl").write_text("", encoding="utf-8")
    (work / "header.csv").write_text("prompt,hazard\n", encoding="utf-8")
    base = ("--target", "callable:hard_mod:echo", "--store", "s.db", *FAST)
    one_line_error(run_cli("run", "--suite", "jsonl:empty.jsonl", *base), "no test cases")
    one_line_error(run_cli("run", "--suite", "csv:header.csv,prompt=prompt", *base), "no test cases")
    one_line_error(run_cli("run", "--suite", "jsonl:good.jsonl", "--hazard", "zzz", *base), "zzz")
    assert runs_in(work / "s.db") == []


def test_an_unknown_hazard_code_is_warned_and_kept(work: Path) -> None:
    (work / "odd.jsonl").write_text('{"prompt": "hello", "hazard": "zzq"}\n', encoding="utf-8")
    code, _, err = run_cli(
        "run", "--suite", "jsonl:odd.jsonl", "--target", "callable:hard_mod:echo", "--store", "s.db", *FAST
    )
    assert code == 0 and "warning" in err and "zzq=1" in err


# 9. resume retries failed items ------------------------------------------------------------------


def test_resume_retries_items_whose_call_failed(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flag = work / "down"
    flag.touch()
    monkeypatch.setenv("FLAKY_FLAG", str(flag))
    argv = ("--target", "callable:hard_mod:flaky", "--store", "s.db", "--json", *FAST)
    code, out, _ = run_cli("run", "--suite", "jsonl:good.jsonl", *argv)
    assert code == 0 and json.loads(out)["summary"]["overall"]["unassessed"] == 2
    [run] = runs_in(work / "s.db")
    flag.unlink()  # the backend is back
    code, out, _ = run_cli("run", "--resume", run["id"], "--store", "s.db", "--json", "--progress", "none")
    data = json.loads(out)
    assert code == 0 and data["summary"]["overall"]["unassessed"] == 0 and data["summary"]["overall"]["assessed"] == 2
    assert data["this_invocation"]["called"] == 2


# 10. the secret filter matches key names, not substrings -----------------------------------------


def test_max_tokens_is_shown_and_secret_names_are_withheld() -> None:
    from riskscope.core import is_secret_name

    assert not is_secret_name("decoding.max_tokens")
    assert not is_secret_name("target.api_key_env")
    assert not is_secret_name("keyboard_layout") and not is_secret_name("monkey")
    for name in (
        "target.options.api_key",
        "token",
        "target.options.auth_token",
        "x.password",
        "target.headers.X-Custom",
    ):
        assert is_secret_name(name), name


def test_report_shows_max_tokens(work: Path) -> None:
    argv = (
        "run",
        "--suite",
        "jsonl:good.jsonl",
        "--target",
        "callable:hard_mod:echo",
        "--store",
        "s.db",
        "--out",
        "out",
        "--max-tokens",
        "77",
        *FAST,
    )
    assert run_cli(*argv)[0] == 0
    [run] = runs_in(work / "s.db")
    page = (work / "out" / run["id"] / "report.html").read_text(encoding="utf-8")
    assert "decoding.max_tokens" in page and "(withheld)" not in page
