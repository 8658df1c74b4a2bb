"""Untrusted text on its way out: one sanitiser per medium, and one rule for secret-named fields.

Every field that came from a suite file, a model or a judge is untrusted. On a terminal, an ANSI
escape in a hazard code can clear the screen or rewrite what a reviewer reads; in HTML, autoescape
stops markup but not Unicode bidi controls, which make "exe.txt" display as "txt.exe". So:

- :func:`terminal_safe` shows every control character (C0, DEL, C1, bidi) as a visible ``\\x..`` /
  ``\\u....`` escape; newlines and tabs survive only where the caller allows a multi-line field.
- :func:`html_visible` replaces bidi controls with a visible ``<U+202E>`` marker (and shows other
  control characters as escapes); the HTML environment applies it to every value a template prints
  (its ``finalize`` hook), before autoescape, so the report and the dashboard share it.
- :func:`is_secret_name` decides, by whole key-name words, which config keys hold secrets: it must
  withhold ``api_key`` and ``token`` but not ``decoding.max_tokens``.
"""

from __future__ import annotations

import re

__all__ = ["BIDI_CONTROLS", "bidi_visible", "html_visible", "is_secret_name", "terminal_safe"]

# Embedding/override/isolate controls and the implicit marks (LRM, RLM, ALM).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_BIDI_RE = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")
# C0 controls, DEL, C1 controls (ESC, CSI 0x9b …), bidi controls, and lone surrogates (unprintable).
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS)) + "\ud800-\udfff]")
_CONTROL_KEEP_LINES_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + "".join(sorted(BIDI_CONTROLS)) + "\ud800-\udfff]")

# Key names (split into words at "_", "-" and ".") that hold a secret. Whole words only: "max_tokens"
# has the word "tokens", which names a count, not a credential.
_SECRET_WORDS = frozenset({"key", "apikey", "token", "secret", "password", "passwd", "authorization", "cookie"})
_SECRET_EXCEPT_SUFFIX = ("_env",)  # api_key_env names an environment variable, not its value


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, *, multiline: bool = False) -> str:
    """``text`` with every control character shown as a visible escape, safe to print to a terminal."""
    pattern = _CONTROL_KEEP_LINES_RE if multiline else _CONTROL_RE
    return pattern.sub(_escape, text)


def bidi_visible(text: str) -> str:
    """``text`` with bidi controls replaced by a visible marker such as ``<U+202E>``."""
    return _BIDI_RE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def html_visible(text: str) -> str:
    """For HTML (before autoescape): bidi controls as ``<U+202E>`` markers, other controls as escapes."""
    return terminal_safe(bidi_visible(text), multiline=True)


def is_secret_name(name: str) -> bool:
    """Whether a config key (its last dotted part) names a secret, by whole words not substrings."""
    parts = name.lower().split(".")
    if {"headers", "header"} & set(parts):  # any header may carry a credential
        return True
    last = parts[-1]
    if last.endswith(_SECRET_EXCEPT_SUFFIX):
        return False
    return bool(set(re.split(r"[_\-\s]+", last)) & _SECRET_WORDS)
