"""The dispatcher, the relay and the built-in handlers on the in-memory backend (no servers).

The same flows run on PostgreSQL + MongoDB in tests/integration/consistency, with real crashes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from dependency_injector import providers

from gaia_adapters.container import Container, Services, build_container, resolve, running
from gaia_adapters.memory import MemoryConversationStore, MemoryDatabase, MemoryUnitOfWork, OutboxRecord
from gaia_adapters.relay import HandlerContext, OutboxDispatcher, OutboxRelay, RelayPolicy
from gaia_adapters.relay.handlers import create_welcome_conversation, goal_completed_message_id, welcome_conversation_id
from gaia_domain.clock import ManualClock
from gaia_domain.conversations import Conversation, Message, Role
from gaia_domain.errors import NotFound, StoreUnavailable
from gaia_domain.events import Event, GoalCompleted, UserDeleted, UserRegistered, event_from_payload, register_event
from gaia_domain.goals import Roadmap, RoadmapNode
from gaia_domain.ids import ConversationId, EventId, MessageId, UserId
from gaia_domain.users import User

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
POLICY = RelayPolicy(batch_size=10, max_attempts=3, backoff_base_seconds=1.0, backoff_max_seconds=60.0)


class FlakyStore(MemoryConversationStore):
    """The in-memory store that can be switched "down": writes raise StoreUnavailable like an unreachable server."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.writes = 0

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable("mongodb", "server selection timed out")
        self.writes += 1

    async def add(self, conversation: Conversation) -> None:
        self._check()
        await super().add(conversation)

    async def append_messages(
        self, user_id: UserId, conversation_id: ConversationId, messages: Sequence[Message]
    ) -> None:
        self._check()
        await super().append_messages(user_id, conversation_id, messages)

    async def delete_all_for_user(self, user_id: UserId) -> int:
        self._check()
        return await super().delete_all_for_user(user_id)


@dataclass
class App:
    container: Container
    services: Services
    clock: ManualClock
    store: FlakyStore
    database: MemoryDatabase
    relay: OutboxRelay

    def outbox(self, type_name: str | None = None) -> list[OutboxRecord]:
        return [r for r in self.database.outbox if type_name is None or r.type_name == type_name]

    async def conversations(self, user_id: UserId) -> list[Conversation]:
        return [await self.store.get(user_id, s.id) for s in await self.services.conversations.list(user_id)]


@pytest.fixture
async def app() -> AsyncIterator[App]:
    clock = ManualClock(START)
    container = build_container(clock=clock)
    store = FlakyStore()
    container.conversation_store.override(providers.Object(store))
    container.relay_policy.override(providers.Object(POLICY))
    async with running(container) as services:
        yield App(
            container,
            services,
            clock,
            store,
            await resolve(container.memory_database),
            await resolve(container.outbox_relay),
        )


async def test_events_are_stored_with_the_commit_then_dispatched_and_marked_done(app: App) -> None:
    user = await app.services.users.register(email="ada@example.org", name="Ada")
    (record,) = app.outbox()
    assert (record.type_name, record.status, record.attempts, record.last_error) == (
        "UserRegistered",
        "dispatched",
        1,
        None,
    )
    (welcome,) = await app.conversations(user.id)
    assert welcome.id == welcome_conversation_id(_registered(app, record))
    assert (welcome.is_system_generated, welcome.system_purpose, len(welcome.messages)) == (True, "welcome", 1)
    assert isinstance(await resolve(app.container.event_dispatcher), OutboxDispatcher)


def _registered(app: App, record: OutboxRecord) -> UserRegistered:
    event = event_from_payload(record.type_name, record.payload)
    assert isinstance(event, UserRegistered)
    return event


async def test_events_without_handlers_are_marked_done_too(app: App) -> None:
    user = await app.services.users.register(email="ada@example.org", name="Ada")
    await app.services.goals.create(user.id, title="Read SICP")
    (created,) = app.outbox("GoalCreated")
    assert created.status == "dispatched"


async def test_a_failing_handler_leaves_the_event_for_the_relay_and_the_caller_succeeds(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    app.store.down = True
    with caplog.at_level(logging.WARNING, logger="gaia_adapters.relay"):
        user = await app.services.users.register(email="ada@example.org", name="Ada")
    assert (await app.services.users.get(user.id)).id == user.id  # the commit stands
    (record,) = app.outbox()
    assert (record.status, record.attempts) == ("pending", 1)
    assert record.last_error is not None
    assert "welcome_conversation: StoreUnavailable" in record.last_error
    assert record.available_at == START + timedelta(seconds=1)  # first backoff
    assert any(str(record.event_id) in message for message in caplog.messages), "logged with the event id"

    app.store.down = False
    assert (await app.relay.drain()).claimed == 0, "not due before its backoff"
    app.clock.advance(timedelta(seconds=1))
    report = await app.relay.drain()
    assert (report.claimed, report.done) == (1, 1)
    assert len(await app.conversations(user.id)) == 1
    assert (record.status, record.attempts) == ("dispatched", 2)


async def test_backoff_doubles_then_the_event_is_parked_as_dead_and_can_be_requeued(app: App) -> None:
    app.store.down = True
    user = await app.services.users.register(email="ada@example.org", name="Ada")
    (record,) = app.outbox()
    waits = []
    while record.status == "pending":
        assert record.available_at is not None
        waits.append((record.available_at - app.clock.now()).total_seconds())
        app.clock.set(record.available_at)
        await app.relay.drain()
    assert waits == [1.0, 2.0]  # attempt 1 (dispatcher) -> 1 s, attempt 2 -> 2 s, attempt 3 = max_attempts -> dead
    assert (record.status, record.attempts) == ("dead", 3)
    (dead,) = await app.relay.store.list_dead()
    assert dead.event_id == record.event_id
    assert dead.last_error is not None
    assert "StoreUnavailable" in dead.last_error

    app.store.down = False
    assert await app.relay.retry_dead() == 1
    report = await app.relay.drain()
    assert (report.done, record.status) == (1, "dispatched")
    assert len(await app.conversations(user.id)) == 1


async def test_redelivery_duplicates_nothing(app: App) -> None:
    """Every built-in handler delivered again (as after a crash before 'done') leaves the same state."""
    user = await app.services.users.register(email="ada@example.org", name="Ada")
    chat = await app.services.conversations.start(user.id, description="Plans")
    roadmap = Roadmap(nodes=(RoadmapNode(id="a", label="Start"),))
    goal = await app.services.goals.create(user.id, title="Ship it", roadmap=roadmap, conversation_id=chat.id)
    await app.services.goals.complete_node(user.id, goal.id, "a")
    before = {c.id: c for c in await app.conversations(user.id)}
    events = [_decoded(r) for r in app.outbox() if r.type_name in ("UserRegistered", "GoalCompleted")]
    bus = await resolve(app.container.message_bus)
    for _ in range(3):
        for event in events:
            assert await bus.handle(event) == []
    after = {c.id: c for c in await app.conversations(user.id)}
    assert after == before
    announced = [m for m in after[chat.id].messages if m.role is Role.SYSTEM]
    (completed,) = [e for e in events if isinstance(e, GoalCompleted)]
    assert [m.id for m in announced] == [goal_completed_message_id(completed)]
    assert announced[0].content == "Goal completed: Ship it"


def _decoded(record: OutboxRecord) -> Event:
    return event_from_payload(record.type_name, record.payload)


async def test_goal_completed_without_a_linked_conversation_does_nothing(app: App) -> None:
    user = await app.services.users.register(email="ada@example.org", name="Ada")
    roadmap = Roadmap(nodes=(RoadmapNode(id="a", label="Start"),))
    goal = await app.services.goals.create(user.id, title="Alone", roadmap=roadmap)
    writes = app.store.writes
    await app.services.goals.complete_node(user.id, goal.id, "a")
    (record,) = app.outbox("GoalCompleted")
    assert (record.status, app.store.writes) == ("dispatched", writes)


async def test_goal_completed_for_a_deleted_conversation_is_done(app: App) -> None:
    user = await app.services.users.register(email="ada@example.org", name="Ada")
    chat = await app.services.conversations.start(user.id)
    roadmap = Roadmap(nodes=(RoadmapNode(id="a", label="Start"),))
    goal = await app.services.goals.create(user.id, title="Gone", roadmap=roadmap, conversation_id=chat.id)
    await app.services.conversations.delete(user.id, chat.id)
    await app.services.goals.complete_node(user.id, goal.id, "a")
    assert app.outbox("GoalCompleted")[0].status == "dispatched"


async def test_deleting_a_user_deletes_goals_in_the_transaction_and_conversations_through_the_outbox(app: App) -> None:
    user = await app.services.users.register(email="ada@example.org", name="Ada")
    other = await app.services.users.register(email="bob@example.org", name="Bob")
    await app.services.conversations.start(user.id)
    await app.services.goals.create(user.id, title="One")
    await app.services.goals.create(user.id, title="Two")
    app.store.down = True  # MongoDB down at the moment of deletion
    await app.services.users.delete(user.id)
    assert not [g for g in app.database.goals.values() if g.user_id == user.id], "goals go in the same transaction"
    (deleted,) = app.outbox("UserDeleted")
    assert deleted.status == "pending"
    app.store.down = False
    app.clock.advance(timedelta(seconds=1))
    await app.relay.drain()
    assert deleted.status == "dispatched"
    assert await app.conversations(user.id) == []
    assert len(await app.conversations(other.id)) == 1  # Bob's welcome conversation stays


async def test_a_late_welcome_after_the_user_was_deleted_leaves_no_conversation(app: App) -> None:
    """UserRegistered retried after UserDeleted was handled: the welcome handler cleans up after itself."""
    app.store.down = True
    user = await app.services.users.register(email="ada@example.org", name="Ada")
    app.store.down = False
    await app.services.users.delete(user.id)
    assert app.outbox("UserDeleted")[0].status == "dispatched"
    app.clock.advance(timedelta(seconds=1))
    await app.relay.drain()
    assert app.outbox("UserRegistered")[0].status == "dispatched"
    assert await app.store.delete_all_for_user(user.id) == 0, "no orphan welcome conversation"


async def test_welcome_handler_removes_its_conversation_if_the_user_vanished_during_the_write() -> None:
    """The user is deleted (and UserDeleted handled) between the handler's check and its insert."""
    database = MemoryDatabase()
    clock = ManualClock(START)
    user = User.register(email="ada@example.org", name="Ada", clock=clock)
    database.users[user.id] = user
    event = UserRegistered(occurred_at=START, user_id=user.id, email="ada@example.org", name="Ada")

    class DeletingStore(MemoryConversationStore):
        async def add(self, conversation: Conversation) -> None:
            database.users.pop(user.id)  # deleted by someone else ...
            await self.delete_all_for_user(user.id)  # ... and their UserDeleted handled, before our insert lands
            await super().add(conversation)

    store = DeletingStore()
    handle = create_welcome_conversation(HandlerContext(store, lambda: MemoryUnitOfWork(database), clock))
    await handle(event)
    with pytest.raises(NotFound):
        await store.get(user.id, welcome_conversation_id(event))


@register_event
@dataclass(frozen=True, kw_only=True)
class ReminderDue(Event):
    """An application event (registered so that the relay can decode it from the outbox)."""

    user_id: UserId
    text: str


async def test_application_events_and_handlers_plug_in(app: App) -> None:
    seen: list[ReminderDue] = []

    def remind(context: HandlerContext) -> Callable[[ReminderDue], Awaitable[None]]:
        async def handle(event: ReminderDue) -> None:
            seen.append(event)

        return handle

    clock = ManualClock(START)
    container = build_container(clock=clock)
    container.handler_registry().add(ReminderDue, remind)
    async with running(container) as services:
        user = await services.users.register(email="ada@example.org", name="Ada")
        event = ReminderDue(occurred_at=clock.now(), user_id=user.id, text="stretch")
        factory = await resolve(container.unit_of_work_factory)
        async with factory() as uow:
            await uow.outbox.add([event])  # in the same transaction as the application's own changes
            await uow.commit()
        relay: OutboxRelay = await resolve(container.outbox_relay)
        report = await relay.drain()
    assert (report.done, report.by_type["ReminderDue"]) == (1, 1)
    assert seen == [event]


async def test_an_event_type_nobody_registered_is_retried_and_parked_with_the_reason(app: App) -> None:
    app.database.outbox.append(OutboxRecord(event_id=EventId.new(), type_name="Vanished", payload={}, created_at=START))
    for _ in range(POLICY.max_attempts):
        await app.relay.drain()
        app.clock.advance(timedelta(minutes=1))
    (dead,) = await app.relay.store.list_dead()
    assert dead.last_error is not None
    assert "cannot decode Vanished" in dead.last_error


async def test_follow_keeps_polling_until_stopped(app: App) -> None:
    relay = OutboxRelay(app.relay.store, app.relay.bus, RelayPolicy(poll_interval_seconds=0.01))
    stop = asyncio.Event()
    task = asyncio.create_task(relay.follow(stop))
    await asyncio.sleep(0.03)
    app.store.down = True
    user = await app.services.users.register(email="ada@example.org", name="Ada")  # left pending
    app.store.down = False
    app.clock.advance(timedelta(seconds=1))
    for _ in range(100):
        if app.outbox()[0].status == "dispatched":
            break
        await asyncio.sleep(0.01)
    stop.set()
    report = await asyncio.wait_for(task, 5)
    assert report.done == 1
    assert len(await app.conversations(user.id)) == 1


def test_backoff_is_exponential_and_capped() -> None:
    policy = RelayPolicy(max_attempts=10, backoff_base_seconds=0.5, backoff_max_seconds=5.0)
    assert [policy.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert policy.retry_in(9) == 5.0
    assert policy.retry_in(10) is None
    assert policy.backoff(10_000) == 5.0


def test_message_ids_are_derived_from_the_event() -> None:
    event = UserDeleted(occurred_at=START, user_id=UserId.new())
    assert MessageId.derive("goal-completed", str(event.event_id)) == MessageId.derive(
        "goal-completed", str(event.event_id)
    )
