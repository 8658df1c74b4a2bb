"""Policy files: validated once, unknown keys rejected, errors name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from _cli import riskscope
from riskscope.errors import ConfigError
from riskscope.guard import Action, load_policies
from riskscope.guard._stream import HoldBack
from riskscope.guard.policy import StreamSettings

GOOD = """\
default: standard
policies:
  standard:
    input_judges: [embedded]
    output_judges:
      - embedded
      - {name: refusal}
    refusal_message: "No."
    stream: {chunk_chars: 50, overlap_chars: 10}
  audit:
    output_judges: embedded
    on_unsafe: flag
    on_judge_error: pass
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_reads_every_field(tmp_path: Path) -> None:
    policies = load_policies(write(tmp_path, GOOD))
    assert policies.default == "standard"
    standard = policies.policies["standard"]
    assert [s.name for s in standard.output_judges] == ["embedded", "refusal"]
    assert standard.on_unsafe is Action.BLOCK and standard.on_judge_error is Action.BLOCK  # fails closed
    assert standard.stream.chunk_chars == 50 and standard.refusal_message == "No."
    assert policies.policies["audit"].on_unsafe is Action.FLAG
    assert policies.pick(None)[0] == "standard" and policies.pick("audit")[0] == "audit"
    with pytest.raises(ConfigError, match="unknown policy 'nope'"):
        policies.pick("nope")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace("    on_unsafe: flag", "    on_unsafe: flag\n    colour: red"),
            r"policy\.yaml:13: field 'policies\.audit\.colour'",
        ),
        (
            GOOD.replace("on_judge_error: pass", "on_judge_error: flag"),
            r"policy\.yaml:13: field 'policies\.audit\.on_judge_error'",
        ),
        (
            GOOD.replace("chunk_chars: 50", "chunk_chars: 0"),
            r"policy\.yaml:9: field 'policies\.standard\.stream\.chunk_chars'",
        ),
        (GOOD.replace("default: standard", "default: strict"), r"default policy 'strict' is not among audit, standard"),
        ("default: a\npolicies: {}\n", r"field 'policies'"),
        ("default: [unclosed\n", r"policy\.yaml:\d+: invalid YAML"),
    ],
)
def test_bad_files_fail_with_file_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_policies(write(tmp_path, text))


def test_cli_bad_policy_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("on_unsafe: flag", "on_unsafe: maybe"))
    result = riskscope("guard", "serve", "--policy", str(path), "--store", str(tmp_path / "s.db"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "policy.yaml:12: field 'policies.audit.on_unsafe'" in lines[0]


def test_cli_unknown_judge_fails_before_listening(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("output_judges: embedded", "output_judges: no-such-judge"))
    result = riskscope("guard", "serve", "--policy", str(path), "--store", str(tmp_path / "s.db"))
    assert result.returncode == 2 and "no-such-judge" in result.stderr


@pytest.mark.parametrize(("chunk", "overlap"), [(1, 0), (4, 3), (7, 8), (16, 8), (50, 0)])
def test_hold_back_releases_only_judged_text_and_every_window_overlaps(chunk: int, overlap: int) -> None:
    """Released text is a prefix of the stream; each window holds its pending text and the overlap."""
    hold = HoldBack(StreamSettings(chunk_chars=chunk, overlap_chars=overlap))
    stream = "abcdefghijklmnopqrstuvwxyz0123456789" * 3
    released = ""
    for i in range(0, len(stream), 5):
        hold.add(stream[i : i + 5])
        while hold.ready:
            window = hold.window()
            assert window.endswith(hold.pending)
            assert window[: len(window) - len(hold.pending)] == released[-overlap:] if overlap else True
            released += hold.release()
            assert stream.startswith(released)
    assert released + hold.pending == stream


def test_the_documented_policies_load(tmp_path: Path) -> None:
    """docs/examples/guard-policy.yaml and the example in riskscope.guard.policy's docstring are real."""
    import textwrap

    import riskscope.guard.policy as policy_module

    root = Path(__file__).resolve().parents[2]
    shipped = load_policies(root / "docs" / "examples" / "guard-policy.yaml")
    assert shipped.default == "standard" and set(shipped.policies) == {"standard", "audit"}
    doc = policy_module.__doc__ or ""
    example = textwrap.dedent(doc.split("::\n", 1)[1].split("\n\nA judge", 1)[0])
    documented = load_policies(write(tmp_path, example))
    assert documented.policies["audit"].on_unsafe is Action.FLAG
    assert documented.policies["standard"].stream.overlap_chars == 64
