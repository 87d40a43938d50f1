"""The handlers run for each event type, built against the application's ports.

A handler is made by a factory that receives a :class:`HandlerContext` (the ports it may use) and returns
``async def handle(event) -> None``. The same registry feeds the in-process dispatcher and the relay, so
every handler runs after commit and again on any redelivery: it must be idempotent (see docs/consistency.md).

Application code adds its own events and handlers::

    @register_event                        # gaia_domain.events: makes the type decodable from the outbox
    @dataclass(frozen=True, kw_only=True)
    class ReminderDue(Event):
        user_id: UserId
        reminder_id: str

    def remind(context: HandlerContext) -> Callable[[ReminderDue], Awaitable[None]]:
        async def handle(event: ReminderDue) -> None:
            ...  # idempotent: keyed by event.event_id
        return handle

    def install(registry: HandlerRegistry) -> None:
        registry.add(ReminderDue, remind)

then ``install(container.handler_registry())`` before ``init(container)``, and
``gaia-db relay --handlers myapp.events:install`` so the relay knows them too.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from gaia_domain.clock import Clock
from gaia_domain.events import Event
from gaia_domain.ports import ConversationStore, UnitOfWork
from gaia_domain.services.bus import MessageBus

E = TypeVar("E", bound=Event)
HandlerFactory = Callable[["HandlerContext"], Callable[[E], Awaitable[None]]]


@dataclass(frozen=True)
class HandlerContext:
    """The ports a handler may use."""

    conversations: ConversationStore
    uow_factory: Callable[[], UnitOfWork]
    clock: Clock


@dataclass(frozen=True)
class Registration:
    event_type: type[Event]
    name: str
    factory: Callable[[HandlerContext], Callable[[Any], Awaitable[None]]]


class HandlerRegistry:
    def __init__(self) -> None:
        self._registrations: list[Registration] = []

    def add(self, event_type: type[E], factory: HandlerFactory[E], *, name: str | None = None) -> None:
        """Run ``factory(context)`` for every ``event_type`` event (and subclasses). Names must be unique."""
        if not (isinstance(event_type, type) and issubclass(event_type, Event)):
            raise TypeError(f"event_type must be an Event subclass, got {event_type!r}")
        label = name or str(getattr(factory, "__name__", None) or repr(factory))
        if any(r.name == label for r in self._registrations):
            raise ValueError(f"a handler named {label!r} is already registered")
        self._registrations.append(Registration(event_type, label, factory))

    def handler(
        self, event_type: type[E], *, name: str | None = None
    ) -> Callable[[HandlerFactory[E]], HandlerFactory[E]]:
        """Decorator form of :meth:`add`."""

        def decorate(factory: HandlerFactory[E]) -> HandlerFactory[E]:
            self.add(event_type, factory, name=name)
            return factory

        return decorate

    def __iter__(self) -> Iterator[Registration]:
        return iter(tuple(self._registrations))

    def __len__(self) -> int:
        return len(self._registrations)

    def build_bus(self, context: HandlerContext) -> MessageBus:
        bus = MessageBus()
        for registration in self._registrations:
            handle = registration.factory(context)
            named = _named(handle, registration.name)
            bus.subscribe(registration.event_type, named)
        return bus


def _named(handle: Callable[[Any], Awaitable[None]], name: str) -> Callable[[Any], Awaitable[None]]:
    """The handler under its registered name (what logs and the outbox's ``last_error`` show)."""

    async def handler(event: Any) -> None:
        await handle(event)

    handler.__name__ = handler.__qualname__ = name
    return handler


def load_installer(spec: str) -> Callable[[HandlerRegistry], object]:
    """``"package.module:function"`` -> the function; importing the module also registers its event types."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"expected 'module:function', got {spec!r}")
    module = importlib.import_module(module_name)
    installer = getattr(module, attribute, None)
    if not callable(installer):
        raise ValueError(f"{spec!r} is not a function of {module_name}")
    return installer  # type: ignore[no-any-return]
