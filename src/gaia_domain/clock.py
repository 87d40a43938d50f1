"""Time as a dependency: every aggregate takes its timestamps from a Clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from gaia_domain.validation import utc_ms


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, UTC-aware, truncated to milliseconds."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return utc_ms("now", datetime.now(UTC))


class ManualClock:
    """A clock the caller moves by hand; for tests and reproducible demos."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = utc_ms("start", start or datetime(2026, 1, 1, tzinfo=UTC))

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta = timedelta(milliseconds=1)) -> datetime:
        self._now = utc_ms("now", self._now + delta)
        return self._now

    def set(self, value: datetime) -> None:
        self._now = utc_ms("now", value)


class TickingClock(ManualClock):
    """Advances by a fixed step on every read, so successive timestamps are distinct."""

    def __init__(self, start: datetime | None = None, step: timedelta = timedelta(milliseconds=1)) -> None:
        super().__init__(start)
        self._step = step

    def now(self) -> datetime:
        current = self._now
        self._now = utc_ms("now", self._now + self._step)
        return current
