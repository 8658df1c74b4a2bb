"""Model text made safe to print in a terminal.

Prompts, responses and judge rationales are untrusted: a response can carry ANSI escape sequences
(clear the screen, rewrite earlier lines, set the window title), carriage returns that overwrite
what was printed, or bidirectional overrides that make text read differently from what it is.
Every such character is shown as a visible escape (``\\x1b``, ``\\r``, ``\\u202e``), so what a
person reads is what the model wrote; newlines become ``⏎`` to keep one item per block.
"""

from __future__ import annotations

import unicodedata

__all__ = ["terminal_safe"]

# Bidirectional controls and invisible formatting that can disguise text (Trojan Source, CVE-2021-42574).
_BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def _visible(char: str) -> str:
    code = ord(char)
    if char == "\n":
        return " ⏎ "
    if char == "\t":
        return " "
    if code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or code in _BIDI:
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    if unicodedata.category(char) in {"Cs", "Co", "Cn"}:  # surrogates, private use, unassigned
        return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    return char


def terminal_safe(text: str | None, limit: int | None = None) -> str:
    """``text`` with every control character made visible, cut to ``limit`` characters (… marks a cut)."""
    if not text:
        return ""
    truncated = limit is not None and len(text) > limit
    shown = "".join(_visible(c) for c in (text[:limit] if truncated else text))
    return shown + ("…" if truncated else "")
