"""A small message bus: after a commit, hand each collected event to its handlers.

Handlers must be idempotent (the outbox relay may deliver an event again after a
crash). A failing handler does not stop the others; the failures are returned so
that the caller (or the outbox relay) can retry them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from gaia_domain.events import Event

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class HandlerFailure:
    event: Event
    handler: str
    error: BaseException


class MessageBus:
    def __init__(self) -> None:
        self._handlers: dict[type[Event], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        self._handlers[event_type].append(handler)

    def handlers_for(self, event: Event) -> list[Handler]:
        return [h for cls in type(event).__mro__ if issubclass(cls, Event) for h in self._handlers.get(cls, [])]

    async def handle(self, event: Event) -> list[HandlerFailure]:
        failures: list[HandlerFailure] = []
        for handler in self.handlers_for(event):
            try:
                await handler(event)
            except Exception as exc:  # noqa: BLE001 - reported to the caller, never swallowed silently
                name = getattr(handler, "__qualname__", repr(handler))
                log.warning("handler %s failed for %s %s: %r", name, event.type_name, event.event_id, exc)
                failures.append(HandlerFailure(event, name, exc))
        return failures

    async def dispatch(self, events: Iterable[Event]) -> list[HandlerFailure]:
        failures: list[HandlerFailure] = []
        for event in events:
            failures.extend(await self.handle(event))
        return failures


class EventDispatcher:
    """What services call after a commit. The default dispatches in-process through the bus;
    the outbox-aware dispatcher (adapters) also marks the outbox records done."""

    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus

    async def after_commit(self, events: Sequence[Event]) -> None:
        await self.bus.dispatch(events)
