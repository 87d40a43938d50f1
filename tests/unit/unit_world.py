"""The application services wired to the in-memory fakes, with a recording bus (import ``make_world``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gaia_adapters.memory import MemoryConversationStore, MemoryDatabase, MemoryUnitOfWork
from gaia_domain.clock import TickingClock
from gaia_domain.events import Event
from gaia_domain.services import ConversationService, EventDispatcher, GoalService, MessageBus, UserService


@dataclass
class World:
    """Everything a use case touches, plus the events the bus delivered (in order)."""

    clock: TickingClock
    database: MemoryDatabase
    store: MemoryConversationStore
    bus: MessageBus
    users: UserService
    goals: GoalService
    conversations: ConversationService
    delivered: list[Event] = field(default_factory=list)

    def snapshot(self) -> tuple[object, ...]:
        """The whole stored state, deep-copied and comparable."""
        return self.database.snapshot(), self.store.snapshot()


def make_world() -> World:
    clock = TickingClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC), step=timedelta(milliseconds=3))
    database = MemoryDatabase(clock=clock)
    store = MemoryConversationStore()
    bus = MessageBus()
    dispatcher = EventDispatcher(bus)

    def uow() -> MemoryUnitOfWork:
        return MemoryUnitOfWork(database)

    built = World(
        clock=clock,
        database=database,
        store=store,
        bus=bus,
        users=UserService(uow, clock, dispatcher),
        goals=GoalService(uow, clock, dispatcher, store),
        conversations=ConversationService(store, uow, clock),
    )

    async def record(event: Event) -> None:
        built.delivered.append(event)

    bus.subscribe(Event, record)
    return built
