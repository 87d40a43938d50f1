"""The composition root: a dependency-injector container that wires adapters into the services.

Backend selection follows the settings (``GAIA_`` environment or explicit values):

* ``postgres_url`` set -> users, goals and the outbox in PostgreSQL (its unit of work); else in memory;
* ``mongo_url`` set -> conversations in MongoDB (its ConversationStore); else in memory.

Resources (the SQLAlchemy engine, the Mongo client) are async resources: created inside the running
event loop by :func:`init` (only those of the selected backends) and closed exactly once by
:func:`shutdown`; a second :func:`shutdown` is a no-op. Use :func:`running` to pair them::

    container = build_container(GaiaSettings(postgres_url="postgresql+asyncpg://..."))
    async with running(container) as app:
        user = await app.users.register(email="ada@example.org", name="Ada")

Tests swap adapters by overriding providers, e.g.
``container.conversation_store.override(providers.Object(my_store))``.
The domain knows nothing of this module (no ``@inject`` anywhere in ``gaia_domain``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from types import ModuleType
from typing import Literal, NoReturn, TypeVar

from dependency_injector import containers, providers

from gaia_adapters.memory import MemoryConversationStore, MemoryDatabase, MemoryUnitOfWork
from gaia_adapters.memory.outbox_relay import MemoryOutboxRelayStore
from gaia_adapters.relay import (
    HandlerContext,
    HandlerRegistry,
    OutboxDispatcher,
    OutboxRelay,
    RelayPolicy,
    builtin_handlers,
)
from gaia_adapters.settings import GaiaSettings
from gaia_domain.clock import Clock, SystemClock
from gaia_domain.errors import NotFound
from gaia_domain.ids import UserId
from gaia_domain.ports import ConversationStore, UnitOfWork
from gaia_domain.services import ConversationService, GoalService, MessageBus, UserService

postgres_resources: ModuleType | None
try:  # the PostgreSQL backend needs the "postgres" extra (sqlalchemy, asyncpg, alembic)
    from gaia_adapters.postgres import resources as postgres_resources
except ImportError:  # pragma: no cover - exercised only in installations without the extra
    postgres_resources = None

mongo_resources: ModuleType | None
try:  # the MongoDB backend needs the "mongo" extra (pymongo); without it the placeholder says what to install
    from gaia_adapters.mongo import resources as mongo_resources
except ImportError:  # pragma: no cover - exercised only in installations without pymongo
    mongo_resources = None

T = TypeVar("T")
UnitOfWorkFactory = Callable[[], UnitOfWork]


class BackendUnavailable(RuntimeError):
    """A backend was selected (its URL is set) but its adapter cannot be used in this installation."""


def unit_of_work_backend(settings: GaiaSettings) -> Literal["postgres", "memory"]:
    return "postgres" if settings.postgres_url else "memory"


def conversation_store_backend(settings: GaiaSettings) -> Literal["mongo", "memory"]:
    return "mongo" if settings.mongo_url else "memory"


def memory_unit_of_work_factory(database: MemoryDatabase) -> UnitOfWorkFactory:
    """Services take a factory: each use case opens its own unit of work over the shared committed state."""
    return functools.partial(MemoryUnitOfWork, database)


def _backend_missing(backend: str, extra: str) -> NoReturn:
    raise BackendUnavailable(
        f"the {backend} backend is selected but its adapter is not available here: pip install 'gaia-domain[{extra}]'"
    )


def build_message_bus(
    registry: HandlerRegistry, conversation_store: ConversationStore, uow_factory: UnitOfWorkFactory, clock: Clock
) -> MessageBus:
    """The bus the dispatcher and the relay share: every registered handler, built against the selected ports."""
    return registry.build_bus(HandlerContext(conversation_store, uow_factory, clock))


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(GaiaSettings)
    clock: providers.Provider[Clock] = providers.Singleton(SystemClock)

    # --- memory backend: the default, for tests and the demo -------------------------------------------------------
    memory_database = providers.Singleton(MemoryDatabase, clock=clock)
    memory_unit_of_work_factory = providers.Singleton(memory_unit_of_work_factory, memory_database)
    memory_conversation_store = providers.Singleton(MemoryConversationStore)

    # --- PostgreSQL backend: the engine is an async resource (created in the loop, disposed once by shutdown) ------
    if postgres_resources is not None:
        postgres_engine = providers.Resource(postgres_resources.engine, settings)
        postgres_unit_of_work_factory: providers.Provider[UnitOfWorkFactory] = providers.Singleton(
            postgres_resources.unit_of_work_factory, postgres_engine
        )
    else:  # pragma: no cover
        postgres_unit_of_work_factory = providers.Callable(_backend_missing, "postgres", "postgres")

    # --- MongoDB backend: the client is an async resource (opened in the loop, closed once by shutdown) -----------
    if mongo_resources is not None:
        mongo_client = providers.Resource(mongo_resources.client, settings)
        mongo_database = providers.Singleton(mongo_resources.database, mongo_client, settings)  # for `gaia-db migrate`
        mongo_conversation_store: providers.Provider[ConversationStore] = providers.Singleton(
            mongo_resources.conversation_store, mongo_database
        )
    else:  # pragma: no cover
        mongo_conversation_store = providers.Callable(_backend_missing, "mongo", "mongo")

    # --- selection --------------------------------------------------------------------------------------------------
    unit_of_work_factory = providers.Selector(
        providers.Callable(unit_of_work_backend, settings),
        memory=memory_unit_of_work_factory,
        postgres=postgres_unit_of_work_factory,
    )
    conversation_store = providers.Selector(
        providers.Callable(conversation_store_backend, settings),
        memory=memory_conversation_store,
        mongo=mongo_conversation_store,
    )

    # --- outbox, dispatcher and relay (docs/consistency.md) ---------------------------------------------------------
    # Application handlers: container.handler_registry().add(...) before init (see gaia_adapters.relay.registry).
    handler_registry = providers.Singleton(builtin_handlers)
    relay_policy = providers.Singleton(RelayPolicy.from_settings, settings)
    memory_outbox_relay_store = providers.Singleton(MemoryOutboxRelayStore, memory_database)
    postgres_outbox_relay_store: providers.Provider[object] = (
        providers.Singleton(postgres_resources.outbox_relay_store, postgres_engine)
        if postgres_resources is not None
        else providers.Callable(_backend_missing, "postgres", "postgres")
    )
    outbox_relay_store = providers.Selector(
        providers.Callable(unit_of_work_backend, settings),
        memory=memory_outbox_relay_store,
        postgres=postgres_outbox_relay_store,
    )
    message_bus = providers.Singleton(
        build_message_bus, handler_registry, conversation_store, unit_of_work_factory, clock
    )
    event_dispatcher = providers.Singleton(OutboxDispatcher, message_bus, outbox_relay_store, relay_policy)
    outbox_relay = providers.Singleton(OutboxRelay, outbox_relay_store, message_bus, relay_policy)

    # --- services ---------------------------------------------------------------------------------------------------

    user_service = providers.Factory(
        UserService, uow_factory=unit_of_work_factory, clock=clock, dispatcher=event_dispatcher
    )
    conversation_service = providers.Factory(
        ConversationService, store=conversation_store, uow_factory=unit_of_work_factory, clock=clock
    )
    goal_service = providers.Factory(
        GoalService,
        uow_factory=unit_of_work_factory,
        clock=clock,
        dispatcher=event_dispatcher,
        conversations=conversation_store,
    )


def build_container(settings: GaiaSettings | None = None, *, clock: Clock | None = None) -> Container:
    """A container over the given settings (default: from the ``GAIA_`` environment) and clock."""
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    if clock is not None:
        container.clock.override(providers.Object(clock))
    return container


async def resolve(provider: Callable[[], T | Awaitable[T]]) -> T:
    """Call a provider; await it when it depends on an async resource (dependency-injector returns a future)."""
    value = provider()
    if inspect.isawaitable(value):
        return await value
    return value


@dataclass(frozen=True)
class Services:
    users: UserService
    conversations: ConversationService
    goals: GoalService


async def init(container: Container) -> Services:
    """Open the selected backends' resources inside the running loop; return the application services."""
    await resolve(container.unit_of_work_factory)
    await resolve(container.conversation_store)
    return Services(
        users=await resolve(container.user_service),
        conversations=await resolve(container.conversation_service),
        goals=await resolve(container.goal_service),
    )


async def shutdown(container: Container) -> None:
    """Close every resource that was opened, exactly once; calling it again is a no-op."""
    result = container.shutdown_resources()  # an awaitable only when async resources exist
    if inspect.isawaitable(result):
        await result
    container.reset_singletons()  # nothing keeps a closed engine or client for a later init


async def check_reachable(container: Container) -> None:
    """One cheap read on each selected store (no data needed): ``StoreUnavailable`` now, before any work,
    instead of halfway through it. The in-memory stores always answer."""
    store = await resolve(container.conversation_store)
    await store.list(UserId.new(), limit=1)
    uow_factory = await resolve(container.unit_of_work_factory)
    async with uow_factory() as uow:
        with suppress(NotFound):
            await uow.users.get_by_email("reachable@example.org")


@asynccontextmanager
async def running(container: Container) -> AsyncIterator[Services]:
    services = await init(container)
    try:
        yield services
    finally:
        await shutdown(container)
