"""The two ways an import can fail: one conversation, or the whole file."""

from __future__ import annotations


class BrokenConversation(Exception):
    """One conversation cannot be imported (no messages, a cycle, a malformed node).

    The import reports it by index and title and goes on with the next one.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnusableFile(Exception):
    """The file as a whole cannot be read: missing, not JSON, truncated, or of an unknown format."""
