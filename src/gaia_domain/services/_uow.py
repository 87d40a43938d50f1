"""Helpers for running a use case inside a unit of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from gaia_domain.errors import ConcurrencyConflict
from gaia_domain.ports import UnitOfWork

T = TypeVar("T")
UnitOfWorkFactory = Callable[[], UnitOfWork]


async def retry_on_conflict(attempt: Callable[[], Awaitable[T]], *, attempts: int = 3) -> T:
    """Re-run a whole read-change-save attempt when another writer saved first.

    Only for commands whose effect is the same whichever writer wins (for example,
    completing a roadmap node); the last conflict propagates.
    """
    for remaining in range(attempts - 1, -1, -1):
        try:
            return await attempt()
        except ConcurrencyConflict:
            if remaining == 0:
                raise
    raise AssertionError("unreachable")
