"""What every contract suite shares: the clock fixture, fixture types, small helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck

from gaia_domain.clock import Clock, TickingClock
from gaia_domain.ids import EventId
from gaia_domain.pagination import Page
from gaia_domain.ports import UnitOfWork, UnitOfWorkState
from gaia_domain.testing import builders
from gaia_domain.users import User

UnitOfWorkFactory = Callable[[], UnitOfWork]

# Property tests in a contract run once per adapter subclass, over a store that lives for the whole test
# (examples use fresh ids, so they do not depend on an empty store).
SHARED_BY_SUBCLASSES = [HealthCheck.function_scoped_fixture, HealthCheck.differing_executors]


@dataclass(frozen=True)
class StoredEvent:
    """One committed outbox row as the adapter stores it."""

    event_id: EventId
    type_name: str
    payload: dict[str, Any]


OutboxReader = Callable[[], Awaitable[Sequence[StoredEvent]]]


class ContractBase:
    @pytest.fixture
    def clock(self) -> Clock:
        return TickingClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), step=timedelta(milliseconds=7))


async def walk(
    fetch: Callable[[str | None], Awaitable[Page[Any]]], between: Callable[[], Awaitable[None]] | None = None
) -> list[Any]:
    """Every item of a keyset list, page by page; ``between`` runs after each page (to insert items meanwhile)."""
    items: list[Any] = []
    cursor: str | None = None
    for _ in range(10_000):
        page = await fetch(cursor)
        items.extend(page.items)
        if between is not None:
            await between()
        if page.next_cursor is None:
            return items
        assert page.items, "a page with a next cursor must not be empty"
        cursor = page.next_cursor
    raise AssertionError("the pages never ended")


async def add_user(uow_factory: UnitOfWorkFactory, clock: Clock, **kwargs: Any) -> User:
    user = builders.user(clock, **kwargs)
    async with uow_factory() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


def state_of(uow: UnitOfWork) -> UnitOfWorkState:
    """The state, read through a call (so that type checkers do not narrow it between steps)."""
    return uow.state


async def all_users(uow_factory: UnitOfWorkFactory) -> list[User]:
    async with uow_factory() as uow:
        return await walk(lambda c: uow.users.list(limit=50, cursor=c))
