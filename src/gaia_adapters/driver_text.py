"""Driver error messages shortened to what a person needs: PyMongo's server-selection errors end in a
whole topology description (every server, its state and options), which no one-line error should carry."""

from __future__ import annotations


def short_driver_message(exc: BaseException, limit: int = 200) -> str:
    """The first line of ``str(exc)`` without PyMongo's timeout and topology suffix, at most ``limit`` chars."""
    text = str(exc).split(", Timeout:")[0].split("Topology Description:")[0].split(" (configured timeouts:")[0]
    text = text.strip().rstrip(" ,")
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"
