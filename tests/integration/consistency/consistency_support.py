"""Shared by the consistency tests and their subprocesses: composing the real backends, reading the effects.

Not a test module (no ``test_`` prefix): the crash worker imports it too.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from dependency_injector import providers
from sqlalchemy.ext.asyncio import AsyncEngine

from gaia_adapters.container import Container, build_container
from gaia_adapters.postgres.engine import create_engine
from gaia_adapters.postgres.outbox_relay import PostgresOutboxRelayStore
from gaia_adapters.postgres.unit_of_work import PostgresUnitOfWork
from gaia_adapters.settings import GaiaSettings
from gaia_domain.conversations import Conversation
from gaia_domain.ids import UserId
from gaia_domain.ports import ConversationStore


async def _engine(settings: GaiaSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    try:
        yield engine
    finally:
        await engine.dispose()


def real_container(settings: GaiaSettings) -> Container:
    """The application's container on PostgreSQL + MongoDB, exactly as ``gaia-db`` builds it.

    Until the container declares its own PostgreSQL engine (issue 3), the engine is added here as an async
    resource of this container instance, so shutdown disposes it like any other resource.
    """
    container = build_container(settings)
    if not hasattr(container, "postgres_engine"):
        engine = providers.Resource(_engine, container.settings)
        container.set_provider("postgres_engine", engine)
        factory = providers.Callable(lambda e: functools.partial(PostgresUnitOfWork, e), engine)
        container.postgres_unit_of_work_factory.override(factory)
        container.postgres_outbox_relay_store.override(providers.Singleton(PostgresOutboxRelayStore, engine))
    return container


@dataclass(frozen=True)
class Snapshot:
    conversations: dict[str, Any]
    outbox: list[tuple[Any, ...]]


async def conversations_of(store: ConversationStore, user_id: UserId) -> list[Conversation]:
    return [await store.get(user_id, summary.id) for summary in await store.list(user_id, limit=200)]
