"""Holding a streamed answer back until the output judges cleared it.

Tokens from the upstream accumulate in ``pending``. Once ``chunk_chars`` are pending (or the
stream ends) the judges read a *window*: the last ``overlap_chars`` already released, then
everything pending. Only a window that passes releases its pending text to the client, so no
character reaches the client before a window containing it passed; the overlap lets a phrase cut
by a chunk boundary be read whole by the next window (an overlap of len(phrase) - 1 suffices for
the client never to receive the whole phrase).
"""

from __future__ import annotations

from riskscope.guard.policy import StreamSettings

__all__ = ["HoldBack"]


class HoldBack:
    def __init__(self, settings: StreamSettings) -> None:
        self.settings = settings
        self.pending = ""
        self._tail = ""  # the last overlap_chars released: all a later window needs
        self.released_chars = 0
        self.windows = 0

    def add(self, text: str) -> None:
        self.pending += text

    @property
    def ready(self) -> bool:
        return len(self.pending) >= self.settings.chunk_chars

    def window(self) -> str:
        """The text the judges read before ``pending`` may go out."""
        self.windows += 1
        return self._tail + self.pending

    def release(self) -> str:
        """Mark ``pending`` as cleared and hand it out."""
        out, self.pending = self.pending, ""
        self.released_chars += len(out)
        overlap = self.settings.overlap_chars
        self._tail = (self._tail + out)[-overlap:] if overlap else ""
        return out
