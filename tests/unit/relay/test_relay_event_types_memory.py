"""An application event rebuilt by the relay from its stored payload equals the one raised, field types included."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from gaia_adapters.container import build_container, resolve, running
from gaia_adapters.relay import HandlerContext, OutboxDispatcher, OutboxRelay
from gaia_domain.clock import ManualClock
from gaia_domain.testing.event_shapes import FieldShapes, sample_field_shapes, type_shape

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def test_the_relay_and_the_dispatcher_hand_handlers_the_same_values_and_types() -> None:
    seen: list[FieldShapes] = []

    def record(context: HandlerContext) -> Callable[[FieldShapes], Awaitable[None]]:
        async def handle(event: FieldShapes) -> None:
            seen.append(event)

        return handle

    container = build_container(clock=ManualClock(START))
    container.handler_registry().add(FieldShapes, record)
    relayed, dispatched = sample_field_shapes(), sample_field_shapes()
    async with running(container):
        factory = await resolve(container.unit_of_work_factory)
        async with factory() as uow:
            await uow.outbox.add([relayed, dispatched])
            await uow.commit()
        dispatcher: OutboxDispatcher = await resolve(container.event_dispatcher)
        await dispatcher.after_commit([dispatched])  # in process: the object itself
        relay: OutboxRelay = await resolve(container.outbox_relay)
        report = await relay.drain()  # from the stored JSON payload
    assert (report.done, report.by_type["FieldShapes"]) == (1, 1)
    assert seen[0] is dispatched
    assert seen[1] == relayed
    assert seen[1] is not relayed
    assert type_shape(seen[1]) == type_shape(relayed)
    assert type_shape(seen[1]) == type_shape(seen[0])
