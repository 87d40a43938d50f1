"""The behaviour every :class:`~gaia_adapters.relay.store.OutboxRelayStore` must show (shipped, like the port suites).

Subclass :class:`OutboxRelayStoreContract` in a test module and provide two fixtures over an EMPTY outbox:

* ``relay_store`` -> the store under test,
* ``uow_factory`` -> ``Callable[[], UnitOfWork]`` whose commit writes to the same outbox.

Times are real and short (leases and backoffs of a few tens of milliseconds): the PostgreSQL store uses the
server's clock, which a test cannot move.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import pytest

from gaia_adapters.relay.store import ABANDONED, ClaimedEvent, FailureOutcome, OutboxRelayStore
from gaia_domain.errors import InvalidInput
from gaia_domain.events import Event, UserDeleted, event_from_payload, event_to_payload
from gaia_domain.ids import EventId, UserId
from gaia_domain.ports import UnitOfWork
from gaia_domain.testing.event_shapes import sample_field_shapes, type_shape

Write = Callable[[Sequence[Event]], Awaitable[None]]
LONG = 60.0  # a lease that does not run out during a test
SHORT = 0.05


def sample_events(count: int) -> list[Event]:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return [UserDeleted(occurred_at=when, user_id=UserId.new()) for _ in range(count)]


class OutboxRelayStoreContract:
    @pytest.fixture
    def write(self, uow_factory: Callable[[], UnitOfWork]) -> Write:
        async def write(events: Sequence[Event]) -> None:
            async with uow_factory() as uow:
                await uow.outbox.add(events)
                await uow.commit()

        return write

    @staticmethod
    def ids(claims: Sequence[ClaimedEvent]) -> list[EventId]:
        return [c.event_id for c in claims]

    async def test_claim_leases_due_events_oldest_first(self, relay_store: OutboxRelayStore, write: Write) -> None:
        events = sample_events(3)
        await write(events)
        batch = await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=3)
        assert self.ids(batch.claimed) == [e.event_id for e in events]
        assert [c.attempt for c in batch.claimed] == [1, 1, 1]
        assert batch.claimed[0].type_name == "UserDeleted"
        assert batch.claimed[0].payload == event_to_payload(events[0])
        assert not batch.parked
        again = await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=3)
        assert not again.claimed, "a leased event must not be claimed again before its lease runs out"
        backlog = await relay_store.backlog()
        assert (backlog.pending, backlog.due, backlog.dead) == (3, 0, 0)
        assert backlog.next_due_in is not None
        assert 0 < backlog.next_due_in <= LONG

    async def test_an_event_of_every_field_shape_is_decoded_equal_with_its_declared_types(
        self, relay_store: OutboxRelayStore, write: Write
    ) -> None:
        event = sample_field_shapes()
        await write([event])
        (claim,) = (await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=3)).claimed
        decoded = event_from_payload(claim.type_name, claim.payload)
        assert decoded == event
        assert type_shape(decoded) == type_shape(event)

    async def test_an_event_that_does_not_fit_its_types_is_refused_and_nothing_is_stored(
        self, relay_store: OutboxRelayStore, uow_factory: Callable[[], UnitOfWork]
    ) -> None:
        good, bad = sample_events(2)
        object.__setattr__(bad, "user_id", "not a UserId")  # past the constructor's check, as a buggy subclass
        async with uow_factory() as uow:
            with pytest.raises(InvalidInput) as caught:
                await uow.outbox.add([good, bad])
            assert caught.value.field == "user_id"
            await uow.rollback()
        assert not (await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=3)).claimed

    async def test_claim_respects_the_limit(self, relay_store: OutboxRelayStore, write: Write) -> None:
        events = sample_events(5)
        await write(events)
        first = await relay_store.claim_due(2, lease_seconds=LONG, max_attempts=3)
        second = await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=3)
        assert self.ids(first.claimed) == [e.event_id for e in events[:2]]
        assert self.ids(second.claimed) == [e.event_id for e in events[2:]]

    async def test_mark_done_finishes_once(self, relay_store: OutboxRelayStore, write: Write) -> None:
        events = sample_events(2)
        await write(events)
        batch = await relay_store.claim_due(10, lease_seconds=SHORT, max_attempts=3)
        assert await relay_store.mark_done(self.ids(batch.claimed)) == 2
        assert await relay_store.mark_done(self.ids(batch.claimed)) == 0
        await asyncio.sleep(SHORT * 2)  # even after the lease: done is done
        assert not (await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=3)).claimed
        backlog = await relay_store.backlog()
        assert (backlog.pending, backlog.due, backlog.dead, backlog.next_due_in) == (0, 0, 0, None)

    async def test_an_expired_lease_is_delivered_again(self, relay_store: OutboxRelayStore, write: Write) -> None:
        await write(sample_events(1))
        first = await relay_store.claim_due(10, lease_seconds=SHORT, max_attempts=3)
        await asyncio.sleep(SHORT * 3)
        second = await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=3)
        assert self.ids(second.claimed) == self.ids(first.claimed)
        assert second.claimed[0].attempt == 2

    async def test_failure_schedules_a_retry_after_the_backoff(
        self,
        relay_store: OutboxRelayStore,
        write: Write,
    ) -> None:
        await write(sample_events(1))
        (claim,) = (await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=3)).claimed
        assert await relay_store.record_failure(claim, "boom", retry_in=0.2) is FailureOutcome.RETRY
        assert not (await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=3)).claimed
        backlog = await relay_store.backlog()
        assert (backlog.pending, backlog.due) == (1, 0)
        assert backlog.next_due_in is not None
        assert 0 < backlog.next_due_in <= 0.2
        await asyncio.sleep(0.25)
        (retry,) = (await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=3)).claimed
        assert (retry.event_id, retry.attempt) == (claim.event_id, 2)

    async def test_only_the_latest_lease_records_a_failure(
        self,
        relay_store: OutboxRelayStore,
        write: Write,
    ) -> None:
        await write(sample_events(1))
        (stale,) = (await relay_store.claim_due(10, lease_seconds=SHORT, max_attempts=5)).claimed
        await asyncio.sleep(SHORT * 3)
        (current,) = (await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=5)).claimed
        assert await relay_store.record_failure(stale, "late", retry_in=0.0) is FailureOutcome.LOST
        assert not (await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=5)).claimed
        assert await relay_store.mark_done([current.event_id]) == 1
        assert await relay_store.record_failure(current, "after done", retry_in=0.0) is FailureOutcome.LOST

    async def test_last_attempt_failing_parks_the_event_and_retry_dead_requeues_it(
        self,
        relay_store: OutboxRelayStore,
        write: Write,
    ) -> None:
        events = sample_events(2)
        await write(events)
        claims = (await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=1)).claimed
        for claim in claims:
            assert (
                await relay_store.record_failure(claim, f"fatal {claim.event_id}", retry_in=None) is FailureOutcome.DEAD
            )
        dead = await relay_store.list_dead()
        assert [d.event_id for d in dead] == [e.event_id for e in events]
        assert dead[0].last_error == f"fatal {events[0].event_id}"
        assert (dead[0].attempts, dead[0].type_name) == (1, "UserDeleted")
        assert dead[0].created_at.tzinfo is not None
        assert dead[0].payload == event_to_payload(events[0])
        assert (await relay_store.backlog()).dead == 2
        assert not (await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=1)).claimed
        assert await relay_store.retry_dead([events[1].event_id]) == 1
        (requeued,) = (await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=1)).claimed
        assert (requeued.event_id, requeued.attempt) == (events[1].event_id, 1)
        assert await relay_store.retry_dead() == 1
        assert await relay_store.retry_dead() == 0

    async def test_an_event_whose_attempts_never_reported_back_is_parked_at_claim(
        self,
        relay_store: OutboxRelayStore,
        write: Write,
    ) -> None:
        await write(sample_events(1))
        for _ in range(2):
            assert (await relay_store.claim_due(10, lease_seconds=SHORT, max_attempts=2)).claimed
            await asyncio.sleep(SHORT * 3)
        batch = await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=2)
        assert not batch.claimed
        assert len(batch.parked) == 1
        (dead,) = await relay_store.list_dead()
        assert (dead.attempts, dead.last_error) == (2, ABANDONED)

    async def test_claim_events_takes_only_the_given_due_events(
        self,
        relay_store: OutboxRelayStore,
        write: Write,
    ) -> None:
        events = sample_events(3)
        await write(events)
        relayed = await relay_store.claim_events([events[0].event_id], lease_seconds=LONG)
        assert self.ids(relayed) == [events[0].event_id]
        mine = await relay_store.claim_events([e.event_id for e in events[:2]], lease_seconds=LONG)
        assert self.ids(mine) == [events[1].event_id], "the event another claimer holds is skipped"
        assert [c.attempt for c in mine] == [1]
        assert await relay_store.claim_events([EventId.new()], lease_seconds=LONG) == []

    async def test_concurrent_claims_take_disjoint_events(
        self,
        relay_store: OutboxRelayStore,
        write: Write,
    ) -> None:
        events = sample_events(40)
        await write(events)
        batches = await asyncio.gather(
            *(relay_store.claim_due(7, lease_seconds=LONG, max_attempts=3) for _ in range(8))
        )
        claimed = [c.event_id for batch in batches for c in batch.claimed]
        assert len(claimed) == len(set(claimed)) == 40

    async def test_purge_deletes_only_dispatched_rows_older_than_asked(
        self, relay_store: OutboxRelayStore, write: Write
    ) -> None:
        events = sample_events(3)
        await write(events)
        claims = (await relay_store.claim_due(10, lease_seconds=LONG, max_attempts=1)).claimed
        await relay_store.mark_done([claims[0].event_id])
        await relay_store.record_failure(claims[1], "fatal", retry_in=None)  # dead: kept for a person
        assert await relay_store.purge_dispatched(LONG) == 0  # finished just now
        await asyncio.sleep(SHORT * 2)
        assert await relay_store.purge_dispatched(SHORT) == 1
        assert await relay_store.purge_dispatched(SHORT) == 0
        backlog = await relay_store.backlog()
        assert (backlog.pending, backlog.dead) == (1, 1)
