"""Times as exports write them: float/int epoch seconds, ISO 8601 strings, or null.

Unknown or unreadable times are ``None``; :func:`fill_times` then gives every message a time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

# Epoch values above this are taken as milliseconds (year 5138 in seconds; 1973 in milliseconds).
_MILLIS_THRESHOLD = 100_000_000_000


def parse_time(raw: object) -> datetime | None:
    """An aware UTC datetime, or ``None`` when the value is null, empty or unreadable."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        try:
            return _from_epoch(float(raw))
        except OverflowError:  # an integer beyond any float
            return None
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None
        try:
            return _from_epoch(float(text))
        except (ValueError, OverflowError):
            pass
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        # A time without a zone is taken as UTC (exports write UTC).
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None


def _from_epoch(value: float) -> datetime | None:
    if not math.isfinite(value) or value < 0:
        return None
    if value > _MILLIS_THRESHOLD:
        value /= 1000
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def first_known(*candidates: datetime | None) -> datetime | None:
    return next((t for t in candidates if t is not None), None)


def fill_times(times: Sequence[datetime | None], *, start: datetime) -> list[datetime]:
    """Give every message a time: its own, else the nearest earlier known time on the thread.

    Messages before the first known time take ``start`` (the caller passes the conversation's
    create time, or whatever it falls back to when that is unknown too).
    """
    filled: list[datetime] = []
    last = start
    for value in times:
        if value is not None:
            last = value
        filled.append(last)
    return filled
