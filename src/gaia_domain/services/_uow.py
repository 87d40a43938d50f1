"""Helpers for running a use case inside a unit of work."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from gaia_domain.errors import ConcurrencyConflict
from gaia_domain.ports import UnitOfWork

T = TypeVar("T")
UnitOfWorkFactory = Callable[[], UnitOfWork]


async def retry_on_conflict(
    attempt: Callable[[], Awaitable[T]], *, attempts: int = 30, backoff_seconds: float = 0.002
) -> T:
    """Re-run a whole read-change-save attempt when another writer saved first.

    Only for commands whose effect is the same whichever writer wins (for example,
    completing a roadmap node); the last conflict propagates. Between attempts a random
    pause (full jitter, growing to at most 64 x ``backoff_seconds``) breaks the lockstep in
    which writers that retry at once keep losing to each other.
    """
    for number in range(1, attempts + 1):
        try:
            return await attempt()
        except ConcurrencyConflict:
            if number == attempts:
                raise
        await asyncio.sleep(random.uniform(0, backoff_seconds * 2 ** min(number, 6)))
    raise AssertionError("unreachable")
