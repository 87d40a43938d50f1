"""Edges of the dispatcher and the relay on the in-memory twin: outbox failures, lease budget, racing relays."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from gaia_adapters.memory import MemoryDatabase, MemoryUnitOfWork
from gaia_adapters.memory.outbox_relay import MemoryOutboxRelayStore
from gaia_adapters.relay import ClaimedEvent, OutboxDispatcher, OutboxRelay, RelayPolicy
from gaia_domain.clock import ManualClock
from gaia_domain.errors import StoreUnavailable
from gaia_domain.events import Event, UserDeleted
from gaia_domain.ids import EventId, UserId
from gaia_domain.services import MessageBus

START = datetime(2026, 3, 1, tzinfo=UTC)


async def committed(database: MemoryDatabase, count: int) -> list[Event]:
    events: list[Event] = [UserDeleted(occurred_at=START, user_id=UserId.new()) for _ in range(count)]
    async with MemoryUnitOfWork(database) as uow:
        await uow.outbox.add(events)
        await uow.commit()
    return events


def counting_bus(seen: Counter[EventId], *, pause: float = 0.0) -> MessageBus:
    bus = MessageBus()

    async def handle(event: UserDeleted) -> None:
        seen[event.event_id] += 1
        await asyncio.sleep(pause)  # give the other relay a chance to interleave

    bus.subscribe(UserDeleted, handle)
    return bus


class UnreachableStore(MemoryOutboxRelayStore):
    """The outbox's database is gone right after the commit (claims or marks fail)."""

    def __init__(self, db: MemoryDatabase, *, claims: bool, marks: bool) -> None:
        super().__init__(db)
        self.fail_claims, self.fail_marks = claims, marks

    async def claim_events(self, event_ids: Sequence[EventId], *, lease_seconds: float) -> Sequence[ClaimedEvent]:
        if self.fail_claims:
            raise StoreUnavailable("postgresql", "connection refused")
        return await super().claim_events(event_ids, lease_seconds=lease_seconds)

    async def mark_done(self, event_ids: Sequence[EventId]) -> int:
        if self.fail_marks:
            raise StoreUnavailable("postgresql", "connection reset")
        return await super().mark_done(event_ids)


async def test_an_unreachable_outbox_after_commit_is_logged_and_left_to_the_relay(
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = MemoryDatabase(clock=ManualClock(START))
    seen: Counter[EventId] = Counter()
    dispatcher = OutboxDispatcher(counting_bus(seen), UnreachableStore(database, claims=True, marks=False))
    events = await committed(database, 2)
    with caplog.at_level(logging.ERROR, logger="gaia_adapters.relay"):
        await dispatcher.after_commit(events)  # raises nothing: the commit stands
    assert not seen
    assert str(events[0].event_id) in caplog.text
    assert "left for the relay" in caplog.text
    report = await OutboxRelay(MemoryOutboxRelayStore(database), counting_bus(seen)).drain()
    assert report.done == 2
    assert set(seen.values()) == {1}


async def test_handled_but_not_marked_is_redelivered_after_the_lease(caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock(START)
    database = MemoryDatabase(clock=clock)
    seen: Counter[EventId] = Counter()
    policy = RelayPolicy(lease_seconds=30)
    dispatcher = OutboxDispatcher(counting_bus(seen), UnreachableStore(database, claims=False, marks=True), policy)
    (event,) = await committed(database, 1)
    with caplog.at_level(logging.ERROR, logger="gaia_adapters.relay"):
        await dispatcher.after_commit([event])
    assert "handled but not marked done" in caplog.text
    relay = OutboxRelay(MemoryOutboxRelayStore(database), counting_bus(seen), policy)
    assert (await relay.drain()).claimed == 0, "leased by the dispatcher until its lease runs out"
    clock.advance(timedelta(seconds=30))
    assert (await relay.drain()).done == 1
    assert seen[event.event_id] == 2  # at least once: the handler must be idempotent


async def test_a_batch_that_overruns_its_lease_budget_leaves_the_rest_for_the_next_claim() -> None:
    clock = ManualClock(START)
    database = MemoryDatabase(clock=clock)
    ticks = iter(range(1000))
    seen: Counter[EventId] = Counter()
    policy = RelayPolicy(batch_size=10, lease_seconds=10)
    # Each reading of the relay's monotonic clock is 3 s later: the budget (8 s) allows three deliveries.
    relay = OutboxRelay(
        MemoryOutboxRelayStore(database), counting_bus(seen), policy, monotonic=lambda: 3.0 * next(ticks)
    )
    await committed(database, 5)
    report = await relay.run_batch()
    assert (report.claimed, report.done, report.left) == (5, 2, 3)
    backlog = await relay.backlog()
    assert (backlog.pending, backlog.due) == (3, 0)  # still leased: no other relay takes them meanwhile
    clock.advance(timedelta(seconds=10))
    assert (await relay.run_batch()).done == 2  # the same budget again
    clock.advance(timedelta(seconds=10))
    assert (await relay.run_batch()).done == 1
    assert set(seen.values()) == {1}


async def test_two_relays_draining_one_outbox_deliver_each_event_once() -> None:
    database = MemoryDatabase()
    seen: Counter[EventId] = Counter()
    store = MemoryOutboxRelayStore(database)
    policy = RelayPolicy(batch_size=7)
    events = await committed(database, 300)
    reports = await asyncio.gather(
        OutboxRelay(store, counting_bus(seen, pause=0.0001), policy).drain(),
        OutboxRelay(store, counting_bus(seen, pause=0.0001), policy).drain(),
    )
    assert sorted(seen) == sorted(e.event_id for e in events)
    assert set(seen.values()) == {1}
    assert all(report.done > 0 for report in reports)
