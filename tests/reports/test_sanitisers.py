"""The two sanitisers for untrusted text: one for terminals (and markdown files), one for HTML."""

from __future__ import annotations

from riskscope.core import html_visible, terminal_safe
from riskscope.reports.html import report_environment


def test_terminal_safe_shows_every_control_character() -> None:
    hostile = "a\x1b[2Jb\x9b31mc\x07d\u202ee\x00f\ud800g"
    shown = terminal_safe(hostile)
    assert shown == "a\\x1b[2Jb\\x9b31mc\\x07d\\u202ee\\x00f\\ud800g"
    assert terminal_safe("line one\nline two\tend") == "line one\\x0aline two\\x09end"
    assert terminal_safe("line one\nline two\tend", multiline=True) == "line one\nline two\tend"
    assert terminal_safe("plain café ✓") == "plain café ✓"


def test_html_shows_bidi_controls_as_markers_before_escaping() -> None:
    assert html_visible("invoice\u202etxt.exe") == "invoice<U+202E>txt.exe"
    env = report_environment()
    page = env.from_string("<p title='{{ v }}'>{{ v }}</p>").render(v="invoice\u202etxt.exe\x1b[2J")
    assert "\u202e" not in page and "\x1b" not in page
    assert page.count("invoice&lt;U+202E&gt;txt.exe\\x1b[2J") == 2
