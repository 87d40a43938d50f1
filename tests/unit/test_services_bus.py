"""The message bus delivers committed events only, to every matching handler, and reports failures."""

from __future__ import annotations

import pytest
from unit_world import World

from gaia_adapters.memory import MemoryUnitOfWork
from gaia_domain.clock import TickingClock
from gaia_domain.errors import DuplicateEmail
from gaia_domain.events import Event, UserDeleted, UserRegistered
from gaia_domain.services import MessageBus
from gaia_domain.testing import builders


async def test_only_events_of_committed_units_of_work_are_delivered(world: World) -> None:
    await world.users.register(email="first@example.com", name="First")
    with pytest.raises(DuplicateEmail):
        await world.users.register(email="FIRST@example.com", name="Second")
    async with MemoryUnitOfWork(world.database) as uow:  # rolled back: left without commit
        await uow.users.add(builders.user(world.clock))
    assert [type(e) for e in world.delivered] == [UserRegistered]
    assert [r.event_id for r in world.database.outbox] == [e.event_id for e in world.delivered]


async def test_delivered_events_are_the_committed_events_in_order(world: World) -> None:
    user = builders.user(world.clock)
    goal = builders.goal(world.clock, user.id)
    async with MemoryUnitOfWork(world.database) as uow:
        await uow.users.add(user)
        await uow.goals.add(goal)
        await uow.commit()
    await world.bus.dispatch(uow.committed_events)
    assert world.delivered == list(uow.committed_events)
    assert [e.type_name for e in world.delivered] == ["UserRegistered", "GoalCreated"]


async def test_a_failing_handler_does_not_stop_the_others_and_is_reported() -> None:
    bus = MessageBus()
    seen: list[str] = []

    async def broken(event: UserDeleted) -> None:
        raise RuntimeError("MongoDB is down")

    async def specific(event: UserDeleted) -> None:
        seen.append("specific")

    async def general(event: Event) -> None:
        seen.append(f"general:{event.type_name}")

    bus.subscribe(UserDeleted, broken)
    bus.subscribe(UserDeleted, specific)
    bus.subscribe(Event, general)
    user = builders.user(TickingClock())
    deleted = UserDeleted(occurred_at=user.created_at, user_id=user.id)
    failures = await bus.dispatch([deleted])
    assert seen == ["specific", "general:UserDeleted"]
    assert [(f.event, type(f.error).__name__) for f in failures] == [(deleted, "RuntimeError")]
    assert "broken" in failures[0].handler
